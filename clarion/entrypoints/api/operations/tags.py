"""tags operations."""
