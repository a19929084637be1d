"""PutEvents request bodies (Pinpoint's ``EventsRequest``): checked as Pinpoint
checks them, then each app or custom event made a Pinpoint event-stream record."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.common.errors import FieldProblem
from clarion.domain.events.normalise.common import EventSource, _json_size, _ms, _problems, now_ms
from clarion.domain.events.records import (
    MAX_ATTRIBUTES_AND_METRICS_PER_EVENT,
    MAX_EVENT_ATTRIBUTE_NAME_LENGTH,
    MAX_EVENT_ATTRIBUTE_VALUE_LENGTH,
    MAX_EVENT_BYTES,
    MAX_EVENT_TYPE_LENGTH,
    MAX_EVENTS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    Application,
    Client,
    Device,
    EventRecord,
    Locale,
    Normalised,
    Platform,
    Reject,
    Sdk,
    Session,
    build_record,
    check_epoch_ms,
    make_event_id,
    reserved_event_problem,
)

# --- PutEvents -----------------------------------------------------------------------

_EVENT_FIELDS = frozenset(
    {
        "AppPackageName",
        "AppTitle",
        "AppVersionCode",
        "Attributes",
        "ClientSdkVersion",
        "EventType",
        "Metrics",
        "SdkName",
        "Session",
        "Timestamp",
    }
)
_SESSION_FIELDS = frozenset({"Duration", "Id", "StartTimestamp", "StopTimestamp"})


def check_put_events_request(body: Any) -> list[FieldProblem]:
    """Problems with a PutEvents body as a whole (shape, event count, size).

    Pinpoint refused such a request outright; :func:`normalise_put_events` rejects each
    of its events with these problems.
    """
    if not isinstance(body, Mapping):
        return [FieldProblem("(request)", "must be a JSON object (Pinpoint's EventsRequest)")]
    batch = body.get("BatchItem")
    if not isinstance(batch, Mapping):
        return [FieldProblem("BatchItem", "is required: a map of endpoint id to EventsBatch")]
    problems = []
    unknown = sorted(set(body) - {"BatchItem"})
    if unknown:
        problems.append(FieldProblem(unknown[0], "is not a field of EventsRequest"))
    count = sum(
        len(item["Events"])
        for item in batch.values()
        if isinstance(item, Mapping) and isinstance(item.get("Events"), Mapping)
    )
    if count > MAX_EVENTS_PER_REQUEST:
        problems.append(
            FieldProblem(
                "BatchItem",
                f"request has {count} events; the limit is {MAX_EVENTS_PER_REQUEST}",
            )
        )
    size = _json_size(body)
    if size > MAX_REQUEST_BYTES:
        problems.append(
            FieldProblem("(request)", f"request is {size} bytes; the limit is {MAX_REQUEST_BYTES}")
        )
    return problems


def _check_event(event: Any) -> list[FieldProblem]:
    if not isinstance(event, Mapping):
        return [FieldProblem("(event)", "must be a JSON object (Pinpoint's Event)")]
    problems = [
        FieldProblem(name, "is not a field of a Pinpoint Event")
        for name in sorted(set(event) - _EVENT_FIELDS)
    ]
    event_type = event.get("EventType")
    if not isinstance(event_type, str) or not event_type:
        problems.append(FieldProblem("EventType", "is required"))
    elif (reserved := reserved_event_problem(event_type)) is not None:
        problems.append(reserved)
    elif len(event_type) > MAX_EVENT_TYPE_LENGTH:
        problems.append(
            FieldProblem(
                "EventType",
                f"is {len(event_type)} characters; the limit is {MAX_EVENT_TYPE_LENGTH}",
            )
        )
    stamp = event.get("Timestamp")
    if not isinstance(stamp, str):
        problems.append(FieldProblem("Timestamp", "is required, as an ISO-8601 timestamp"))
    else:
        try:
            check_epoch_ms(_ms(stamp))
        except ValueError as exc:
            problems.append(FieldProblem("Timestamp", str(exc)))
    for name in ("AppPackageName", "AppTitle", "AppVersionCode", "ClientSdkVersion", "SdkName"):
        if name in event and not isinstance(event[name], str):
            problems.append(FieldProblem(name, "must be a string"))
    attributes = event.get("Attributes", {})
    metrics = event.get("Metrics", {})
    if not isinstance(attributes, Mapping):
        problems.append(FieldProblem("Attributes", "must be a map of name to string"))
        attributes = {}
    if not isinstance(metrics, Mapping):
        problems.append(FieldProblem("Metrics", "must be a map of name to number"))
        metrics = {}
    for name, value in attributes.items():
        where = f"Attributes.{name}"
        if not name or len(name) > MAX_EVENT_ATTRIBUTE_NAME_LENGTH:
            problems.append(
                FieldProblem(
                    where, f"name must be 1 to {MAX_EVENT_ATTRIBUTE_NAME_LENGTH} characters"
                )
            )
        if not isinstance(value, str):
            problems.append(FieldProblem(where, f"must be a string, not {value!r}"))
        elif len(value) > MAX_EVENT_ATTRIBUTE_VALUE_LENGTH:
            problems.append(
                FieldProblem(
                    where,
                    f"value is {len(value)} characters; the limit is "
                    f"{MAX_EVENT_ATTRIBUTE_VALUE_LENGTH}",
                )
            )
    for name, value in metrics.items():
        where = f"Metrics.{name}"
        if not name or len(name) > MAX_EVENT_ATTRIBUTE_NAME_LENGTH:
            problems.append(
                FieldProblem(
                    where, f"name must be 1 to {MAX_EVENT_ATTRIBUTE_NAME_LENGTH} characters"
                )
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(FieldProblem(where, f"must be a number, not {value!r}"))
        elif not math.isfinite(value):
            problems.append(FieldProblem(where, "must be a finite number"))
    keys = len(attributes) + len(metrics)
    if keys > MAX_ATTRIBUTES_AND_METRICS_PER_EVENT:
        problems.append(
            FieldProblem(
                "Attributes",
                f"event has {keys} attributes and metrics together; the limit is "
                f"{MAX_ATTRIBUTES_AND_METRICS_PER_EVENT}",
            )
        )
    problems.extend(_check_session(event.get("Session")))
    size = _json_size(event)
    if size > MAX_EVENT_BYTES:
        problems.append(
            FieldProblem("(event)", f"event is {size} bytes; the limit is {MAX_EVENT_BYTES}")
        )
    return problems


def _check_session(session: Any) -> list[FieldProblem]:
    if session is None:
        return []
    if not isinstance(session, Mapping):
        return [FieldProblem("Session", "must be a JSON object")]
    problems = [
        FieldProblem(f"Session.{name}", "is not a field of a Pinpoint Session")
        for name in sorted(set(session) - _SESSION_FIELDS)
    ]
    if not isinstance(session.get("Id"), str) or not session.get("Id"):
        problems.append(FieldProblem("Session.Id", "is required"))
    for name in ("StartTimestamp", "StopTimestamp"):
        stamp = session.get(name)
        if stamp is None:
            if name == "StartTimestamp":
                problems.append(FieldProblem("Session.StartTimestamp", "is required"))
            continue
        if not isinstance(stamp, str):
            problems.append(FieldProblem(f"Session.{name}", "must be an ISO-8601 timestamp"))
            continue
        try:
            check_epoch_ms(_ms(stamp))
        except ValueError as exc:
            problems.append(FieldProblem(f"Session.{name}", str(exc)))
    duration = session.get("Duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        problems.append(FieldProblem("Session.Duration", "must be an integer (milliseconds)"))
    return problems


def _endpoint_problems(endpoint_id: str, endpoint: Any) -> list[FieldProblem]:
    if not isinstance(endpoint, Mapping):
        return [FieldProblem("Endpoint", "is required: a JSON object (may be empty)")]
    if "Id" in endpoint:
        return [FieldProblem("Endpoint.Id", "goes in the BatchItem key, not the endpoint")]
    try:
        Endpoint.model_validate({"Id": endpoint_id, **endpoint})
    except ValidationError as exc:
        return _problems(exc, "Endpoint")
    return []


def _device(endpoint: Mapping[str, Any]) -> Device:
    demo = endpoint.get("Demographic") or {}
    locale = None
    code = demo.get("Locale")
    if isinstance(code, str) and code:
        language, _, country = code.replace("-", "_").partition("_")
        locale = Locale(code=code, language=language or None, country=country or None)
    return Device(
        locale=locale,
        make=demo.get("Make"),
        model=demo.get("Model"),
        platform=Platform(name=demo.get("Platform"), version=demo.get("PlatformVersion")),
    )


def _session(session: Mapping[str, Any] | None) -> Session:
    if not session:
        return Session()
    stop = session.get("StopTimestamp")
    return Session(
        session_id=session["Id"],
        start_timestamp=_ms(session["StartTimestamp"]),
        stop_timestamp=_ms(stop) if isinstance(stop, str) else None,
        duration=session.get("Duration"),
    )


def _put_event_record(
    endpoint_id: str,
    endpoint: Mapping[str, Any],
    event_key: str,
    event: Mapping[str, Any],
    *,
    app_id: str,
    arrival: int,
    aws_account_id: str | None,
) -> EventRecord:
    event_type = event["EventType"]
    stamp = _ms(event["Timestamp"])
    demo = endpoint.get("Demographic") or {}
    return build_record(
        event_type=event_type,
        event_timestamp=stamp,
        arrival_timestamp=arrival,
        application=Application(
            app_id=app_id,
            package_name=event.get("AppPackageName"),
            title=event.get("AppTitle"),
            version_code=event.get("AppVersionCode"),
            version_name=demo.get("AppVersion"),
            sdk=Sdk(name=event.get("SdkName"), version=event.get("ClientSdkVersion")),
        ),
        client=Client(client_id=endpoint_id),
        device=_device(endpoint),
        session=_session(event.get("Session")),
        attributes=dict(event.get("Attributes") or {}),
        metrics={k: float(v) for k, v in (event.get("Metrics") or {}).items()},
        endpoint={"Id": endpoint_id, **endpoint},
        aws_account_id=aws_account_id,
        event_id=make_event_id("put_events", app_id, endpoint_id, event_key, event_type, stamp),
    )


def normalise_put_events(
    body: Any,
    *,
    app_id: str,
    arrival_timestamp: int | None = None,
    aws_account_id: str | None = None,
) -> Normalised:
    """Normalise a PutEvents request body (Pinpoint's ``EventsRequest``).

    Parameters
    ----------
    body
        ``{"BatchItem": {"<endpointId>": {"Endpoint": {...}, "Events": {"<eventId>":
        {...}}}}}``, as the API and the Pinpoint SDKs send it.
    app_id
        The project (application) id the events belong to.
    arrival_timestamp
        When Clarion received the request, epoch ms; now if not given.
    aws_account_id
        Written to each record's ``awsAccountId``.

    Returns
    -------
    Normalised
        One record per valid event, in request order. Each event that breaks a rule
        (an ingestion quota, a missing field, a bad endpoint) is a reject whose
        ``record_id`` is ``<endpointId>/<eventId>`` and whose ``index`` is the event's
        position in the request. If the request as a whole breaks a rule (more than
        100 events, over 4 MB), every event is rejected with that reason, as Pinpoint
        refused the whole request.
    """
    arrival = now_ms() if arrival_timestamp is None else arrival_timestamp
    source = EventSource.PUT_EVENTS.value
    request_problems = check_put_events_request(body)
    batch = body.get("BatchItem") if isinstance(body, Mapping) else None
    if not isinstance(batch, Mapping):
        return Normalised([], [Reject(source, None, None, tuple(request_problems), body)])
    records: list[EventRecord] = []
    rejects: list[Reject] = []
    index = 0
    for endpoint_id, item in batch.items():
        if not isinstance(item, Mapping) or not isinstance(item.get("Events"), Mapping):
            problem = FieldProblem("Events", "is required: a map of event id to Event")
            rejects.append(Reject(source, None, endpoint_id, (problem,), item))
            continue
        endpoint = item.get("Endpoint")
        endpoint_problems = _endpoint_problems(endpoint_id, endpoint)
        extra = sorted(set(item) - {"Endpoint", "Events"})
        endpoint_problems += [FieldProblem(n, "is not a field of EventsBatch") for n in extra]
        for event_key, event in item["Events"].items():
            record_id = f"{endpoint_id}/{event_key}"
            problems = [*request_problems, *endpoint_problems, *_check_event(event)]
            if problems:
                rejects.append(Reject(source, index, record_id, tuple(problems), event))
            else:
                try:
                    records.append(
                        _put_event_record(
                            endpoint_id,
                            endpoint or {},
                            event_key,
                            event,
                            app_id=app_id,
                            arrival=arrival,
                            aws_account_id=aws_account_id,
                        )
                    )
                except (ValidationError, ValueError) as exc:
                    found = _problems(exc) if isinstance(exc, ValidationError) else []
                    found = found or [FieldProblem("(event)", str(exc))]
                    rejects.append(Reject(source, index, record_id, tuple(found), event))
            index += 1
    return Normalised(records, rejects)
