"""Status page benchmark: `python -m bench.status`."""
