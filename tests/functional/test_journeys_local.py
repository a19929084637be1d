"""Journeys end to end on the local backend: the whitepaper's onboarding journey, event
wake-ups, retries, quiet time, pause and cancel, segment runs and refreshes, re-entry,
the branching journey (multivariate and random splits, a holdout, a custom channel),
the send seam's governor, and the erasure of an endpoint's journey state."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.journeys import JourneyWorld, journey_json

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.messaging.ledger import Reason


@pytest.fixture
def world(tmp_path: Path) -> JourneyWorld:
    w = JourneyWorld(tmp_path / "home")
    w.templates()
    return w


def test_the_whitepapers_onboarding_journey(world: JourneyWorld):
    ids = world.endpoints(4)
    journey = world.journey(journey_json("onboarding"))

    world.sign_up(ids)
    assert world.recipients("welcome") == set(ids)
    welcome = world.emails("welcome")[0]
    assert welcome["X-Clarion-Journey-Id"] == journey
    assert welcome["X-Clarion-Journey-Run-Id"]

    world.later(hours=2)
    world.engage("welcome", ["e0", "e1"], "Open")
    world.later(days=3)
    assert world.tick()["Journeys"] == []  # nothing due before the week is over
    world.later(days=4, hours=1)
    world.tick()

    assert world.recipients("tips") == {"e0", "e1"}
    assert world.recipients("basics") == {"e2", "e3"}
    metrics = world.metrics(journey)
    assert metrics["ENDPOINT_ENTERED"] == 4 and metrics["ENDPOINT_LEFT"] == 4
    assert metrics["ENDPOINT_ACTIVE"] == 0
    assert world.activity(journey, "opened") == {"Branch_1": 2, "Branch_2": 2}
    assert world.activity(journey, "welcome")["SUCCESS"] == 4
    statuses = [(e["activity"], e["status"]) for e in world.journey_events(journey)]
    assert statuses.count(("welcome", "SUCCESS")) == 4
    assert statuses.count(("tips", "SUCCESS")) == 2

    answer = world.boot.journey_reports.explain(journey, "e0")
    split = next(step for step in answer["Path"] if step["Activity"] == "opened")
    assert split["Outcome"] == "Branch_1"
    assert split["Detail"]["Conditions"][0]["Result"] is True
    assert answer["Status"] == "FINISHED"


def test_an_open_wakes_a_split_waiting_for_it_at_once(world: JourneyWorld):
    body = journey_json("onboarding")
    activities = body["Activities"]
    activities["welcome"]["EMAIL"]["NextActivity"] = "opened"
    del activities["week"]
    activities["opened"]["ConditionalSplit"]["EvaluationWaitTime"] = {"WaitFor": "P7D"}
    journey = world.journey(body)
    world.endpoints(2)
    world.sign_up(["e0", "e1"])

    world.later(hours=1)
    world.engage("welcome", ["e0"], "Open")

    assert world.recipients("tips") == {"e0"}  # moved by the event, no tick
    assert world.participant(journey, "e1").activity == "opened"
    world.later(days=7)
    world.tick()
    assert world.recipients("basics") == {"e1"}


def test_a_retried_tick_or_event_changes_nothing(world: JourneyWorld):
    ids = world.endpoints(3)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(ids)
    world.sign_up(ids)  # the same events again: no second entry
    world.engage("welcome", ["e0"])
    world.engage("welcome", ["e0"])
    world.later(days=8)

    first = world.tick()
    emails = len(world.emails())
    counters = world.boot.adapters.participant_store.counters(journey)
    second = world.tick()

    assert first["Journeys"] and second["Journeys"] == []
    assert len(world.emails()) == emails == 6
    assert world.boot.adapters.participant_store.counters(journey) == counters
    assert world.metrics(journey)["ENDPOINT_ENTERED"] == 3


def test_a_batch_replayed_from_stale_records_sends_nothing_twice(world: JourneyWorld):
    ids = world.endpoints(2)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(ids)
    world.later(days=8)
    store = world.boot.adapters.participant_store
    stale = list(store.get(journey, ids).values())  # read before the tick moves them

    world.tick()
    replay = world.boot.journey_engine.advance(journey, stale, world.now)

    assert replay.conflicts == 2 and replay.moved == 0
    assert len(world.emails("basics")) == 2


QUIET = {"QuietTime": {"Start": "22:00", "End": "07:00"}, "WaitForQuietTime": True}


def test_quiet_time_defers_the_message_until_morning(world: JourneyWorld):
    world.endpoints(1)
    journey = world.journey({**journey_json("onboarding"), **QUIET})
    world.at(datetime(2025, 3, 3, 22, 30, tzinfo=UTC))  # 23:30 in Paris

    world.sign_up(["e0"])
    assert world.emails("welcome") == []
    p = world.participant(journey, "e0")
    assert p.activity == "welcome" and p.due_at == int(
        datetime(2025, 3, 4, 6, 0, tzinfo=UTC).timestamp() * 1000
    )

    world.at(datetime(2025, 3, 4, 6, 5, tzinfo=UTC))
    world.tick()
    assert world.recipients("welcome") == {"e0"}


def test_without_waiting_for_quiet_time_the_message_is_skipped_with_its_reason(world: JourneyWorld):
    world.endpoints(1)
    body = {**journey_json("onboarding"), **QUIET, "WaitForQuietTime": False}
    journey = world.journey(body)
    world.at(datetime(2025, 3, 3, 22, 30, tzinfo=UTC))

    world.sign_up(["e0"])

    assert world.emails() == []
    assert world.activity(journey, "welcome")["QUIET_TIME"] == 1
    assert ("welcome", "QUIET_TIME") in [
        (e["activity"], e["status"]) for e in world.journey_events(journey)
    ]
    assert world.participant(journey, "e0").activity == "week"


def test_no_message_after_an_opt_out(world: JourneyWorld):
    world.endpoints(2)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(["e0", "e1"])
    world.engage("welcome", ["e1"], "Complaint")  # opts e1 out
    world.later(days=8)

    world.tick()

    assert world.recipients("basics") == {"e0"}
    p = world.participant(journey, "e1")
    assert p.outcome == "OPT_OUT"
    explained = world.boot.journey_reports.explain(journey, "e1")
    assert explained["MessagesNotSent"][0]["Outcome"] == "OPT_OUT"


def test_pause_holds_participants_and_resume_continues_them_with_the_wait_lengthened(
    world: JourneyWorld,
):
    world.endpoints(1)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(["e0"])
    service = world.boot.journey_service
    world.later(days=2)
    service.update_journey_state(journey, {"State": "PAUSED"}, now=world.now)

    world.later(days=6)  # the week would have ended
    assert world.tick()["Journeys"] == []
    service.update_journey_state(journey, {"State": "ACTIVE"}, now=world.now)
    world.tick()
    assert world.emails("basics") == []  # 2 days of waiting done, 5 to go

    world.later(days=5, minutes=1)
    world.tick()
    assert world.recipients("basics") == {"e0"}


def test_a_paused_journey_admits_no_one_and_says_why(world: JourneyWorld):
    world.endpoints(1)
    journey = world.journey(journey_json("onboarding"))
    world.boot.journey_service.update_journey_state(journey, {"State": "PAUSED"})

    world.sign_up(["e0"])

    assert world.metrics(journey)["PAUSED"] == 1
    assert world.boot.journey_reports.explain(journey, "e0")["Status"] == "REFUSED"


def test_cancel_ends_every_participant_and_the_runs(world: JourneyWorld):
    world.endpoints(3)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(["e0", "e1", "e2"])
    world.boot.journey_service.update_journey_state(journey, {"State": "CANCELLED"})

    world.later(days=8)
    world.tick()

    metrics = world.metrics(journey)
    assert metrics["CANCELLED"] == 3 and metrics["ENDPOINT_ACTIVE"] == 0
    assert world.emails("basics") == []
    runs = world.boot.journey_reports.runs(journey)["Item"]
    assert [r["Status"] for r in runs] == ["CANCELLED"]
    assert world.activity(journey, "week")["CANCELLED"] == 3


def _segment_journey(world: JourneyWorld, segment_id: str, **extra: Any) -> str:
    body = journey_json("onboarding")
    body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": segment_id}}
    body.update(extra)
    return world.journey(body)


def test_a_segment_journey_runs_once_then_completes(world: JourneyWorld):
    ids = world.endpoints(3)
    world.put("e2", OptOut="ALL")
    segment = world.segment("starters", ids)
    journey = _segment_journey(world, segment)

    world.tick()
    assert world.recipients("welcome") == {"e0", "e1"}
    assert world.metrics(journey)["ENDPOINT_OPT_OUT"] == 1
    world.later(days=8)
    result = world.tick()

    assert world.boot.journey_service.get_journey(journey)["State"] == "COMPLETED"
    assert result["Finished"][0]["State"] == "COMPLETED"
    assert [r["Status"] for r in world.boot.journey_reports.runs(journey)["Item"]] == ["COMPLETED"]


def test_a_refreshing_segment_journey_admits_new_members_and_counts_rejections(world: JourneyWorld):
    world.endpoints(3)
    segment = world.segment("starters", ["e0"])
    journey = _segment_journey(
        world, segment, RefreshFrequency="P1D", Limits={"EndpointReentryCap": 1}
    )
    world.tick()
    world.boot.segment_service.add_imported_members(segment, ["e1"])

    world.later(days=1, minutes=1)
    world.tick()

    assert world.recipients("welcome") == {"e0", "e1"}
    metrics = world.metrics(journey)
    assert metrics["ENDPOINT_ENTERED"] == 2
    assert metrics["ACTIVE_ENDPOINT_REJECTED"] == 1  # e0, still in the journey
    assert len(world.boot.journey_reports.runs(journey)["Item"]) == 2


def test_reentry_cap_refuses_with_the_reason_explain_gives(world: JourneyWorld):
    world.endpoints(1)
    body = journey_json("onboarding")
    body["Activities"] = {"welcome": {"EMAIL": {"TemplateName": "onboarding-welcome"}}}
    del body["Limits"]  # no EndpointReentryCap: each endpoint enters once
    journey = world.journey(body)
    world.sign_up(["e0"])
    world.later(days=1)

    world.sign_up(["e0"])

    assert world.metrics(journey)["REENTRY_CAP_EXCEEDED"] == 1
    answer = world.boot.journey_reports.explain(journey, "e0")
    assert answer["LastRefusal"]["Reason"] == "REENTRY_CAP_EXCEEDED"
    assert "enters once" in answer["LastRefusal"]["Detail"]


def test_daily_cap_stops_a_message_and_records_why(world: JourneyWorld):
    world.endpoints(1)
    body = journey_json("onboarding")
    body["Activities"] = {
        "welcome": {"EMAIL": {"TemplateName": "onboarding-welcome", "NextActivity": "tips"}},
        "tips": {"EMAIL": {"TemplateName": "onboarding-tips"}},
    }
    body["Limits"] = {"DailyCap": 1}
    journey = world.journey(body)

    world.sign_up(["e0"])

    assert world.recipients("welcome") == {"e0"} and world.emails("tips") == []
    assert world.activity(journey, "tips")["DAILY_CAP"] == 1
    assert (
        world.boot.journey_reports.explain(journey, "e0")["MessagesNotSent"][0]["Outcome"]
        == "DAILY_CAP"
    )


def test_the_timeframe_cap_counts_messages_of_every_journey(world: JourneyWorld):
    world.endpoints(1)
    first = journey_json("onboarding")
    first["Activities"] = {"welcome": {"EMAIL": {"TemplateName": "onboarding-welcome"}}}
    second = copy.deepcopy(first)
    second["Name"] = "second"
    second["Limits"] = {"TimeframeCap": {"Cap": 1, "Days": 7}}
    second["StartCondition"]["EventStartCondition"]["EventFilter"]["Dimensions"]["EventType"][
        "Values"
    ] = ["upgrade"]
    world.journey(first)
    capped = world.journey(second)

    world.sign_up(["e0"])
    world.later(days=2)
    world.sign_up(["e0"], event_type="upgrade")

    assert len(world.emails("welcome")) == 1
    assert world.activity(capped, "welcome")["TIMEFRAME_CAP"] == 1


def test_the_branching_journey_runs_every_activity_type(world: JourneyWorld):
    body = journey_json("branching")
    body.pop("Schedule")
    body.pop("OpenHours")
    body.pop("ClosedDays")
    body["SendingSchedule"] = False
    ids = world.endpoints(40)
    body["StartCondition"]["SegmentStartCondition"]["SegmentId"] = world.segment("new", ids)
    branches = body["Activities"]["engaged"]["MultiCondition"]["Branches"]
    branches[2]["Condition"]["SegmentCondition"]["SegmentId"] = world.segment("vips", ["e3"])
    journey = world.journey(body)
    world.tick()
    held = {e for e in ids if world.participant(journey, e).outcome == "HOLDOUT"}
    assert 0 < len(held) < 15
    # Four who stayed: one clicks, one has the pro plan, one is a VIP, one only opens.
    staying = [e for e in ids if e not in held and e not in ("e0", "e3")]
    clicker, pro, opener = staying[:3]
    world.put(
        pro, User={"UserId": f"u-{pro}", "UserAttributes": {"FirstName": ["Pro"], "Plan": ["pro"]}}
    )
    vip = "e3" if "e3" not in held else None

    world.engage("welcome", [clicker, pro, opener, "e3"], "Open")
    world.engage("welcome", [clicker], "Click")
    world.later(days=7, minutes=1)
    world.tick()

    def branch_of(endpoint_id: str) -> str:
        path = world.participant(journey, endpoint_id).path
        return next(s.outcome for s in path if s.activity == "engaged")

    assert branch_of(clicker) == "Branch_1"  # clicked: the first branch
    assert branch_of(pro) == "Branch_2"  # plan pro (inline segment dimensions)
    assert branch_of(opener) == "OTHER"
    if vip:
        assert branch_of(vip) == "Branch_3"  # in the vips segment
    custom = (world.home / "outbox" / "custom.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(custom) == (2 if vip else 1)
    assert json.loads(custom[0])["sender"]["custom_target"] == "https://hooks.example.com/vip"
    world.later(days=3)
    world.tick()
    ab = world.activity(journey, "ab")
    assert ab["TOTAL"] == ab["Branch_1"] + ab["Branch_2"] > 0


def test_the_project_governor_counts_campaigns_and_journeys_together(world: JourneyWorld):
    """ApplicationSettings Limits.Daily 1: whichever of a campaign and a journey reaches
    a person first that day is the one message; the other is recorded with the cap."""
    boot = world.boot
    boot.project_service.update_settings(boot.app_id, {"Limits": {"Daily": 1}})
    world.endpoints(2)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(["e1"])  # e1's welcome: its one message of the day
    segment = world.segment("both", ["e0", "e1"])
    campaign = boot.campaign_service.create_campaign(
        {
            "Name": "news",
            "SegmentId": segment,
            "MessageConfiguration": {"EmailMessage": {"Title": "News", "HtmlBody": "<p>News</p>"}},
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
        }
    )

    run_id = boot.campaign_service.launch(campaign["Id"], now=world.now)
    world.later(minutes=5)
    world.sign_up(["e0"])  # the campaign reached e0 first

    ledger = dict(
        boot.adapters.database.cursor()
        .execute("SELECT endpoint_id, reason FROM campaign_sends WHERE run_id = ?", [run_id])
        .fetchall()
    )
    assert ledger == {"e0": "SENT", "e1": Reason.SKIPPED_PROJECT_DAILY_CAP.value}
    assert world.recipients("welcome") == {"e1"}
    step = world.participant(journey, "e0").path[0]
    assert step.outcome == "PROJECT_DAILY_CAP" and "ApplicationSettings" in step.detail["Why"]
    statuses = {(e["endpoint"], e["status"]) for e in world.journey_events(journey)}
    assert ("e0", "PROJECT_DAILY_CAP") in statuses and ("e1", "SUCCESS") in statuses


def test_the_governor_seam_refuses_with_its_reason(world: JourneyWorld):
    class Governor:
        def admit(self, endpoint_ids: Any, now: datetime) -> dict[str, Reason | None]:
            return dict.fromkeys(endpoint_ids, Reason.SKIPPED_PROJECT_TOTAL_CAP)

    world.boot.journey_messages.governor = Governor()
    world.endpoints(1)
    journey = world.journey(journey_json("onboarding"))

    world.sign_up(["e0"])

    assert world.emails() == []
    step = world.participant(journey, "e0").path[0]
    assert step.outcome == "PROJECT_TOTAL_CAP" and "ApplicationSettings" in step.detail["Why"]


def test_erasure_removes_an_endpoints_journey_state(world: JourneyWorld):
    world.endpoints(2)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(["e0", "e1"])

    assert world.boot.journey_service.erase_endpoints(["e0"]) == 1
    assert world.participant(journey, "e0") is None and world.participant(journey, "e1") is not None


def test_publishing_needs_the_templates_and_names_the_field(world: JourneyWorld, tmp_path: Path):
    body = journey_json("onboarding")
    body["Activities"]["tips"]["EMAIL"]["TemplateName"] = "missing-template"
    journey = world.boot.journey_service.create_journey(body)

    with pytest.raises(InvalidRecordError) as caught:
        world.boot.journey_service.update_journey_state(journey["Id"], {"State": "ACTIVE"})

    assert caught.value.problems[0].field == "Activities.tips.EMAIL.TemplateName"


def test_test_mode_runs_a_copy_over_a_test_segment_with_short_waits(world: JourneyWorld):
    world.endpoints(2)
    segment = world.segment("testers", ["e1"])
    journey = world.journey(journey_json("onboarding"))

    test = world.boot.journey_service.test_journey(journey, segment, wait="PT1M")
    world.tick()
    world.later(minutes=2)
    world.tick()

    assert test["tags"]["clarion:test-of"] == journey
    assert world.recipients("welcome") == {"e1"}
    assert world.recipients("basics") == {"e1"}
    assert world.metrics(journey)["ENDPOINT_ENTERED"] == 0


def test_the_cli_answers_create_and_moves_time_with_now(tmp_path: Path):
    from typer.testing import CliRunner

    from clarion.entrypoints.cli.main import app

    home = tmp_path / "home"
    runner = CliRunner()
    env = {"CLARION_HOME": str(home), "CLARION_BACKEND": "local"}
    for name in ("welcome", "tips", "basics"):
        path = Path(__file__).resolve().parents[2] / "demo" / "journeys" / f"onboarding-{name}.json"
        assert runner.invoke(app, ["templates", "create", str(path)], env=env).exit_code == 0
    journey_file = (
        Path(__file__).resolve().parents[2] / "demo" / "journeys" / "onboarding-journey.json"
    )
    created = runner.invoke(app, ["--json", "journeys", "create", str(journey_file)], env=env)
    journey = json.loads(created.stdout)["id"]
    assert runner.invoke(app, ["journeys", "activate", journey], env=env).exit_code == 0
    tick = runner.invoke(
        app, ["--json", "journeys", "tick", "--now", "2025-03-03T09:00:00Z"], env=env
    )
    bad = runner.invoke(app, ["journeys", "tick", "--now", "next tuesday"], env=env)
    campaigns = runner.invoke(
        app, ["--json", "campaigns", "tick", "--now", "2025-03-03T09:00:00Z"], env=env
    )
    explain = runner.invoke(
        app, ["--json", "journeys", "explain", journey, "--endpoint", "nobody"], env=env
    )

    assert json.loads(tick.stdout)["Now"] == "2025-03-03T09:00:00.000Z"
    assert bad.exit_code == 2
    assert campaigns.exit_code == 0 and json.loads(campaigns.stdout) == []
    assert json.loads(explain.stdout)["Status"] == "NEVER_OFFERED"


def test_journey_messages_are_sent_at_the_time_they_are_moved(world: JourneyWorld):
    world.endpoints(1)
    journey = world.journey(journey_json("onboarding"))
    world.sign_up(["e0"])
    world.later(days=7, hours=5)
    world.tick()

    sends = [e for e in world.journey_events(journey) if e["status"] == "SUCCESS"]
    assert [e["activity"] for e in sends] == ["welcome", "basics"]
    assert sends[1]["at"] - sends[0]["at"] == int(timedelta(days=7, hours=5).total_seconds() * 1000)
