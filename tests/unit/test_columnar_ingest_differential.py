"""The columnar event ingestion against the per-record path, its reference: for random
JSON lines of mixed records (SES, SMS v2 and Pinpoint records in their common shapes,
rare shapes such as PutEvents bodies, envelopes and inbound SMS, records with a field
broken or removed, lines that are not JSON, blank lines), both store the same rows and
give the same rejects (source, line, record id, every field and reason, the raw input),
in order.

The vocabularies are small on purpose: message ids and event ids repeat, so lines
duplicate each other within a batch and across batches (the first copy wins).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.columnar_ingest import DuckDBColumnarEventIngest
from clarion.adapters.local.events.event_sink import DuckDBEventStore
from clarion.domain.events.normalise.lines import normalise_json_lines

EVENTS = Path(__file__).resolve().parents[1] / "events"
ARRIVAL = 1772500000000


def _fixtures(folder: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((EVENTS / folder).glob("*.json"))]


SES = _fixtures("ses")
SMS = [r for r in _fixtures("sms_v2") if "inboundMessageId" not in r]
INBOUND = [r for r in _fixtures("sms_v2") if "inboundMessageId" in r]
PUT_EVENTS = _fixtures("put_events")
PINPOINT = [
    {
        "event_type": "_session.start",
        "event_timestamp": 1772442000000,
        "arrival_timestamp": 1772442000500,
        "application": {"app_id": "app-1", "sdk": {}},
        "client": {"client_id": "endpoint-1"},
        "session": {"session_id": "s-1", "start_timestamp": 1772442000000},
        "attributes": {"screen": "home"},
        "metrics": {},
        "event_id": "app-1",
    },
    {
        "event_type": "_monetization.purchase",
        "event_timestamp": 1772442000000,
        "arrival_timestamp": 1772442000500,
        "event_version": "3.1",
        "application": {"app_id": "app-1", "sdk": {"name": "aws-amplify", "version": "6"}},
        "client": {"client_id": "endpoint-2"},
        "attributes": {"_currency": "EUR"},
        "metrics": {"_quantity": 2, "_item_price": 9.99},
        "event_id": "app-2",
    },
    {
        "event_type": "AddToCart",
        "event_timestamp": 1772442000000,
        "arrival_timestamp": 1772442000500,
        "application": {"app_id": "app-1"},
        "device": {"platform": {"name": "ios"}},  # a device: the rare kind
        "event_id": "app-3",
    },
]
COMMON = SES + SMS + PINPOINT
RARE = PUT_EVENTS + INBOUND
# Values a mutated field takes: right and wrong types, empty, out of range, long.
ODD_VALUES = [
    None,
    "",
    "x",
    0,
    -1,
    True,
    1.5,
    float("nan"),
    1772442000,
    1772442000000,
    "2026-03-02T09:15:02.480Z",
    "2026-13-02T09:15:02Z",
    "Permanent",
    "TEXT_DELIVERED",
    "VOICE_BUSY",
    "Bounce",
    "Subscription",
    [],
    ["a@example.com"],
    {},
    {"clarion": "app_id=other&endpoint_id=ep-9"},
    {"clarion-endpoint-id": ["ep-7"]},
    "é" * 250,
    10**400,
]
# Ids whose repeats make duplicates (the same message, the same event).
IDS = ["m-1", "m-2", "m-3"]
NOT_JSON = ["{", "not json", '{"eventType": "Send",}', "[1, 2"]


@st.composite
def records(draw: st.DrawFn) -> Any:
    pool = draw(st.sampled_from(["common"] * 6 + ["rare"]))
    record = copy.deepcopy(draw(st.sampled_from(COMMON if pool == "common" else RARE)))
    # Repeated ids, so that records duplicate each other.
    if "mail" in record and isinstance(record["mail"], dict):
        record["mail"]["messageId"] = draw(st.sampled_from(IDS))
    elif "messageId" in record:
        record["messageId"] = draw(st.sampled_from(IDS))
    elif "event_id" in record:
        record["event_id"] = draw(st.sampled_from(IDS))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        _mutate(draw, record)
    wrap = draw(st.integers(min_value=0, max_value=15))
    if wrap == 0:
        return {"Type": "Notification", "Message": json.dumps(record)}
    if wrap == 1:
        return {"detail-type": "SES event", "detail": record}
    return record


def _mutate(draw: st.DrawFn, record: dict[str, Any]) -> None:
    """Replace or remove one field, at the top or one level down."""
    target = record
    nested = [k for k, v in record.items() if isinstance(v, dict) and v]
    if nested and draw(st.booleans()):
        target = record[draw(st.sampled_from(sorted(nested)))]
    if not target:
        return
    key = draw(st.sampled_from(sorted(target)))
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        del target[key]
    else:
        target[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))


@st.composite
def files(draw: st.DrawFn) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        kind = draw(st.integers(min_value=0, max_value=20))
        if kind == 0:
            lines.append(draw(st.sampled_from(NOT_JSON)))
        elif kind == 1:
            lines.append(draw(st.sampled_from(["", "   "])))
        else:
            lines.append(json.dumps(draw(records())))
    return lines


def _stored(database: LocalDatabase) -> list[tuple[Any, ...]]:
    return database.cursor().execute("SELECT * FROM events ORDER BY event_id").fetchall()


def _reference(lines: list[str], batch: int, account: str | None) -> tuple[Any, ...]:
    database = LocalDatabase(None)
    store = DuckDBEventStore(database)
    accepted = 0
    rejects = []
    for start in range(0, max(len(lines), 1), batch):
        normalised = normalise_json_lines(
            lines[start : start + batch],
            app_id="app-0",
            arrival_timestamp=ARRIVAL,
            aws_account_id=account,
            first_index=start,
        )
        store.put_records(normalised.records)
        accepted += len(normalised.records)
        rejects.extend(normalised.rejects)
    stored = _stored(database)
    database.close()
    return accepted, rejects, stored


def _columnar(lines: list[str], batch: int, account: str | None) -> tuple[Any, ...]:
    database = LocalDatabase(None)
    result = DuckDBColumnarEventIngest(database, batch_size=batch).ingest_lines(
        lines, app_id="app-0", arrival_timestamp=ARRIVAL, aws_account_id=account
    )
    stored = _stored(database)
    database.close()
    return result.accepted, result.rejects, stored


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    files(),
    st.sampled_from([3, 7, 10_000]),
    st.sampled_from([None, "123456789012"]),
)
def test_columnar_ingest_gives_the_reference_result(
    lines: list[str], batch: int, account: str | None
) -> None:
    # Batches of lines on both sides: the same boundaries, so "first copy wins" is
    # checked within batches and across them.
    assert _columnar(lines, batch, account) == _reference(lines, batch, account)


def test_common_shapes_take_the_fast_rows_and_rare_ones_the_reference() -> None:
    lines = [json.dumps(r) for r in COMMON + RARE] + ["{", ""]
    database = LocalDatabase(None)
    result = DuckDBColumnarEventIngest(database).ingest_lines(
        lines, app_id="app-0", arrival_timestamp=ARRIVAL
    )
    stored = _stored(database)
    database.close()
    # The device-carrying Pinpoint record, the PutEvents bodies, the inbound messages:
    # the reference made them; the not-JSON line is rejected with its position.
    assert result.deferred == 1 + len(RARE)
    assert [(r.index, r.problems[0].field) for r in result.rejects][-1:] == [
        (len(COMMON + RARE), "(line)")
    ]
    assert (result.accepted, result.rejects, stored) == _reference(lines, 10_000, None)
