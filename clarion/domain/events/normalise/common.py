"""What every normaliser shares: the source names, time and size helpers, field
problems from pydantic errors, and running one normaliser over many records so that one
bad record never stops the rest."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from clarion.domain.audience.endpoint import parse_iso8601
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import RECORD, validation_problems
from clarion.domain.events.records import EventRecord, Normalised, Reject


class EventSource(StrEnum):
    """Where an input record came from."""

    PUT_EVENTS = "put_events"
    SES = "ses"
    SMS_V2 = "sms_v2"
    SMS_INBOUND = "sms_inbound"
    PINPOINT = "pinpoint"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _ms(value: str) -> int:
    return int(parse_iso8601(value).timestamp() * 1000)


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _problems(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    def path(loc: tuple[int | str, ...]) -> str:
        dotted = ".".join(str(part) for part in loc if part != "__root__")
        return f"{prefix}.{dotted}" if prefix and dotted else (prefix or dotted or RECORD)

    return validation_problems(exc, path)


# --- Running a normaliser over many records -------------------------------------------

_Builder = Callable[..., EventRecord]


def _record_id(source: EventSource, record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    if source is EventSource.SES:
        mail = record.get("mail")
        value = mail.get("messageId") if isinstance(mail, Mapping) else None
    elif source is EventSource.SMS_V2:
        value = record.get("messageId")
    elif source is EventSource.SMS_INBOUND:
        value = record.get("inboundMessageId")
    else:
        value = None
    return value if isinstance(value, str) else None


def _one(
    source: EventSource,
    builder: _Builder,
    index: int | None,
    record: Any,
    *,
    record_id: str | None = None,
    **kwargs: Any,
) -> EventRecord | Reject:
    try:
        return builder(record, **kwargs)
    except InvalidRecordError as exc:
        problems = tuple(exc.problems)
    except ValidationError as exc:
        problems = tuple(_problems(exc))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        # OverflowError: a JSON integer too large for a float (an SMS price of 1e400).
        problems = (FieldProblem("(record)", f"cannot be read: {exc}"),)
    return Reject(source.value, index, record_id or _record_id(source, record), problems, record)


def _many(
    source: EventSource,
    builder: _Builder,
    records: Iterable[Any],
    *,
    app_id: str,
    arrival_timestamp: int | None,
    aws_account_id: str | None,
) -> Normalised:
    arrival = now_ms() if arrival_timestamp is None else arrival_timestamp
    out = Normalised([], [])
    for index, record in enumerate(records):
        result = _one(
            source,
            builder,
            index,
            record,
            app_id=app_id,
            arrival=arrival,
            aws_account_id=aws_account_id,
        )
        (out.records if isinstance(result, EventRecord) else out.rejects).append(result)  # type: ignore[arg-type]
    return out
