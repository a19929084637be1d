"""analytics operations."""
