"""Service status and incident communication: components, incidents, maintenance, subscriptions."""
