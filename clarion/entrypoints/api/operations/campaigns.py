"""campaigns operations."""
