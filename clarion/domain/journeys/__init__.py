"""Journeys: Pinpoint's multi-step journeys (the journeys feature; its models and rules
land here)."""

__all__: list[str] = []
