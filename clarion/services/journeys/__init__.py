"""Journey use cases (the journeys feature lands here)."""

__all__: list[str] = []
