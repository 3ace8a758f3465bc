"""Access requests, NDAs, grants and watermarked downloads: the prospect's journey."""
