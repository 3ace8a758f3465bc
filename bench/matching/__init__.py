"""Quality and speed benchmark for answers.matching (run: python -m bench.matching)."""
