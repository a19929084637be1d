"""Conversions of a hand-checked journey from its ``_journey.send`` records, through the
same SQL source on both engines (the DuckDB AnalyticsQuery, and the Athena one on moto
with its queries answered over the same ``events`` relation, as the campaign test does).

Journey J1: a Holdout activity H (its HOLDOUT and CONTINUED records are the random
assignment), then emails M1 and M2. Goal: purchases within 7 days, last touch, stored
for the journey (``journey:J1``). T is 2026-03-02 09:00 UTC.

========  ====================================================================
endpoint  what happened
========  ====================================================================
j1        run R1: let through at T, M1 at T, bought 20.00 at T+1d (M1, R1);
          run R2: let through at T+10d, M1 at T+10d, bought 30.00 at T+11d (M1, R2)
j2        R1: let through at T, M1 at T, M2 at T+2d; bought 10.00 at T+3d (M2)
j3        R1: let through at T, M1 skipped (TOTAL_CAP); bought 5.00 at T+1d:
          no message to credit, but treated in the experiment
j4        R1: let through at T, M1 at T, clicked it at T+1h; no purchase
j5        R1: held out at T; bought 12.50 at T+1d
j6        R1: held out at T; no purchase
j7        never reached the holdout; bought 4.00 at T+1h: counts nowhere
========  ====================================================================

J2 has no Holdout activity: k1 got M1 at T and bought 8.00 at T+1h.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clarion.domain.common.intervals import difference_of_proportions
from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.events import EventSink
from clarion.services.analytics.conversions import ConversionService
from clarion.services.analytics.goals import GoalService

T = 1_772_442_000_000  # 2026-03-02T09:00:00Z
HOUR = 3_600_000
DAY = 24 * HOUR


@dataclass
class Engine:
    name: str
    query: AnalyticsQuery
    events: EventSink


@pytest.fixture(params=["local", "aws"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    if request.param == "local":
        from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery
        from clarion.adapters.local.common.database import LocalDatabase

        database = LocalDatabase(tmp_path / "home")
        yield Engine("local", DuckDBAnalyticsQuery(database), DuckDBEventStore(database))
        database.close()
        return
    from clarion.adapters.aws.analytics.analytics_query import AthenaAnalyticsQuery

    lake = request.getfixturevalue("athena_lake")
    query = AthenaAnalyticsQuery(
        lake.client, lake.workgroup, lake.database_name, sleep=lambda _: None
    )
    yield Engine("aws", query, DuckDBEventStore(lake.database))


@pytest.fixture
def goals(tmp_path: Path) -> Iterator[GoalService]:
    from clarion.adapters.local.analytics.goal_store import DuckDBConversionGoalStore
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(tmp_path / "goals")
    service = GoalService(DuckDBConversionGoalStore(database))
    service.put_goals(
        {
            "Goals": [
                {
                    "Name": "purchase",
                    "EventFilter": {
                        "FilterType": "ENDPOINT",
                        "Dimensions": {"EventType": {"Values": ["_monetization.purchase"]}},
                    },
                    "AttributionWindow": "P7D",
                    "AttributionModel": "LAST_TOUCH",
                }
            ]
        },
        journey_id="J1",
    )
    yield service
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


def jsend(endpoint: str, activity: str, run: str, at: int, status: str, journey: str = "J1"):
    return _record(
        "_journey.send",
        endpoint,
        at,
        attributes={
            "journey_id": journey,
            "journey_activity_id": activity,
            "journey_run_id": run,
            "journey_send_status": status,
            "journey_activity_type": "Holdout" if activity == "H" else "Email",
            "run_id": f"{run}:{endpoint}",
        },
    )


def buy(endpoint: str, at: int, price: float) -> dict[str, Any]:
    return _record(
        "_monetization.purchase",
        endpoint,
        at,
        attributes={"_currency": "USD"},
        metrics={"_item_price": price, "_quantity": 1},
    )


def journey_records() -> list[dict[str, Any]]:
    return [
        jsend("j1", "H", "R1", T, "CONTINUED"),
        jsend("j1", "M1", "R1", T, "SUCCESS"),
        jsend("j1", "H", "R2", T + 10 * DAY, "CONTINUED"),
        jsend("j1", "M1", "R2", T + 10 * DAY, "SUCCESS"),
        jsend("j2", "H", "R1", T, "CONTINUED"),
        jsend("j2", "M1", "R1", T, "SUCCESS"),
        jsend("j2", "M2", "R1", T + 2 * DAY, "SUCCESS"),
        jsend("j3", "H", "R1", T, "CONTINUED"),
        jsend("j3", "M1", "R1", T, "TOTAL_CAP"),
        jsend("j4", "H", "R1", T, "CONTINUED"),
        jsend("j4", "M1", "R1", T, "SUCCESS"),
        jsend("j5", "H", "R1", T, "HOLDOUT"),
        jsend("j6", "H", "R1", T, "HOLDOUT"),
        jsend("k1", "M1", "", T, "SUCCESS", journey="J2"),
        _record(
            "_email.click",
            "j4",
            T + HOUR,
            attributes={"journey_id": "J1", "journey_activity_id": "M1", "journey_run_id": "R1"},
        ),
        buy("j1", T + DAY, 20.00),
        buy("j1", T + 11 * DAY, 30.00),
        buy("j2", T + 3 * DAY, 10.00),
        buy("j3", T + DAY, 5.00),
        buy("j5", T + DAY, 12.50),
        buy("j7", T + HOUR, 4.00),
        buy("k1", T + HOUR, 8.00),
    ]


@pytest.fixture
def conversions(engine: Engine, goals: GoalService) -> ConversionService:
    normalised = normalise_pinpoint_records(journey_records())
    assert normalised.rejects == []
    engine.events.put_records(normalised.records)
    return ConversionService(engine.query, goals)


def _goal(result: dict[str, Any]) -> dict[str, Any]:
    (goal,) = result["goals"]
    return goal


def _counts(figures: dict[str, Any]) -> tuple[int, int, int, int, float]:
    keys = ("endpoints", "messages", "converted_endpoints", "conversions", "revenue")
    return tuple(figures[k] for k in keys)  # type: ignore[return-value]


def test_the_journeys_own_goals_measure_it(conversions: ConversionService) -> None:
    result = conversions.journey_conversions("J1")

    assert (result["journey_id"], result["goals_scope"], result["goals_version"]) == (
        "J1",
        "journey:J1",
        1,
    )
    # J2 has none of its own: the built-in default (no project default is stored).
    assert conversions.journey_conversions("J2")["goals_scope"] == "default"


def test_attributed_per_activity_and_run(conversions: ConversionService) -> None:
    goal = _goal(conversions.journey_conversions("J1"))

    attributed = goal["attributed"]
    # Messages: j1's two M1, j2's M1 and M2, j4's M1 (j3's was skipped; H sends none).
    assert _counts(attributed) == (3, 5, 2, 3, 60.0)
    assert attributed["avg_seconds_to_convert"] == 86_400.0  # each a day after its message
    assert attributed["clicked_messages"] == 1  # j4's M1
    assert attributed["clicked_converted_messages"] == 0
    activities = {a["activity_id"]: _counts(a) for a in goal["activities"]}
    assert activities == {"M1": (3, 4, 1, 2, 50.0), "M2": (1, 1, 1, 1, 10.0)}
    runs = {r["run_id"]: _counts(r) for r in goal["runs"]}
    assert runs == {"R1": (3, 4, 2, 2, 30.0), "R2": (1, 1, 1, 1, 30.0)}
    cells = {(a["activity_id"], a["run_id"]): _counts(a) for a in goal["activity_runs"]}
    assert cells == {
        ("M1", "R1"): (3, 3, 1, 1, 20.0),
        ("M1", "R2"): (1, 1, 1, 1, 30.0),
        ("M2", "R1"): (1, 1, 1, 1, 10.0),
    }
    # The held-out participants' would-be messages: j5's purchase is theirs.
    assert _counts(goal["holdout"]) == (2, 2, 1, 1, 12.5)
    assert [
        (d["arm"], d["days_after_message"], d["conversions"]) for d in goal["days_after_message"]
    ] == [("holdout", 1, 1), ("treated", 1, 3)]


def test_the_holdout_experiment_intention_to_treat(conversions: ConversionService) -> None:
    incrementality = _goal(conversions.journey_conversions("J1"))["incrementality"]
    lift = incrementality["lift"]

    # Treated: everyone H let through, j3 too (its message was skipped); j7 never reached H.
    assert {k: lift["treated"][k] for k in ("endpoints", "converted_endpoints", "conversions")} == {
        "endpoints": 4,
        "converted_endpoints": 3,  # j1, j2, j3
        "conversions": 4,  # j1's two (its window runs to R2's + 7 days), j2's, j3's
    }
    assert lift["treated"]["revenue"] == 65.0
    assert (lift["holdout"]["endpoints"], lift["holdout"]["converted_endpoints"]) == (2, 1)
    assert lift["conversion_rate_difference"] == difference_of_proportions(3, 4, 1, 2).to_json()
    runs = {r["run_id"]: r for r in incrementality["runs"]}
    assert runs["R1"]["conversion_rate_difference"] == (
        difference_of_proportions(3, 4, 1, 2).to_json()
    )
    assert runs["R2"] == {"run_id": "R2", "lift": None}  # nobody was held out in R2


def test_a_journey_without_a_holdout_has_no_lift(conversions: ConversionService) -> None:
    goal = _goal(conversions.journey_conversions("J2"))

    assert _counts(goal["attributed"]) == (1, 1, 1, 1, 8.0)
    assert goal["holdout"] is None
    assert goal["incrementality"]["lift"] is None
    assert "no holdout" in goal["incrementality"]["reason"]
