"""Event use cases: ingesting events from files, APIs and streams, their real-time
effects, and dead letters; on AWS the intake onto the events stream and its consumer.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.events.ingest import (
        AllTriggers,
        EventIngestService,
        IngestResult,
        IngestSource,
        parse_text,
    )
    from clarion.services.events.intake import EventIntakeService, PutEventsOutcome, events_response
    from clarion.services.events.stream import EventStreamConsumer
    from clarion.services.events.stream_record import StreamRecord
    from clarion.services.events.streams import EventStreamService, ForwardingEventSink

_HOMES: dict[str, str] = {
    "AllTriggers": "clarion.services.events.ingest",
    "EventIngestService": "clarion.services.events.ingest",
    "EventIntakeService": "clarion.services.events.intake",
    "EventStreamConsumer": "clarion.services.events.stream",
    "EventStreamService": "clarion.services.events.streams",
    "ForwardingEventSink": "clarion.services.events.streams",
    "IngestResult": "clarion.services.events.ingest",
    "IngestSource": "clarion.services.events.ingest",
    "PutEventsOutcome": "clarion.services.events.intake",
    "StreamRecord": "clarion.services.events.stream_record",
    "events_response": "clarion.services.events.intake",
    "parse_text": "clarion.services.events.ingest",
}

__all__ = [
    "AllTriggers",
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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
