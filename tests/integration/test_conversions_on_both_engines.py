"""Conversions on a hand-checked campaign, through the one SQL source on both engines:
the DuckDB AnalyticsQuery, and the Athena one on moto with its queries answered over the
same ``events`` relation (``athena_lake`` in conftest.py), so the Trino text Athena
would get is bound, sent, paged and typed for real.

Campaign C1, goal: purchases (``_monetization.purchase``) within 7 days, last touch.
T is 2026-03-02 09:00 UTC; prices are ``_item_price`` x ``_quantity``.

=========  =========  ===============================================================
endpoint   treatment  what happened
=========  =========  ===============================================================
e1         0          sent in R1 at T and in R2 at T+2d; bought 19.99 x 2 at T+3d
                      (last touch: R2; first touch: R1)
e2         0          sent at T, clicked at T+30min; bought 8.00 at T-1h (before the
                      send) and 9.00 at T+8d (after the window): no conversion
e3         0          sent at T, clicked at T+1h; bought 5.00 USD at T+2h and 10.00
                      EUR at T+1d (a conversion whose revenue is in another currency)
e4         1          sent at T; bought 100.10 x 3 at T+1d; campaign C2 emailed it at
                      T+5d, so its 50.00 purchase at T+6d23h is C2's (last touch)
e5         1          its message failed (PERMANENT_FAILURE); bought 7.00 at T+1d:
                      no message to credit, but treated in the experiment
e8         1          opted out (never assigned); bought 4.00 at T+1h: counts nowhere
e6         HOLDOUT    held out in R1 and R2; bought 12.50 at T+1d
e7         HOLDOUT    held out in R1; no purchase
=========  =========  ===============================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from clarion.domain.common.intervals import difference_of_means, difference_of_proportions
from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.events import EventSink
from clarion.services.analytics.conversions import ConversionService, ScanBounds
from clarion.services.analytics.goals import GoalService

AthenaLake = Any

T = 1_772_442_000_000  # 2026-03-02T09:00:00Z
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass
class Engine:
    name: str
    query: AnalyticsQuery
    events: EventSink
    sent: list[str] | None


@pytest.fixture(params=["local", "aws"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    if request.param == "local":
        from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery
        from clarion.adapters.local.common.database import LocalDatabase

        database = LocalDatabase(tmp_path / "home")
        yield Engine("local", DuckDBAnalyticsQuery(database), DuckDBEventStore(database), None)
        database.close()
        return
    from clarion.adapters.aws.analytics.analytics_query import AthenaAnalyticsQuery

    lake: AthenaLake = request.getfixturevalue("athena_lake")
    query = AthenaAnalyticsQuery(
        lake.client, lake.workgroup, lake.database_name, sleep=lambda _: None
    )
    yield Engine("aws", query, DuckDBEventStore(lake.database), lake.queries)


@pytest.fixture
def goals(tmp_path: Path) -> Iterator[GoalService]:
    from clarion.adapters.local.analytics.goal_store import DuckDBConversionGoalStore
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(tmp_path / "goals")
    yield GoalService(DuckDBConversionGoalStore(database))
    database.close()


def _record(event_type: str, endpoint: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "event_timestamp": at,
        "arrival_timestamp": at,
        "application": {"app_id": "app-1"},
        "client": {"client_id": endpoint},
        "attributes": fields.get("attributes", {}),
        "metrics": fields.get("metrics", {}),
    }


def send(endpoint: str, treatment: str, run: str, at: int, status: str, campaign: str = "C1"):
    return _record(
        "_campaign.send",
        endpoint,
        at,
        attributes={
            "campaign_id": campaign,
            "campaign_activity_id": run,
            "treatment_id": treatment,
            "run_id": run,
            "campaign_send_status": status,
            "delivery_type": "EMAIL",
        },
    )


def buy(endpoint: str, at: int, price: float, quantity: float = 1, currency: str = "USD"):
    return _record(
        "_monetization.purchase",
        endpoint,
        at,
        attributes={"_currency": currency, "_product_id": "sku-1"},
        metrics={"_item_price": price, "_quantity": quantity},
    )


def click(endpoint: str, run: str, at: int) -> dict[str, Any]:
    return _record(
        "_email.click",
        endpoint,
        at,
        attributes={
            "campaign_id": "C1",
            "treatment_id": "0",
            "run_id": run,
            "message_id": endpoint,
        },
    )


def campaign_records() -> list[dict[str, Any]]:
    return [
        send("e1", "0", "R1", T, "SUCCESS"),
        send("e1", "0", "R2", T + 2 * DAY, "SUCCESS"),
        send("e2", "0", "R1", T, "SUCCESS"),
        send("e3", "0", "R1", T, "SUCCESS"),
        send("e4", "1", "R1", T, "SUCCESS"),
        send("e5", "1", "R1", T, "PERMANENT_FAILURE"),
        send("e8", "0", "R1", T, "OPT_OUT"),
        send("e6", "0", "R1", T, "HOLDOUT"),
        send("e6", "0", "R2", T + 2 * DAY, "HOLDOUT"),
        send("e7", "0", "R1", T, "HOLDOUT"),
        send("e4", "0", "X1", T + 5 * DAY, "SUCCESS", campaign="C2"),
        click("e2", "R1", T + 30 * MINUTE),
        click("e3", "R1", T + HOUR),
        buy("e1", T + 3 * DAY, 19.99, 2),
        buy("e2", T - HOUR, 8.00),
        buy("e2", T + 8 * DAY, 9.00),
        buy("e3", T + 2 * HOUR, 5.00),
        buy("e3", T + DAY, 10.00, currency="EUR"),
        buy("e4", T + DAY, 100.10, 3),
        buy("e4", T + 6 * DAY + 23 * HOUR, 50.00),
        buy("e5", T + DAY, 7.00),
        buy("e8", T + HOUR, 4.00),
        buy("e6", T + DAY, 12.50),
        _record("_session.start", "e7", T + HOUR),
    ]


@pytest.fixture
def conversions(engine: Engine, goals: GoalService) -> ConversionService:
    normalised = normalise_pinpoint_records(campaign_records())
    assert normalised.rejects == []
    engine.events.put_records(normalised.records)
    return ConversionService(engine.query, goals)


def _goal(result: dict[str, Any]) -> dict[str, Any]:
    (goal,) = result["goals"]
    return goal


def test_attributed_conversions_last_touch(conversions: ConversionService) -> None:
    goal = _goal(conversions.campaign_conversions("C1"))

    assert goal["goal"] == "purchase" and goal["attribution_model"] == "LAST_TOUCH"
    attributed = goal["attributed"]
    assert {k: attributed[k] for k in attributed if k != "conversion_rate"} == {
        "endpoints": 4,  # e1, e2, e3, e4 got a message
        "messages": 5,  # e1 got two
        "converted_endpoints": 3,  # e1, e3, e4
        "converted_messages": 3,  # e1's R2 message, e3's, e4's
        "conversions": 4,  # e1's, e3's two, e4's first
        "revenue": 345.28,  # 39.98 + 5.00 + 300.30, summed exactly; the EUR one apart
        "revenue_excluded_conversions": 1,
        "avg_seconds_to_convert": 60000.0,  # (1 day + 2 hours + 1 day) / 3
        "clicked_messages": 2,  # e2's and e3's
        "clicked_converted_messages": 1,  # e3 bought after clicking
        "click_to_conversion_rate": 0.5,
    }
    assert attributed["conversion_rate"] == pytest.approx(3 / 4)


def test_attributed_per_treatment_run_day_and_the_holdout(conversions: ConversionService) -> None:
    goal = _goal(conversions.campaign_conversions("C1"))

    def pick(row: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("messages", "endpoints", "converted_endpoints", "conversions", "revenue")
        return tuple(row[k] for k in keys)

    treatments = {t["treatment_id"]: pick(t) for t in goal["treatments"]}
    assert treatments == {"0": (4, 3, 2, 3, 44.98), "1": (1, 1, 1, 1, 300.3)}
    # Last touch: e1's purchase is R2's, the later message.
    assert {r["run_id"]: pick(r) for r in goal["runs"]} == {
        "R1": (4, 4, 2, 3, 305.3),
        "R2": (1, 1, 1, 1, 39.98),
    }
    # The holdout's would-be messages (e6 twice, e7): e6's purchase follows R1's.
    assert pick(goal["holdout"]) == (3, 2, 1, 1, 12.5)
    # By whole days after the credited message: e3's first purchase within the day; e1's
    # (a day after R2), e3's EUR one and e4's a day after; e6's a day after its would-be one.
    assert [
        (d["days_after_message"], d["arm"], d["conversions"], d["revenue"])
        for d in goal["days_after_message"]
    ] == [(0, "treated", 1, 5.0), (1, "holdout", 1, 12.5), (1, "treated", 3, 340.28)]


def test_first_touch_credits_the_earlier_message(
    conversions: ConversionService, goals: GoalService
) -> None:
    goals.put_goals(
        {
            "Goals": [
                {
                    "Name": "first",
                    "EventFilter": {
                        "FilterType": "ENDPOINT",
                        "Dimensions": {"EventType": {"Values": ["_monetization.purchase"]}},
                    },
                    "AttributionModel": "FIRST_TOUCH",
                }
            ]
        },
        campaign_id="C1",
    )

    goal = _goal(conversions.campaign_conversions("C1"))

    runs = {r["run_id"]: (r["converted_messages"], r["revenue"]) for r in goal["runs"]}
    assert runs == {"R1": (3, 395.28), "R2": (0, 0.0)}
    # e4's second purchase is now C1's: its message came before C2's.
    assert goal["attributed"]["conversions"] == 5


def test_the_experiment_treated_against_holdout(conversions: ConversionService) -> None:
    goal = _goal(conversions.campaign_conversions("C1"))
    lift = goal["incrementality"]["lift"]

    # Treated: e1..e5 (e5's failed message still assigned it; e8 never was).
    assert lift["treated"] == {
        "endpoints": 5,
        "converted_endpoints": 4,
        "conversion_rate": 0.8,
        "conversions": 6,  # e1 1, e3 2, e4 2 (C2's credit does not matter here), e5 1
        "revenue": 402.28,
        "revenue_per_endpoint": pytest.approx(80.456),
        "revenue_excluded_conversions": 1,
    }
    assert lift["holdout"]["endpoints"] == 2 and lift["holdout"]["converted_endpoints"] == 1
    assert lift["holdout"]["revenue"] == 12.5
    expected = difference_of_proportions(4, 5, 1, 2)
    assert lift["conversion_rate_difference"] == expected.to_json()
    assert lift["incremental_converted_endpoints"]["estimate"] == pytest.approx(0.3 * 5)
    assert lift["incremental_converted_endpoints"]["low"] == pytest.approx(expected.low * 5)
    revenue = difference_of_means(
        402.28,
        39.98**2 + 5.0**2 + 350.3**2 + 7.0**2,
        5,
        12.5,
        12.5**2,
        2,
    )
    assert lift["incremental_revenue"]["estimate"] == pytest.approx(revenue.difference * 5)
    assert lift["incremental_revenue"]["low"] == pytest.approx(revenue.low * 5)
    assert goal["window_end"] == "2026-03-11T09:00:00.000Z"  # e1's and e6's R2 + 7 days
    assert goal["window_complete"] is True


def test_the_experiment_per_treatment_and_per_run(conversions: ConversionService) -> None:
    incrementality = _goal(conversions.campaign_conversions("C1"))["incrementality"]

    treatments = {t["treatment_id"]: t for t in incrementality["treatments"]}
    assert (treatments["0"]["endpoints"], treatments["0"]["converted_endpoints"]) == (3, 2)
    assert (treatments["1"]["endpoints"], treatments["1"]["converted_endpoints"]) == (2, 2)
    assert treatments["1"]["lift"] == difference_of_proportions(2, 2, 1, 2).to_json()
    runs = {r["run_id"]: r for r in incrementality["runs"]}
    assert (runs["R1"]["treated"]["converted_endpoints"], runs["R1"]["treated"]["endpoints"]) == (
        4,
        5,
    )
    assert (runs["R1"]["holdout"]["converted_endpoints"], runs["R1"]["holdout"]["endpoints"]) == (
        1,
        2,
    )
    # R2's window starts at its own sends: e6's purchase came before it.
    assert (runs["R2"]["treated"]["converted_endpoints"], runs["R2"]["treated"]["endpoints"]) == (
        1,
        1,
    )
    assert (runs["R2"]["holdout"]["converted_endpoints"], runs["R2"]["holdout"]["endpoints"]) == (
        0,
        1,
    )


def test_partition_bounds_reach_the_sql(engine: Engine, conversions: ConversionService) -> None:
    bounds = ScanBounds.around(date(2026, 3, 2), date(2026, 3, 4), timedelta(days=7))
    narrow = conversions.campaign_conversions(
        "C1", since=bounds.send_since, until=bounds.send_until
    )

    assert narrow["scanned_days"] == {"from": "2026-02-23", "until": "2026-03-11"}
    assert _goal(narrow)["attributed"]["conversions"] == 4
    if engine.sent is not None:
        sent = engine.sent[-1]
        assert "'2026-02-23'" in sent and "'2026-03-11'" in sent and ":send_since" not in sent
    # Days that hold none of the sends find nothing (Athena would read nothing else).
    empty = conversions.campaign_conversions(
        "C1", since=bounds.send_since.replace(day=20), until=bounds.send_since.replace(day=21)
    )
    assert _goal(empty)["attributed"]["endpoints"] == 0
    assert _goal(empty)["incrementality"]["lift"] is None
