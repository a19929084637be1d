"""channels operations."""
