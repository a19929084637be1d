"""Lambda's Kinesis event: records decoded, envelopes unwrapped, the source of each
payload detected and its normaliser run."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clarion.domain.common.errors import FieldProblem
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.domain.events.normalise.common import EventSource, _Builder, _one
from clarion.domain.events.normalise.pinpoint import _pinpoint_record
from clarion.domain.events.normalise.put_events import normalise_put_events
from clarion.domain.events.normalise.ses import _ses_record
from clarion.domain.events.normalise.sms import _SMS_FAMILIES, _sms_inbound_record, _sms_record
from clarion.domain.events.records import EventRecord, Normalised, Reject

# --- Lambda's Kinesis event and source detection --------------------------------------


@dataclass(frozen=True)
class KinesisPayload:
    """One decoded record of a Lambda Kinesis event."""

    index: int
    sequence_number: str | None
    payload: Any
    arrival_timestamp: int


def decode_kinesis_event(event: Mapping[str, Any]) -> tuple[list[KinesisPayload], list[Reject]]:
    """Decode Lambda's Kinesis event: base64 ``data`` to JSON, and
    ``approximateArrivalTimestamp`` (epoch seconds, fractional) to epoch ms."""
    payloads: list[KinesisPayload] = []
    rejects: list[Reject] = []
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        problem = FieldProblem("Records", "is required: Lambda's list of Kinesis records")
        return [], [Reject("kinesis", None, None, (problem,), event)]
    for index, record in enumerate(records):
        kinesis = record.get("kinesis") if isinstance(record, Mapping) else None
        if not isinstance(kinesis, Mapping):
            problem = FieldProblem("kinesis", "is required")
            rejects.append(Reject("kinesis", index, None, (problem,), record))
            continue
        sequence = kinesis.get("sequenceNumber")
        sequence = sequence if isinstance(sequence, str) else None
        problems = []
        arrival = kinesis.get("approximateArrivalTimestamp")
        if isinstance(arrival, bool) or not isinstance(arrival, int | float):
            problems.append(
                FieldProblem("kinesis.approximateArrivalTimestamp", "is required (epoch seconds)")
            )
        payload: Any = None
        try:
            payload = parse_json(base64.b64decode(kinesis.get("data", ""), validate=True))
        except (binascii.Error, ValueError, TypeError) as exc:
            problems.append(FieldProblem("kinesis.data", f"is not base64 JSON: {exc}"))
        if problems:
            rejects.append(Reject("kinesis", index, sequence, tuple(problems), record))
            continue
        assert isinstance(arrival, int | float)
        payloads.append(KinesisPayload(index, sequence, payload, round(arrival * 1000)))
    return payloads, rejects


def unwrap_envelope(payload: Any) -> Any:
    """The event inside an SNS notification (``Message``, a JSON string) or an
    EventBridge event (``detail``); anything else is returned as it is."""
    if isinstance(payload, Mapping):
        if payload.get("Type") == "Notification" and isinstance(payload.get("Message"), str):
            try:
                return parse_json(payload["Message"])
            except JsonInputError:
                return payload
        if "detail-type" in payload and isinstance(payload.get("detail"), Mapping):
            return payload["detail"]
    return payload


def detect_source(payload: Any) -> EventSource | None:
    """Which source an (unwrapped) record comes from, or None if none fits."""
    if not isinstance(payload, Mapping):
        return None
    if "BatchItem" in payload:
        return EventSource.PUT_EVENTS
    if "event_type" in payload and "event_timestamp" in payload:
        return EventSource.PINPOINT
    kind = payload.get("eventType") or payload.get("notificationType")
    if isinstance(kind, str) and isinstance(payload.get("mail"), Mapping):
        return EventSource.SES
    if isinstance(kind, str) and kind.startswith(tuple(_SMS_FAMILIES)) and "messageId" in payload:
        return EventSource.SMS_V2
    if "inboundMessageId" in payload and "messageBody" in payload:
        return EventSource.SMS_INBOUND
    return None


_BUILDERS: dict[EventSource, _Builder] = {
    EventSource.SES: _ses_record,
    EventSource.SMS_V2: _sms_record,
    EventSource.SMS_INBOUND: _sms_inbound_record,
    EventSource.PINPOINT: _pinpoint_record,
}


def normalise_payload(
    payload: Any,
    *,
    app_id: str,
    arrival_timestamp: int,
    aws_account_id: str | None = None,
    index: int | None = None,
    record_id: str | None = None,
) -> Normalised:
    """Detect the source of one decoded record and normalise it."""
    inner = unwrap_envelope(payload)
    source = detect_source(inner)
    if source is None:
        problem = FieldProblem(
            "(record)", "is not a PutEvents body, SES, SMS v2 or Pinpoint event record"
        )
        return Normalised([], [Reject("unknown", index, record_id, (problem,), payload)])
    if source is EventSource.PUT_EVENTS:
        result = normalise_put_events(
            inner,
            app_id=app_id,
            arrival_timestamp=arrival_timestamp,
            aws_account_id=aws_account_id,
        )
        rejects = [
            Reject(r.source, index, f"{record_id}:{r.record_id}", r.problems, r.raw)
            if record_id
            else r
            for r in result.rejects
        ]
        return Normalised(result.records, rejects)
    one = _one(
        source,
        _BUILDERS[source],
        index,
        inner,
        record_id=record_id,
        app_id=app_id,
        arrival=arrival_timestamp,
        aws_account_id=aws_account_id,
    )
    if isinstance(one, EventRecord):
        return Normalised([one], [])
    return Normalised([], [one])


def normalise_kinesis_event(
    event: Mapping[str, Any], *, app_id: str, aws_account_id: str | None = None
) -> Normalised:
    """Decode a Lambda Kinesis event and normalise every record in it, whatever its
    source. Rejects carry the Kinesis record's position and sequence number."""
    payloads, rejects = decode_kinesis_event(event)
    out = Normalised([], list(rejects))
    for item in payloads:
        result = normalise_payload(
            item.payload,
            app_id=app_id,
            arrival_timestamp=item.arrival_timestamp,
            aws_account_id=aws_account_id,
            index=item.index,
            record_id=item.sequence_number,
        )
        out.records.extend(result.records)
        out.rejects.extend(result.rejects)
    return out
