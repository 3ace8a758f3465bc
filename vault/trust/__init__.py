"""The public trust center: profile settings and the public pages."""
