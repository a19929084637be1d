"""segments operations."""
