"""The events stream's consumer: real-time effects and campaign triggers.

Each stream record (a normalised Pinpoint record, or a raw SES, SMS v2 or PutEvents
payload put there directly) is decoded and normalised; its effects are applied to the
endpoints (OptOut, EndpointStatus, metrics, recency) and new records are handed to the
campaign engine's trigger. A record that cannot be read is dead-lettered with the reason
(retrying would not fix it); one whose processing raises is left to the stream's retry.
"""

from __future__ import annotations

from clarion.domain.events.normalise.kinesis import normalise_payload
from clarion.domain.events.records import Normalised, Reject
from clarion.domain.events.rows import DERIVED_STREAM_KEYS
from clarion.services.events.ingest import EventIngestService, IngestResult
from clarion.services.events.stream_record import StreamRecord


class EventStreamConsumer:
    """Processes the events stream's records one at a time (module docstring).

    Parameters
    ----------
    consumer
        The ingestion pipeline without a sink: effects and triggers only (Firehose
        writes the lake from the same stream).
    app_id
        The project id for records that name none.
    """

    def __init__(self, consumer: EventIngestService, *, app_id: str) -> None:
        self._consumer = consumer
        self._app_id = app_id

    def consume(self, record: StreamRecord) -> IngestResult:
        """Decode, normalise and process one record; raises only for failures worth
        retrying (DynamoDB throttling, the trigger failing)."""
        return self._consumer.process(self.normalise(record), origin="kinesis")

    def normalise(self, record: StreamRecord) -> Normalised:
        payload, problem = record.decode()
        if problem is not None:
            reject = Reject("kinesis", None, record.sequence_number, (problem,), record.raw)
            return Normalised([], [reject])
        if isinstance(payload, dict) and "event_type" in payload:
            # A line written by Clarion's stream sink: drop the table-only derived keys.
            payload = {k: v for k, v in payload.items() if k not in DERIVED_STREAM_KEYS}
        return normalise_payload(
            payload,
            app_id=self._app_id,
            arrival_timestamp=record.arrival_ms,
            record_id=record.sequence_number,
        )
