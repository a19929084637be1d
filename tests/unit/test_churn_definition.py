"""The definition of churn changes the labels and the population as stated, on
hand-made histories run through the features SQL on DuckDB; the purchase-only features
are what the history says; an event after the cut-off changes no feature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.churn import ChurnDefinition, DefinitionMismatchError, epoch_ms
from clarion.domain.events.records import EventRecord

# The held-out cut-off of every case: midnight UTC, well in the past.
CUTOFF = datetime(2025, 3, 1, tzinfo=UTC)
PURCHASE, SESSION = "_monetization.purchase", "_session.start"


def _at(days: float) -> int:
    return epoch_ms(CUTOFF + timedelta(days=days))


@pytest.fixture(scope="module")
def boot(tmp_path_factory: pytest.TempPathFactory) -> Bootstrap:
    home: Path = tmp_path_factory.mktemp("definition")
    b = Bootstrap(Settings().with_overrides(backend="local", home=home))
    created = (CUTOFF - timedelta(days=400)).isoformat().replace("+00:00", "Z")
    b.adapters.profile_store.put_endpoints(
        [
            Endpoint.model_validate(
                {
                    "Id": name,
                    "ChannelType": "EMAIL",
                    "Address": f"{name}@example.com",
                    "CreationDate": created,
                }
            )
            for name in ("buyer", "visitor", "lapsed", "app", "late", "regular")
        ]
    )
    # (endpoint, event type, days after the cut-off, price)
    history: list[tuple[str, str, float, float]] = [
        # Bought before the cut-off; visited, but did not buy, after it.
        ("buyer", PURCHASE, -5.5, 20.0),
        ("buyer", SESSION, 2.5, 0.0),
        # Only visits.
        ("visitor", SESSION, -5.5, 0.0),
        # Bought 40 days before and again the day after the cut-off.
        ("lapsed", PURCHASE, -39.5, 10.0),
        ("lapsed", PURCHASE, 1.5, 10.0),
        # A custom event only.
        ("app", "app.open", -3.5, 0.0),
        # Bought before, and again 10.5 days after the cut-off.
        ("late", PURCHASE, -2.5, 5.0),
        ("late", PURCHASE, 10.5, 5.0),
        # Three purchases ten days apart, the last 9.5 days before the cut-off.
        ("regular", PURCHASE, -29.5, 30.0),
        ("regular", PURCHASE, -19.5, 30.0),
        ("regular", PURCHASE, -9.5, 60.0),
    ]
    records = []
    for k, (endpoint, kind, days, price) in enumerate(history):
        stamp = _at(days)
        record: dict[str, Any] = {
            "event_type": kind,
            "event_timestamp": stamp,
            "arrival_timestamp": stamp,
            "application": {"app_id": "shop"},
            "client": {"client_id": endpoint},
            "event_id": f"hand-{k}",
        }
        if kind == PURCHASE:
            record["metrics"] = {"_item_price": price, "_quantity": 1.0}
        records.append(EventRecord.model_validate(record))
    b.adapters.event_sink.put_records(records)
    return b


def _held_out(boot: Bootstrap, definition: ChurnDefinition) -> dict[str, dict[str, Any]]:
    # The held-out cut-off is one label window before the as-of date.
    as_of = CUTOFF + timedelta(days=definition.label_days)
    rows = boot.churn_service.dataset(as_of, ["eval"], definition)
    return {r["id"]: r for r in rows}


def test_activity_events_choose_the_population_and_the_label(boot: Bootstrap) -> None:
    default = _held_out(boot, ChurnDefinition(10, 30))
    shop = _held_out(boot, ChurnDefinition(10, 30, (PURCHASE,)))
    app = _held_out(boot, ChurnDefinition(10, 30, ("app.open",)))

    # Sessions and purchases: the visit after the cut-off keeps the buyer.
    assert default["buyer"]["churned"] == 0 and default["visitor"]["churned"] == 1
    assert set(default) == {"buyer", "visitor", "late", "regular"}
    # Purchases only: the visitor was never active, and the buyer churned.
    assert set(shop) == {"buyer", "late", "regular"}
    assert shop["buyer"]["churned"] == 1
    # A custom event list.
    assert set(app) == {"app"} and app["app"]["churned"] == 1


def test_the_population_window_and_the_label_window(boot: Bootstrap) -> None:
    month = _held_out(boot, ChurnDefinition(10, 30, (PURCHASE,)))
    quarter = _held_out(boot, ChurnDefinition(10, 60, (PURCHASE,)))
    # Active 40 days before the cut-off: in the population only with 60 days.
    assert "lapsed" not in month
    assert quarter["lapsed"]["churned"] == 0
    # The purchase 10.5 days after the cut-off is outside a 10-day window, inside 11.
    assert month["late"]["churned"] == 1
    assert _held_out(boot, ChurnDefinition(11, 30, (PURCHASE,)))["late"]["churned"] == 0


def test_purchase_only_features(boot: Bootstrap) -> None:
    row = _held_out(boot, ChurnDefinition(10, 60, (PURCHASE,)))["regular"]
    assert row["btyd_frequency"] == 2  # three purchase days
    assert row["btyd_recency"] == 20  # first to last
    assert row["btyd_age"] == 30  # first to the cut-off
    assert row["gap_mean_days"] == pytest.approx(10.0)
    assert row["gap_std_days"] == pytest.approx(0.0)
    assert row["days_since_last_activity"] == pytest.approx(9.5)
    assert row["gap_overdue"] == pytest.approx(0.95)
    assert row["purchases_365d"] == 3 and row["revenue_365d"] == pytest.approx(120.0)
    assert row["avg_order_value"] == pytest.approx(40.0)
    assert row["activity_30d"] == 3 and row["activity_7d"] == 0
    # One purchase day: no gap to speak of.
    buyer = _held_out(boot, ChurnDefinition(10, 60, (PURCHASE,)))["buyer"]
    assert buyer["btyd_frequency"] == 0 and buyer["gap_mean_days"] == -1.0


def test_an_event_after_the_cut_off_changes_no_feature(boot: Bootstrap) -> None:
    definition = ChurnDefinition(10, 60, (PURCHASE,))
    before = _held_out(boot, definition)
    stamp = _at(0.25)
    boot.adapters.event_sink.put_records(
        [
            EventRecord.model_validate(
                {
                    "event_type": PURCHASE,
                    "event_timestamp": stamp,
                    "arrival_timestamp": stamp,
                    "application": {"app_id": "shop"},
                    "client": {"client_id": "regular"},
                    "metrics": {"_item_price": 999.0, "_quantity": 1.0},
                    "event_id": "after-the-cut-off",
                }
            )
        ]
    )
    after = _held_out(boot, definition)
    features = [k for k in before["regular"] if k != "churned"]
    assert {k: after["regular"][k] for k in features} == {k: before["regular"][k] for k in features}
    assert before["regular"]["churned"] == 1 and after["regular"]["churned"] == 0


def test_definitions_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one event type"):
        ChurnDefinition(activity_events=())
    with pytest.raises(ValueError, match="no commas"):
        ChurnDefinition(activity_events=("a,b",))
    with pytest.raises(ValueError, match="label_days"):
        ChurnDefinition(label_days=0)
    model = ChurnDefinition(91, 365, (PURCHASE,))
    assert ChurnDefinition.from_json(model.to_json()) == model
    assert ChurnDefinition.from_json(None) == ChurnDefinition()  # records made before
    from clarion.domain.churn import require_same_definition

    with pytest.raises(DefinitionMismatchError, match="--label-days 91 --active-days 365"):
        require_same_definition("m", model, ChurnDefinition())
