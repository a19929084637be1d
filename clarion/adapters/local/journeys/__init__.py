"""Local journey adapters: the DuckDB JourneyRepository and ParticipantStore."""

from clarion.adapters.local.journeys.journey_repository import DuckDBJourneyRepository
from clarion.adapters.local.journeys.participant_store import DuckDBParticipantStore

__all__ = ["DuckDBJourneyRepository", "DuckDBParticipantStore"]
