"""AWS journey adapters: the DynamoDB JourneyRepository (definitions table) and
ParticipantStore (the journeys table)."""

from clarion.adapters.aws.journeys.journey_repository import DynamoDBJourneyRepository
from clarion.adapters.aws.journeys.participant_store import (
    DynamoDBParticipantStore,
    journeys_table_spec,
)

__all__ = ["DynamoDBJourneyRepository", "DynamoDBParticipantStore", "journeys_table_spec"]
