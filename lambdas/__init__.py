"""Lambda handlers: each thin, parsing its event and calling one Clarion service."""
