"""templates operations."""
