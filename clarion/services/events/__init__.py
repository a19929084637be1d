"""Event use cases: ingesting events from files, APIs and streams, their real-time
effects, and dead letters; on AWS the intake onto the events stream and its consumer."""

from clarion.services.events.ingest import (
    EventIngestService,
    IngestResult,
    IngestSource,
    parse_text,
)
from clarion.services.events.intake import EventIntakeService, PutEventsOutcome, events_response
from clarion.services.events.stream import EventStreamConsumer, StreamRecord
from clarion.services.events.streams import EventStreamService, ForwardingEventSink

__all__ = [
    "EventIngestService",
    "EventIntakeService",
    "EventStreamConsumer",
    "EventStreamService",
    "ForwardingEventSink",
    "IngestResult",
    "IngestSource",
    "PutEventsOutcome",
    "StreamRecord",
    "events_response",
    "parse_text",
]
