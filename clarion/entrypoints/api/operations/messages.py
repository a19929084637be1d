"""messages operations."""
