"""Engagement: how prospects use the public trust center (visits, views) and how far they get
(request -> NDA -> approved -> download). Only visits are new data; the rest is read from vault.access."""
