"""``build_record`` (the normalisers' fast constructor) makes the record the validating
constructor makes, and refuses what it refuses, with the same errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from clarion.domain.events.normalise import ses as ses_normaliser
from clarion.domain.events.normalise import sms as sms_normaliser
from clarion.domain.events.normalise.ses import normalise_ses_events
from clarion.domain.events.normalise.sms import normalise_sms_events
from clarion.domain.events.records import (
    Application,
    Client,
    EventRecord,
    application_part,
    build_record,
    client_part,
)

EVENTS = Path(__file__).resolve().parents[1] / "events"
ARRIVAL = 1772442001000


def _same(fast: EventRecord, slow: EventRecord) -> None:
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert fast.model_dump() == slow.model_dump()
    assert fast.to_json(with_event_id=True) == slow.to_json(with_event_id=True)
    assert fast.model_fields_set == slow.model_fields_set
    for part in ("application", "client", "device", "session"):
        assert getattr(fast, part).model_fields_set == getattr(slow, part).model_fields_set
    assert type(fast.metrics) is dict and type(fast.attributes) is dict


def _base(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_type": "_email.send",
        "event_timestamp": 1772442000000,
        "arrival_timestamp": ARRIVAL,
        "application": Application(app_id="app-1"),
        "client": Client(client_id="e-1"),
        "attributes": {"campaign_id": "c-1"},
        "metrics": {"price": 1.5},
        "aws_account_id": "123456789012",
        "facets": {"email_channel": {"mail_event": {}}},
        "event_id": "id-1",
    }
    values.update(changes)
    return values


def test_a_valid_record_is_the_validated_one() -> None:
    values = _base()
    _same(build_record(**values), EventRecord(**values))


def test_defaults_are_the_validated_defaults() -> None:
    values = {
        "event_type": "x",
        "event_timestamp": 1772442000000,
        "arrival_timestamp": ARRIVAL,
        "application": application_part("app-1"),
        "event_id": "id",
    }
    _same(build_record(**values), EventRecord(**values))


def test_parts_are_the_validated_parts() -> None:
    assert application_part("a") == Application(app_id="a")
    assert application_part("a").model_fields_set == Application(app_id="a").model_fields_set
    assert client_part(None) == Client(client_id=None)
    assert client_part("e") == Client(client_id="e")
    assert client_part("e").model_fields_set == Client(client_id="e").model_fields_set
    with pytest.raises(ValidationError):
        application_part(5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        client_part(5)  # type: ignore[arg-type]


def test_an_int_metric_is_made_a_float_as_validation_does() -> None:
    values = _base(metrics={"n": 2})
    fast = build_record(**values)
    _same(fast, EventRecord(**values))
    assert type(fast.metrics["n"]) is float


@pytest.mark.parametrize(
    "changes",
    [
        {"event_type": ""},
        {"event_type": 5},
        {"event_timestamp": 1772442000},
        {"event_timestamp": "1772442000000"},
        {"event_timestamp": True},
        {"arrival_timestamp": 1.5},
        {"attributes": {"a": "x" * 201}},
        {"attributes": {"a": 5}},
        {"metrics": {"m": math.inf}},
        {"metrics": {"m": math.nan}},
        {"metrics": {"m": "1"}},
        {"metrics": {"m": True}},
        {"aws_account_id": 123456789012},
        {"facets": {1: "x"}},
        {"endpoint": {1: "x"}},
        {"event_id": ""},
        {"event_id": None},
    ],
)
def test_what_validation_refuses_is_refused_the_same(changes: dict[str, Any]) -> None:
    values = _base(**changes)
    with pytest.raises(ValidationError) as slow:
        EventRecord(**values)
    with pytest.raises(ValidationError) as fast:
        build_record(**values)
    assert fast.value.errors(include_context=False) == slow.value.errors(include_context=False)


@pytest.mark.parametrize(
    ("folder", "normalise"),
    [("ses", normalise_ses_events), ("sms_v2", normalise_sms_events)],
)
def test_fixtures_normalise_to_the_validated_records(
    folder: str, normalise: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [json.loads(p.read_text()) for p in sorted((EVENTS / folder).glob("*.json"))]
    fast = normalise(records, app_id="app-1", arrival_timestamp=ARRIVAL)
    for normaliser in (ses_normaliser, sms_normaliser):
        monkeypatch.setattr(normaliser, "build_record", EventRecord)
        monkeypatch.setattr(normaliser, "application_part", lambda a: Application(app_id=a))
        monkeypatch.setattr(normaliser, "client_part", lambda c: Client(client_id=c))
    slow = normalise(records, app_id="app-1", arrival_timestamp=ARRIVAL)
    assert [str(r) for r in fast.rejects] == [str(r) for r in slow.rejects]
    assert len(fast.records) == len(slow.records) > 0
    for one, other in zip(fast.records, slow.records, strict=True):
        _same(one, other)
