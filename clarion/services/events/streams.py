"""Event streams (PutEventStream, GetEventStream, DeleteEventStream): each project may
name its own Kinesis data stream or Firehose delivery stream, and every event-stream
record of the project is forwarded to it, as Pinpoint did, so the user's downstream
consumers keep working.

Records are forwarded after they are stored: locally by the event sink itself (every
record written, from ingestion, campaigns or triggers); on AWS by the events stream's
consumer, which reads every record of every project.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clarion.domain.audience.endpoint import utc_now_iso
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.events.records import EventRecord
from clarion.ports.common import ProjectStore
from clarion.ports.events import EventForwarder, EventSink, StreamDestination

KIND, KEY = "event-stream", "destination"
# How long a project's destination is believed between reads of the store.
CACHE_SECONDS = 30.0
_ARN_SERVICES = {"kinesis": ":stream/", "firehose": ":deliverystream/"}


def _check(request: Mapping[str, Any]) -> tuple[str, str]:
    problems = []
    stream = request.get("DestinationStreamArn")
    role = request.get("RoleArn")
    if not isinstance(stream, str) or not any(
        stream.startswith(f"arn:aws:{service}:") and marker in stream
        for service, marker in _ARN_SERVICES.items()
    ):
        problems.append(
            FieldProblem(
                "DestinationStreamArn",
                "must be a Kinesis stream or Firehose delivery stream ARN",
            )
        )
    if not isinstance(role, str) or not role.startswith("arn:aws:iam::"):
        problems.append(FieldProblem("RoleArn", "must be an IAM role ARN"))
    if problems:
        raise InvalidRecordError(problems)
    return str(stream), str(role)


class EventStreamService:
    """A project's event stream and the forwarding of its records (module docstring).

    Parameters
    ----------
    store
        Where each project's destination is kept.
    forwarder
        Writes records to a destination.
    clock
        Monotonic seconds, for the destination cache.
    """

    def __init__(
        self,
        store: ProjectStore,
        forwarder: EventForwarder,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._forwarder = forwarder
        self._clock = clock
        self._cache: dict[str, tuple[float, StreamDestination | None]] = {}

    def put_event_stream(self, app_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """PutEventStream → EventStream. Raises InvalidRecordError."""
        stream, role = _check(request)
        document = {
            "ApplicationId": app_id,
            "DestinationStreamArn": stream,
            "RoleArn": role,
            "LastModifiedDate": utc_now_iso(),
            "LastUpdatedBy": "clarion",
        }
        external = request.get("ExternalId")
        if isinstance(external, str) and external:
            document["ExternalId"] = external
        self._store.put_document(app_id, KIND, KEY, document)
        self._cache.pop(app_id, None)
        return document

    def get_event_stream(self, app_id: str) -> dict[str, Any]:
        """GetEventStream. Raises NotFoundError when the project has none."""
        document = self._store.get_document(app_id, KIND, KEY)
        if document is None:
            raise NotFoundError("event stream of project", app_id)
        return document

    def delete_event_stream(self, app_id: str) -> dict[str, Any]:
        """DeleteEventStream: forwarding stops; returns what it was."""
        document = self.get_event_stream(app_id)
        self._store.delete_document(app_id, KIND, KEY)
        self._cache.pop(app_id, None)
        return document

    def destination(self, app_id: str) -> StreamDestination | None:
        cached = self._cache.get(app_id)
        now = self._clock()
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._store.get_document(app_id, KIND, KEY)
        found = (
            StreamDestination(
                str(document["DestinationStreamArn"]),
                str(document["RoleArn"]),
                document.get("ExternalId"),
            )
            if document
            else None
        )
        self._cache[app_id] = (now, found)
        return found

    def forward(self, records: Sequence[EventRecord]) -> int:
        """Forward each record to its project's stream, if it has one; returns how many
        were forwarded. Raises when a destination refused records (the caller retries
        the batch: forwarding is at least once, as Pinpoint's was)."""
        by_project: dict[str, list[EventRecord]] = defaultdict(list)
        for record in records:
            by_project[record.application.app_id or ""].append(record)
        forwarded = 0
        for app_id, group in by_project.items():
            destination = self.destination(app_id) if app_id else None
            if destination is not None:
                self._forwarder.forward(destination, group)
                forwarded += len(group)
        return forwarded


class ForwardingEventSink:
    """An EventSink that also forwards each newly stored record to its project's event
    stream (the local backend, where no stream consumer reads the sink)."""

    def __init__(self, sink: EventSink, streams: EventStreamService) -> None:
        self._sink = sink
        self._streams = streams

    def put_records(self, records: Sequence[EventRecord]) -> set[str]:
        new_ids = self._sink.put_records(records)
        fresh = list({r.event_id: r for r in records if r.event_id in new_ids}.values())
        if fresh:
            self._streams.forward(fresh)
        return new_ids
