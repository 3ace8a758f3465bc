"""The trust center's public FAQ: the answer library's public entries, searchable, in the reader's language."""
