"""Normalise every event shape Clarion ingests into the Pinpoint event-stream record.

Sources (docs/events.md has the full mapping): PutEvents request bodies
(``put_events``), SES v2 event-publishing records (``ses``), End User Messaging SMS and
voice v2 records and inbound SMS (``sms``), Pinpoint event-stream records replayed from
old streams (``pinpoint``), and Lambda's Kinesis event holding any of them
(``kinesis``), and JSON lines of any of them (``lines``). Every normaliser returns
``Normalised``: the records made and one ``Reject`` per input it could not use,
naming the record, the field and the reason. One bad record never stops the rest.

Names are imported on first use (PEP 562): a function that reads one shape (the
PutEvents API, say) imports only that shape's normaliser (Lambda cold starts:
docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.events.normalise.common import EventSource, now_ms
    from clarion.domain.events.normalise.kinesis import (
        decode_kinesis_event,
        detect_source,
        normalise_kinesis_event,
        normalise_payload,
    )
    from clarion.domain.events.normalise.lines import normalise_json_lines
    from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
    from clarion.domain.events.normalise.put_events import (
        check_put_events_request,
        normalise_put_events,
    )
    from clarion.domain.events.normalise.ses import normalise_ses_events
    from clarion.domain.events.normalise.sms import normalise_sms_events, normalise_sms_inbound

_HOMES: dict[str, str] = {
    "EventSource": "clarion.domain.events.normalise.common",
    "check_put_events_request": "clarion.domain.events.normalise.put_events",
    "decode_kinesis_event": "clarion.domain.events.normalise.kinesis",
    "detect_source": "clarion.domain.events.normalise.kinesis",
    "normalise_json_lines": "clarion.domain.events.normalise.lines",
    "normalise_kinesis_event": "clarion.domain.events.normalise.kinesis",
    "normalise_payload": "clarion.domain.events.normalise.kinesis",
    "normalise_pinpoint_records": "clarion.domain.events.normalise.pinpoint",
    "normalise_put_events": "clarion.domain.events.normalise.put_events",
    "normalise_ses_events": "clarion.domain.events.normalise.ses",
    "normalise_sms_events": "clarion.domain.events.normalise.sms",
    "normalise_sms_inbound": "clarion.domain.events.normalise.sms",
    "now_ms": "clarion.domain.events.normalise.common",
}

__all__ = [
    "EventSource",
    "check_put_events_request",
    "decode_kinesis_event",
    "detect_source",
    "normalise_json_lines",
    "normalise_kinesis_event",
    "normalise_payload",
    "normalise_pinpoint_records",
    "normalise_put_events",
    "normalise_ses_events",
    "normalise_sms_events",
    "normalise_sms_inbound",
    "now_ms",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
