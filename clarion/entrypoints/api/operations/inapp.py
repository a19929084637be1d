"""inapp operations."""
