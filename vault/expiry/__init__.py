"""Legal's view: every dated obligation in one timeline, reminders, calendar feeds, stale answers."""
