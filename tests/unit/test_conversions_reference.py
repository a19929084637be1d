"""Property tests: the conversions SQL (on DuckDB) agrees with the plain-Python reference
model (clarion_devkit/reference/conversions.py) on random campaigns: touches from two
campaigns, holdouts, failed and skipped sends, purchases before, inside and after the
window, currencies, last and first touch, attribute and metric filters."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.event_sink import DuckDBEventStore
from clarion.domain.analytics.goals import validate_goals
from clarion.domain.common.errors import NotFoundError
from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
from clarion.services.analytics.conversions import ConversionService
from clarion.services.analytics.goals import GoalService
from clarion_devkit.reference.conversions import ReferenceConversions

T = 1_772_442_000_000
HOUR = 3_600_000
ENDPOINTS = [f"e{n}" for n in range(5)]


class MemoryGoals:
    """A ConversionGoalStore in a dict."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    def save_goals(self, document: Any) -> None:
        self.documents[document["Scope"]] = dict(document)

    def get_goals(self, scope: str, version: int | None = None) -> dict[str, Any]:
        if scope not in self.documents:
            raise NotFoundError("conversion goals", scope)
        return self.documents[scope]

    def list_goals(self) -> list[dict[str, Any]]:
        return list(self.documents.values())


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDatabase]:
    database = LocalDatabase(Path(tmp_path_factory.mktemp("conversions")) / "home")
    yield database
    database.close()


def _record(kind: str, endpoint: str, at: int, attributes: dict, metrics: dict | None = None):
    return {
        "event_type": kind,
        "event_timestamp": at,
        "arrival_timestamp": at,
        "application": {"app_id": "app"},
        "client": {"client_id": endpoint},
        "attributes": attributes,
        "metrics": metrics or {},
    }


statuses = st.sampled_from(["SUCCESS", "SUCCESS", "HOLDOUT", "OPT_OUT", "PERMANENT_FAILURE", None])
purchase = st.tuples(
    st.integers(-24, 240),  # hours after T
    st.integers(1, 50_000),  # price in cents
    st.integers(1, 3),  # quantity
    st.sampled_from(["USD", "USD", "EUR", None]),
    st.sampled_from(["a", "b"]),
)


@st.composite
def campaigns(draw: st.DrawFn) -> dict[str, Any]:
    second_run = draw(st.integers(1, 96))
    rival_run = draw(st.integers(0, 120))
    records = []
    for endpoint in ENDPOINTS:
        treatment = draw(st.sampled_from(["0", "1"]))
        for run, at in (("R1", T), ("R2", T + second_run * HOUR)):
            status = draw(statuses)
            if status is not None:
                records.append(
                    _record(
                        "_campaign.send",
                        endpoint,
                        at,
                        {
                            "campaign_id": "C1",
                            "treatment_id": treatment,
                            "run_id": run,
                            "campaign_send_status": status,
                        },
                    )
                )
        if draw(st.booleans()):
            records.append(
                _record(
                    "_campaign.send",
                    endpoint,
                    T + rival_run * HOUR,
                    {"campaign_id": "C2", "treatment_id": "0", "run_id": "X1",
                     "campaign_send_status": "SUCCESS"},
                )
            )  # fmt: skip
        for hours, cents, quantity, currency, product in draw(st.lists(purchase, max_size=3)):
            attributes = {"_product_id": product}
            if currency:
                attributes["_currency"] = currency
            records.append(
                _record(
                    "_monetization.purchase",
                    endpoint,
                    T + hours * HOUR + 1,
                    attributes,
                    {"_item_price": cents / 100, "_quantity": float(quantity)},
                )
            )
    goal: dict[str, Any] = {
        "Name": "g",
        "EventFilter": {
            "FilterType": "ENDPOINT",
            "Dimensions": {"EventType": {"Values": ["_monetization.purchase"]}},
        },
        "AttributionWindow": draw(st.sampled_from(["PT1H", "P1D", "P3D", "P7D"])),
        "AttributionModel": draw(st.sampled_from(["LAST_TOUCH", "FIRST_TOUCH"])),
    }
    if draw(st.booleans()):
        goal["EventFilter"]["Dimensions"]["Attributes"] = {
            "_product_id": {"AttributeType": draw(st.sampled_from(["INCLUSIVE", "EXCLUSIVE"])),
                            "Values": ["a"]}
        }  # fmt: skip
    if draw(st.booleans()):
        goal["EventFilter"]["Dimensions"]["Metrics"] = {
            "_item_price": {"ComparisonOperator": "GREATER_THAN", "Value": 100.0}
        }
    return {"records": records, "goal": goal}


def _money(value: Decimal | float) -> float:
    return round(float(value), 6)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(campaigns())
def test_the_sql_agrees_with_the_reference(database: LocalDatabase, case: dict[str, Any]) -> None:
    database.cursor().execute("DELETE FROM events")
    normalised = normalise_pinpoint_records(case["records"])
    assert normalised.rejects == []
    DuckDBEventStore(database).put_records(normalised.records)
    store = MemoryGoals()
    goals = GoalService(store)
    goals.put_goals({"Goals": [case["goal"]]}, campaign_id="C1")
    (goal,) = validate_goals({"Goals": [case["goal"]]}).goals
    reference = ReferenceConversions(normalised.records, "C1", goal)

    (figures,) = ConversionService(DuckDBAnalyticsQuery(database), goals).campaign_conversions(
        "C1"
    )["goals"]

    expected = reference.attribution()
    by_variant = {t["treatment_id"]: t for t in figures["treatments"]}
    if figures["holdout"] is not None and figures["holdout"]["messages"]:
        by_variant["HOLDOUT"] = figures["holdout"]
    assert set(by_variant) == {v for v, f in expected.items() if f.touches}
    for variant, got in by_variant.items():
        want = expected[variant]
        assert got["messages"] == len(want.touches), variant
        assert got["endpoints"] == want.endpoints, variant
        assert got["converted_messages"] == len(want.converted_touches), variant
        assert got["converted_endpoints"] == len(want.converted_endpoints), variant
        assert got["conversions"] == len(want.conversions), variant
        assert got["revenue"] == _money(want.revenue), variant

    arms = reference.experiment()
    lift = figures["incrementality"]["lift"]
    treated, holdout = arms.get("treated"), arms.get("holdout")
    if lift is None:
        assert treated is None or holdout is None
        return
    assert treated is not None and holdout is not None
    for name, arm in (("treated", treated), ("holdout", holdout)):
        got = lift[name]
        assert got["endpoints"] == len(arm.endpoints), name
        assert got["converted_endpoints"] == arm.converted, name
        assert got["conversions"] == arm.conversions, name
        assert got["revenue"] == _money(arm.revenue), name
