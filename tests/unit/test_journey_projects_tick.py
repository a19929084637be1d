"""The journey tick over every project: the plan lists the projects with journeys to
move and names each piece of work's project; the entries move on from one project to
the next; finish closes each project's journeys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from clarion.domain.journeys.durations import to_ms
from clarion.services.journeys import ProjectsTickSteps

NOW = datetime(2025, 3, 3, 10, tzinfo=UTC)


class FakeProjects:
    default_app_id = "default"

    def __init__(self, *others: str) -> None:
        self.others = others

    def list_apps(self) -> list[dict[str, Any]]:
        return [{"Id": app} for app in (self.default_app_id, *self.others)]


class FakeSteps:
    """One project's tick: its journeys' shards and its pending runs (offered in turn);
    ``queries`` records each audience query started (journey, execution)."""

    def __init__(self, journeys: list[str], pending: list[str]) -> None:
        self.journeys = journeys
        self.pending = list(pending)
        self.calls: list[tuple[Any, ...]] = []
        self.queries: list[tuple[str, str | None]] = []

    def _entry(self, execution: str | None, *, start_query: bool = True) -> dict[str, Any] | None:
        if not self.pending:
            return None
        if start_query:
            self.queries.append((self.pending[0], execution))
        return {"JourneyId": self.pending[0], "RunId": "r"}

    def now(self) -> datetime:
        return NOW

    def next_entry(self, now_ms: int, *, execution: str | None = None) -> dict[str, Any] | None:
        return self._entry(execution)

    def plan(
        self,
        now: datetime | None = None,
        *,
        execution: str | None = None,
        start_query: bool = True,
    ) -> dict[str, Any]:
        self.calls.append(("plan", now))
        return {
            "Now": to_ms(now or NOW),
            "Entry": self._entry(execution, start_query=start_query),
            "Entries": len(self.pending),
            "RunsStarted": [f"run-{j}" for j in self.pending],
            "Shards": [{"JourneyId": j, "Shard": 0, "Cancel": False} for j in self.journeys],
        }

    def entered(
        self, journey_id: str, run_id: str, now_ms: int, *, execution: str | None = None
    ) -> dict[str, Any]:
        self.pending.remove(journey_id)
        return {"Entry": self._entry(execution)}

    def finish(self, now_ms: int) -> dict[str, Any]:
        self.calls.append(("finish", now_ms))
        return {"Now": now_ms, "Finished": [{"JourneyId": j} for j in self.journeys]}


def _tick(steps: dict[str, FakeSteps]) -> ProjectsTickSteps:
    others = [app for app in steps if app != "default"]
    return ProjectsTickSteps(cast(Any, FakeProjects(*others)), lambda app: cast(Any, steps[app]))


def test_the_plan_lists_the_projects_with_journeys_and_names_each_pieces_project() -> None:
    steps = {
        "default": FakeSteps(["j1"], []),
        "idle": FakeSteps([], []),
        "second": FakeSteps(["j2", "j3"], ["j3"]),
    }

    plan = _tick(steps).plan(NOW)

    assert plan["Projects"] == ["default", "second"]
    assert plan["Now"] == to_ms(NOW)
    assert plan["Entry"] == {"JourneyId": "j3", "RunId": "r", "ApplicationId": "second"}
    assert plan["Entries"] == 1 and plan["RunsStarted"] == ["run-j3"]
    assert [(s["ApplicationId"], s["JourneyId"]) for s in plan["Shards"]] == [
        ("default", "j1"),
        ("second", "j2"),
        ("second", "j3"),
    ]
    assert all(step.calls == [("plan", NOW)] for step in steps.values())


def test_the_entries_move_on_to_the_next_projects_runs() -> None:
    steps = {
        "default": FakeSteps(["j1"], ["j1"]),
        "second": FakeSteps(["j2"], ["j2"]),
    }
    tick = _tick(steps)
    projects = tick.plan(NOW, execution="tick-1")["Projects"]

    after_default = tick.entered("default", "j1", "r", to_ms(NOW), projects, execution="tick-1")
    after_second = tick.entered("second", "j2", "r", to_ms(NOW), projects, execution="tick-1")

    assert after_default["Entry"] == {"JourneyId": "j2", "RunId": "r", "ApplicationId": "second"}
    assert after_second == {"Entry": None}
    assert steps["default"].pending == [] and steps["second"].pending == []
    # One audience query per run offered, each started by the step that names the run:
    # the plan did not start the second project's (the default project's went first).
    assert steps["default"].queries == [("j1", "tick-1")]
    assert steps["second"].queries == [("j2", "tick-1")]


def test_finish_closes_each_projects_journeys_the_default_ones_when_none_is_named() -> None:
    steps = {"default": FakeSteps(["j1"], []), "second": FakeSteps(["j2"], [])}
    tick = _tick(steps)

    both = tick.finish(to_ms(NOW), ["default", "second"])
    alone = tick.finish(to_ms(NOW))

    assert both["Finished"] == [
        {"JourneyId": "j1", "ApplicationId": "default"},
        {"JourneyId": "j2", "ApplicationId": "second"},
    ]
    assert alone["Finished"] == [{"JourneyId": "j1", "ApplicationId": "default"}]
    assert steps["second"].calls.count(("finish", to_ms(NOW))) == 1
