"""Event intake on AWS: PutEvents bodies over HTTP, and the delivery records SES v2 and
SMS v2 publish (through SNS or EventBridge), normalised and put on the events stream.

A PutEvents body Pinpoint would refuse as a whole (not JSON, over 100 events, over
4 MB) is refused with the problems; otherwise the answer is Pinpoint's
``EventsResponse``, each event accepted or refused with its reason. Whatever cannot be
normalised is dead-lettered with the reason: nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clarion.domain.common.errors import FieldProblem
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.domain.events.normalise.common import now_ms
from clarion.domain.events.records import Normalised, Reject
from clarion.services.events.ingest import EventIngestService, IngestResult

if TYPE_CHECKING:
    from clarion.ports.events import DeadLetterSink

_ACCEPTED = {"StatusCode": 202, "Message": "Accepted"}


def events_response(body: Mapping[str, Any], result: IngestResult) -> dict[str, Any]:
    """Pinpoint's EventsResponse for a PutEvents body, from what was accepted."""
    failures: dict[str, str] = {}
    for reject in result.rejected:
        if reject.record_id:
            failures[reject.record_id] = "; ".join(str(p) for p in reject.problems)
    results: dict[str, Any] = {}
    batch = body.get("BatchItem") or {}
    for endpoint_id, item in batch.items():
        events = item.get("Events") if isinstance(item, Mapping) else None
        items: dict[str, Any] = {}
        for event_id in events or {}:
            reason = failures.get(f"{endpoint_id}/{event_id}")
            items[event_id] = {"StatusCode": 400, "Message": reason} if reason else _ACCEPTED
        endpoint_response = (
            {"StatusCode": 400, "Message": failures[endpoint_id]}
            if endpoint_id in failures
            else _ACCEPTED
        )
        results[endpoint_id] = {
            "EndpointItemResponse": dict(endpoint_response),
            "EventsItemResponse": {k: dict(v) for k, v in items.items()},
        }
    return {"Results": results}


@dataclass
class PutEventsOutcome:
    """What became of a PutEvents request.

    ``problems`` refuse the request as a whole (its events were dead-lettered);
    otherwise ``response`` is Pinpoint's EventsResponse. ``result`` is None only when
    the body was not JSON.
    """

    problems: list[FieldProblem] = field(default_factory=list)
    response: dict[str, Any] | None = None
    result: IngestResult | None = None


class EventIntakeService:
    """Normalises incoming events onto the stream (module docstring).

    Parameters
    ----------
    ingest
        The ingestion pipeline that forwards to the events stream.
    dead_letters
        Where input that is not even JSON is kept.
    app_id
        The project id for records that name none.
    """

    def __init__(
        self, ingest: EventIngestService, dead_letters: DeadLetterSink, *, app_id: str
    ) -> None:
        self._ingest = ingest
        self._dead_letters = dead_letters
        self._app_id = app_id

    def put_events(self, text: str | bytes, *, app_id: str | None = None) -> PutEventsOutcome:
        """Ingest the text of a PutEvents request body for project ``app_id`` (bytes are
        read as UTF-8)."""
        try:
            body = parse_json(text)
        except JsonInputError as exc:
            problem = FieldProblem("(request)", str(exc))
            raw = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
            reject = Reject("put_events", None, None, (problem,), raw)
            self._dead_letters.put_rejects([reject], origin="api")
            return PutEventsOutcome([problem])
        return self.put_events_body(body, app_id=app_id)

    def put_events_body(self, body: Any, *, app_id: str | None = None) -> PutEventsOutcome:
        """Ingest a parsed PutEvents request body for project ``app_id``."""
        # Imported here, as the delivery normalisers in ingest_delivery: one function
        # takes both inputs, and each invocation reads one of them.
        from clarion.domain.events.normalise.put_events import check_put_events_request

        problems = check_put_events_request(body)
        result = self._ingest.put_events(body, origin="api", app_id=app_id or self._app_id)
        if problems:
            return PutEventsOutcome(problems, None, result)
        return PutEventsOutcome([], events_response(body, result), result)

    def ingest_delivery(self, payloads: Sequence[tuple[str | None, Any]]) -> IngestResult:
        """Ingest delivery records: (record id, decoded payload) of each, in order."""
        from clarion.domain.events.normalise.kinesis import normalise_payload

        arrival = now_ms()
        records, rejects = [], []
        for index, (record_id, payload) in enumerate(payloads):
            one = normalise_payload(
                payload,
                app_id=self._app_id,
                arrival_timestamp=arrival,
                index=index,
                record_id=record_id,
            )
            records.extend(one.records)
            rejects.extend(one.rejects)
        return self._ingest.process(Normalised(records, rejects), origin="delivery")
