"""Storage benchmark: `python -m bench.storage`."""
