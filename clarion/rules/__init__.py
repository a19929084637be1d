"""Rule files shipped with Clarion (package data)."""
