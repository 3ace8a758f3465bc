"""The answer library: entries, history, review dates, evidence links."""
