"""jobs operations."""
