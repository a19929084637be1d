"""events operations."""
