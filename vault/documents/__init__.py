"""Documents and their immutable versions: the evidence itself."""
