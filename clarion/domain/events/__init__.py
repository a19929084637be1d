"""Events: the Pinpoint event-stream record, its row and stream forms, the normalisers of
every ingested shape, and the real-time effects of records on endpoints.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.events.effects import (
        METRIC_PURCHASE_REVENUE,
        METRIC_PURCHASES,
        METRIC_SESSIONS,
        ActivityEffect,
        Effect,
        OptOutEffect,
        StatusEffect,
        classify_effects,
        effects_of,
    )
    from clarion.domain.events.normalise.common import EventSource, now_ms
    from clarion.domain.events.normalise.kinesis import (
        decode_kinesis_event,
        detect_source,
        normalise_kinesis_event,
        normalise_payload,
    )
    from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
    from clarion.domain.events.normalise.put_events import (
        check_put_events_request,
        normalise_put_events,
    )
    from clarion.domain.events.normalise.ses import normalise_ses_events
    from clarion.domain.events.normalise.sms import normalise_sms_events, normalise_sms_inbound
    from clarion.domain.events.records import (
        MAX_SMS_CONTEXT_VALUE_LENGTH,
        SMS_CONTEXT_KEY,
        TAG_CAMPAIGN_ID,
        TAG_ENDPOINT_ID,
        Application,
        Client,
        EventRecord,
        MessageContext,
        Normalised,
        Reject,
        application_part,
        build_record,
        check_epoch_ms,
        client_part,
        make_event_id,
        string_attributes,
    )
    from clarion.domain.events.rows import (
        DERIVED_STREAM_KEYS,
        PARTITION_KEY,
        compact_json,
        dead_letter_lines,
        event_columns,
        event_date,
        event_row,
        from_stream_json,
        stream_json,
    )

_HOMES: dict[str, str] = {
    "ActivityEffect": "clarion.domain.events.effects",
    "Application": "clarion.domain.events.records",
    "Client": "clarion.domain.events.records",
    "DERIVED_STREAM_KEYS": "clarion.domain.events.rows",
    "Effect": "clarion.domain.events.effects",
    "EventRecord": "clarion.domain.events.records",
    "EventSource": "clarion.domain.events.normalise.common",
    "MAX_SMS_CONTEXT_VALUE_LENGTH": "clarion.domain.events.records",
    "METRIC_PURCHASES": "clarion.domain.events.effects",
    "METRIC_PURCHASE_REVENUE": "clarion.domain.events.effects",
    "METRIC_SESSIONS": "clarion.domain.events.effects",
    "MessageContext": "clarion.domain.events.records",
    "Normalised": "clarion.domain.events.records",
    "OptOutEffect": "clarion.domain.events.effects",
    "PARTITION_KEY": "clarion.domain.events.rows",
    "Reject": "clarion.domain.events.records",
    "SMS_CONTEXT_KEY": "clarion.domain.events.records",
    "StatusEffect": "clarion.domain.events.effects",
    "TAG_CAMPAIGN_ID": "clarion.domain.events.records",
    "TAG_ENDPOINT_ID": "clarion.domain.events.records",
    "application_part": "clarion.domain.events.records",
    "build_record": "clarion.domain.events.records",
    "check_epoch_ms": "clarion.domain.events.records",
    "check_put_events_request": "clarion.domain.events.normalise.put_events",
    "classify_effects": "clarion.domain.events.effects",
    "client_part": "clarion.domain.events.records",
    "compact_json": "clarion.domain.events.rows",
    "dead_letter_lines": "clarion.domain.events.rows",
    "decode_kinesis_event": "clarion.domain.events.normalise.kinesis",
    "detect_source": "clarion.domain.events.normalise.kinesis",
    "effects_of": "clarion.domain.events.effects",
    "event_columns": "clarion.domain.events.rows",
    "event_date": "clarion.domain.events.rows",
    "event_row": "clarion.domain.events.rows",
    "from_stream_json": "clarion.domain.events.rows",
    "make_event_id": "clarion.domain.events.records",
    "normalise_kinesis_event": "clarion.domain.events.normalise.kinesis",
    "normalise_payload": "clarion.domain.events.normalise.kinesis",
    "normalise_pinpoint_records": "clarion.domain.events.normalise.pinpoint",
    "normalise_put_events": "clarion.domain.events.normalise.put_events",
    "normalise_ses_events": "clarion.domain.events.normalise.ses",
    "normalise_sms_events": "clarion.domain.events.normalise.sms",
    "normalise_sms_inbound": "clarion.domain.events.normalise.sms",
    "now_ms": "clarion.domain.events.normalise.common",
    "stream_json": "clarion.domain.events.rows",
    "string_attributes": "clarion.domain.events.records",
}

__all__ = [
    "DERIVED_STREAM_KEYS",
    "MAX_SMS_CONTEXT_VALUE_LENGTH",
    "METRIC_PURCHASES",
    "METRIC_PURCHASE_REVENUE",
    "METRIC_SESSIONS",
    "PARTITION_KEY",
    "SMS_CONTEXT_KEY",
    "TAG_CAMPAIGN_ID",
    "TAG_ENDPOINT_ID",
    "ActivityEffect",
    "Application",
    "Client",
    "Effect",
    "EventRecord",
    "EventSource",
    "MessageContext",
    "Normalised",
    "OptOutEffect",
    "Reject",
    "StatusEffect",
    "application_part",
    "build_record",
    "check_epoch_ms",
    "check_put_events_request",
    "classify_effects",
    "client_part",
    "compact_json",
    "dead_letter_lines",
    "decode_kinesis_event",
    "detect_source",
    "effects_of",
    "event_columns",
    "event_date",
    "event_row",
    "from_stream_json",
    "make_event_id",
    "normalise_kinesis_event",
    "normalise_payload",
    "normalise_pinpoint_records",
    "normalise_put_events",
    "normalise_ses_events",
    "normalise_sms_events",
    "normalise_sms_inbound",
    "now_ms",
    "stream_json",
    "string_attributes",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
