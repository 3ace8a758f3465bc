"""Two app servers behind nginx on PostgreSQL + S3 + Redis, loaded together: `python -m bench.twohost`."""
