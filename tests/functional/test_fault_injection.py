"""Fault injection: a crash after the claim, throttling, a failing compaction.

Each test injects one fault into a real local deployment (the outbox as the provider,
its send events in the event store) and checks the two promises of campaign delivery:
nothing lost (every endpoint ends with a recorded outcome, the in-doubt ones resolved
by ``campaigns reconcile``) and nothing sent twice (the outbox holds one message per
endpoint, whatever was retried). Poison records in each stream are covered where each
consumer is tested: tests/functional/test_events_consumer_handler.py (a record whose
processing raises), test_change_feed_handler.py (a record that is not an endpoint),
test_journey_events_handler.py and test_score_posts_handler.py (batch item failures).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.domain.messaging.ledger import Reason
from clarion.domain.messaging.retry import RetryPolicy
from clarion.entrypoints.cli.main import app as cli_app
from clarion.services.campaigns.runner import CampaignRunner

NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
COUNT = 40


class ProcessDied(BaseException):
    """The process dying: not an Exception, so nothing on the way catches it."""


class CrashAfterDelivery:
    """Delivers through the real outbox, then dies before the outcomes are recorded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        self.inner.deliver(messages)
        raise ProcessDied


class CrashBeforeDelivery:
    """Dies after the claim, before anything reaches the provider."""

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        raise ProcessDied


class Throttling:
    """The provider throttles the first ``times`` calls (nothing accepted), then
    delivers; counts what reached it."""

    def __init__(self, inner: Any, times: int) -> None:
        self.inner = inner
        self.times = times
        self.calls = 0
        self.accepted: Counter[str] = Counter()

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        self.calls += 1
        if self.calls <= self.times:
            return [
                DeliveryResult(m.message_id, DeliveryStatus.THROTTLED, reason="TooManyRequests")
                for m in messages
            ]
        results = self.inner.deliver(messages)
        self.accepted.update(r.message_id for r in results if r.delivered)
        return results


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def boot(home: Path) -> Bootstrap:
    boot = Bootstrap(Settings(backend="local", home=home))
    boot.adapters.profile_store.put_endpoints(
        [
            validate_endpoint(
                {"Id": f"ep-{i:03d}", "ChannelType": "EMAIL", "Address": f"user{i}@example.com"}
            )
            for i in range(COUNT)
        ]
    )
    return boot


def _campaign(boot: Bootstrap) -> str:
    segment = boot.segment_service.create_segment(
        {
            "Name": "everyone",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    created = boot.campaign_service.create_campaign(
        {
            "Name": "faults",
            "SegmentId": segment["Id"],
            "MessageConfiguration": {
                "EmailMessage": {
                    "Title": "Hello",
                    "HtmlBody": "<p>Hi</p>",
                    "FromAddress": "news@example.com",
                }
            },
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
        }
    )
    return str(created["Id"])


def _runner(boot: Bootstrap, channel: Any, clock: FakeClock | None = None) -> CampaignRunner:
    clock = clock or FakeClock()
    return CampaignRunner(
        boot.adapters.campaign_repository,
        boot.adapters.template_repository,
        boot.adapters.profile_store,
        boot.adapters.send_ledger,
        channel,
        boot.adapters.event_sink,
        boot.segment_service,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )


def _outbox(home: Path) -> Counter[str]:
    """Messages in the outbox per recipient address (the provider's view)."""
    found: Counter[str] = Counter()
    for path in (home / "outbox" / "email").glob("*.eml"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("to:"):
                found[line.split(":", 1)[1].strip()] += 1
    return found


def _reconcile(home: Path, run_id: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli_app,
        [
            "--home",
            str(home),
            "--json",
            "campaigns",
            "reconcile",
            run_id,
            "--now",
            LATER.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


# -- a crash after the claim ---------------------------------------------------------


def test_crash_after_delivery_is_in_doubt_then_reconciled_as_sent_and_never_resent(
    boot: Bootstrap, home: Path
):
    campaign_id = _campaign(boot)
    crashing = _runner(boot, CrashAfterDelivery(boot.adapters.delivery_channel))
    run_id = crashing.plan_run(campaign_id, now=NOW)["RunId"]
    audience = sorted(crashing.audience(run_id))
    first, second = audience[: COUNT // 2], audience[COUNT // 2 :]
    healthy = _runner(boot, boot.adapters.delivery_channel)
    healthy.send_batch(run_id, first, now=NOW)
    with pytest.raises(ProcessDied):
        crashing.send_batch(run_id, second, now=NOW)

    # The retry of the crashed batch (and a replay of the first) delivers nothing.
    healthy.send_batch(run_id, second, now=NOW)
    healthy.send_batch(run_id, first, now=NOW)
    run = healthy.summarise_run(run_id, now=NOW)
    assert run["Summary"]["InDoubt"] == len(second)
    assert sorted(run["InDoubtEndpoints"]) == second
    report = boot.campaign_service.runs(campaign_id)[0]
    assert report["InDoubt"] == len(second)
    assert sorted(report["InDoubtEndpoints"]) == second

    # The provider saw every message (their _email.send events are in the store).
    reconciled = _reconcile(home, run_id)
    assert reconciled["Sent"] == len(second)
    assert set(reconciled["SentEndpoints"]) == set(second)
    assert set(reconciled["SentEndpoints"].values()) == {"_email.send"}
    assert reconciled["Summary"]["Sent"] == COUNT
    assert reconciled["Summary"]["InDoubt"] == 0

    # Nothing lost, nothing twice; reconciling again changes nothing.
    assert _outbox(home) == Counter({f"user{i}@example.com": 1 for i in range(COUNT)})
    again = _reconcile(home, run_id)
    assert again["InDoubt"] == 0
    # Analytics count the reconciled sends once, as the batch would have.
    rows = (
        boot.adapters.database.cursor()
        .execute(
            "SELECT count(*), count(DISTINCT endpoint_id) FROM events "
            "WHERE event_type = '_campaign.send' "
            "AND element_at(attributes, 'campaign_send_status')[1] = 'SUCCESS'"
        )
        .fetchone()
    )
    assert rows == (COUNT, COUNT)


def test_crash_before_delivery_is_released_as_failed_and_never_resent(boot: Bootstrap, home: Path):
    campaign_id = _campaign(boot)
    crashing = _runner(boot, CrashBeforeDelivery())
    run_id = crashing.plan_run(campaign_id, now=NOW)["RunId"]
    audience = sorted(crashing.audience(run_id))
    with pytest.raises(ProcessDied):
        crashing.send_batch(run_id, audience, now=NOW)
    healthy = _runner(boot, boot.adapters.delivery_channel)
    healthy.send_batch(run_id, audience, now=NOW)  # the retry: all claimed, sends nothing
    assert _outbox(home) == Counter()

    reconciled = _reconcile(home, run_id)
    assert reconciled["NotSeen"] == COUNT
    assert reconciled["Summary"]["Failed"] == COUNT
    assert reconciled["Summary"]["InDoubt"] == 0
    outcomes = boot.adapters.send_ledger.outcomes(run_id, audience)
    assert {o.reason for o in outcomes.values()} == {Reason.FAILED}
    assert all((o.detail or "").startswith("IN_DOUBT") for o in outcomes.values())
    # Released, not freed: neither a retried batch nor a second reconcile sends.
    healthy.send_batch(run_id, audience, now=LATER)
    _reconcile(home, run_id)
    assert _outbox(home) == Counter()


def test_reconcile_refuses_a_run_that_may_still_be_delivering(boot: Bootstrap, home: Path):
    run_id = boot.campaign_runner.plan_run(_campaign(boot), now=NOW)["RunId"]
    result = CliRunner().invoke(
        cli_app,
        ["--home", str(home), "campaigns", "reconcile", run_id, "--now", NOW.isoformat()],
    )
    assert result.exit_code != 0
    assert "active less than" in result.output
    unknown = CliRunner().invoke(cli_app, ["--home", str(home), "campaigns", "reconcile", "nope"])
    assert unknown.exit_code != 0


# -- throttling ----------------------------------------------------------------------


def test_throttled_sends_are_retried_with_backoff_and_sent_once(boot: Bootstrap, home: Path):
    channel = Throttling(boot.adapters.delivery_channel, times=3)
    clock = FakeClock()
    runner = _runner(boot, channel, clock)
    run_id = runner.plan_run(_campaign(boot), now=NOW)["RunId"]
    counts = runner.send_batch(run_id, sorted(runner.audience(run_id)), now=NOW)
    assert counts == {"SENT": COUNT}
    assert clock.sleeps == [0.5, 1.0, 2.0]  # exponential backoff between the tries
    assert set(channel.accepted.values()) == {1}
    assert _outbox(home) == Counter({f"user{i}@example.com": 1 for i in range(COUNT)})


def test_throttling_beyond_the_time_budget_is_final_with_its_reason(boot: Bootstrap, home: Path):
    channel = Throttling(boot.adapters.delivery_channel, times=100)
    clock = FakeClock()
    runner = _runner(boot, channel, clock)
    run_id = runner.plan_run(_campaign(boot), now=NOW)["RunId"]
    audience = sorted(runner.audience(run_id))
    counts = runner.send_batch(run_id, audience, now=NOW, time_budget_s=2.0)
    assert counts == {"FAILED": COUNT}
    assert clock.sleeps == [0.5, 1.0]  # a third wait (2 s) would overrun the budget
    outcome = boot.adapters.send_ledger.outcomes(run_id, audience[:1])[audience[0]]
    assert outcome.detail == "THROTTLED: TooManyRequests (after 3 attempts)"
    assert _outbox(home) == Counter()


def test_retries_stop_at_the_policys_attempts(boot: Bootstrap):
    channel = Throttling(boot.adapters.delivery_channel, times=100)
    runner = _runner(boot, channel)
    runner.retry_policy = RetryPolicy(max_attempts=3)
    run_id = runner.plan_run(_campaign(boot), now=NOW)["RunId"]
    assert runner.send_batch(run_id, ["ep-000"], now=NOW) == {"FAILED": 1}
    assert channel.calls == 3


def test_permanent_and_unknown_failures_are_never_retried(boot: Bootstrap):
    calls: list[int] = []

    class Refusing:
        def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
            calls.append(len(messages))
            statuses = [DeliveryStatus.PERMANENT_FAILURE, DeliveryStatus.UNKNOWN_FAILURE]
            return [
                DeliveryResult(m.message_id, statuses[i % 2], reason="no")
                for i, m in enumerate(messages)
            ]

    runner = _runner(boot, Refusing())
    run_id = runner.plan_run(_campaign(boot), now=NOW)["RunId"]
    assert runner.send_batch(run_id, ["ep-000", "ep-001"], now=NOW) == {"FAILED": 2}
    assert calls == [2]


# -- a failing compaction ------------------------------------------------------------

DAY_MS = 86_400_000
RETENTION_DAYS = 7


class LakeModel:
    """The endpoint lake as the compaction sees it, with injectable failures: one change
    object a day, a snapshot holding what its query could read, objects deleted on
    request (the reference the property below checks the service against)."""

    def __init__(self) -> None:
        self.objects: dict[int, int] = {}  # object id -> written at (ms)
        self.snapshots: list[tuple[int, frozenset[int]]] = []  # (snapshot ms, absorbed ids)
        self.deleted: dict[int, int] = {}  # object id -> deleted at (ms)
        self.fail = False
        self.now = 0

    def write_change(self) -> None:
        self.objects[len(self.objects) + len(self.deleted)] = self.now

    def readable(self) -> set[int]:
        # The change table's partition projection shows retention_days + 1 days.
        oldest = self.now - (RETENTION_DAYS + 1) * DAY_MS
        return {k for k, written in self.objects.items() if written >= oldest}

    # EndpointCompactor
    def latest_snapshot_ms(self) -> int | None:
        return self.snapshots[-1][0] if self.snapshots else None

    def compact(self, snapshot_ms: int, *, timeout_s: float | None = None) -> str:
        if self.fail:
            raise RuntimeError("HIVE_BAD_DATA: injected")
        before = self.snapshots[-1][1] if self.snapshots else frozenset()
        self.snapshots.append((snapshot_ms, before | self.readable()))
        return f"q-{len(self.snapshots)}"

    def expire_snapshots(self, older_than_ms: int) -> int:
        newest = self.snapshots[-1]
        kept = [s for s in self.snapshots if s[0] >= older_than_ms or s is newest]
        gone = len(self.snapshots) - len(kept)
        self.snapshots = kept
        return gone

    def expire_absorbed_changes(self, written_before_ms: int) -> int:
        gone = [k for k, written in self.objects.items() if written < written_before_ms]
        for key in gone:
            self.deleted[key] = self.now
            del self.objects[key]
        return len(gone)


@settings(max_examples=60, deadline=None)
@given(failures=st.lists(st.booleans(), min_size=1, max_size=40))
def test_a_failing_compaction_never_loses_a_change(failures: list[bool]):
    from clarion.services.audience import CompactionGapError, EndpointCompactionService

    lake = LakeModel()
    service = EndpointCompactionService(
        lake, retention_days=RETENTION_DAYS, snapshot_retention_days=3, clock_ms=lambda: lake.now
    )
    for day, fails in enumerate(failures):
        lake.now = day * DAY_MS + 3_600_000
        lake.write_change()
        lake.fail = fails
        with contextlib.suppress(RuntimeError, CompactionGapError):
            service.compact()
        # Nothing lost: every change object still exists or the newest snapshot holds it.
        newest = lake.snapshots[-1][1] if lake.snapshots else frozenset()
        assert set(lake.deleted) <= newest
        # While snapshots keep succeeding, what the table no longer shows is absorbed.
        if lake.snapshots and lake.now - lake.snapshots[-1][0] < DAY_MS:
            assert set(lake.objects) - lake.readable() <= newest
        # Deletions happen only in a run that wrote a snapshot (the newest, kept).
        for key, when in lake.deleted.items():
            assert lake.snapshots and lake.snapshots[-1][0] >= when, key


def test_a_compaction_failing_longer_than_the_table_shows_refuses_and_keeps_everything():
    from clarion.services.audience import CompactionGapError, EndpointCompactionService

    lake = LakeModel()
    service = EndpointCompactionService(
        lake, retention_days=RETENTION_DAYS, snapshot_retention_days=3, clock_ms=lambda: lake.now
    )
    lake.write_change()
    service.compact()  # the first snapshot: deletes nothing
    lake.fail = True
    for day in range(1, 30):  # a month of failures
        lake.now = day * DAY_MS
        lake.write_change()
        with pytest.raises(RuntimeError):
            service.compact()
    assert lake.deleted == {}
    lake.fail = False
    with pytest.raises(CompactionGapError, match="change_retention_days"):
        service.compact()
    # Still nothing deleted, nothing snapshotted from a partial view; the one snapshot
    # is kept however old.
    assert lake.deleted == {} and len(lake.snapshots) == 1
    assert len(lake.objects) == 30


# -- reconciling on the AWS ledger ---------------------------------------------------


def test_reconcile_on_the_dynamodb_ledger_resolves_from_athena_rows(aws_credentials: None):
    """The AWS path: the DynamoDB ledger (moto) and the rows Athena would answer for the
    evidence query (moto runs no SQL, so a stand-in answers them)."""
    import boto3
    from moto import mock_aws

    from clarion.adapters.aws.messaging.send_ledger import DynamoDBSendLedger, sends_table_spec
    from clarion.domain.messaging.ledger import LedgerOutcome
    from clarion.services.campaigns.reconcile import EVIDENCE_SQL, CampaignReconciler

    class Runs:
        def __init__(self) -> None:
            self.runs = {
                "run-1": {"RunId": "run-1", "CampaignId": "c-1", "StartTime": NOW.isoformat()}
            }

        def get_run(self, run_id: str) -> dict[str, Any]:
            return dict(self.runs[run_id])

        def save_run(self, run: dict[str, Any]) -> None:
            self.runs[run["RunId"]] = dict(run)

    class Athena:
        def __init__(self) -> None:
            self.asked: list[tuple[str, dict[str, Any]]] = []

        def rows(self, sql: str, parameters: Any = None) -> list[dict[str, Any]]:
            self.asked.append((sql, dict(parameters or {})))
            return [{"endpoint_id": "a", "event_type": "_SMS.BUFFERED", "treatment_id": "1"}]

    class Profiles:
        def get_endpoints(self, ids: Sequence[str]) -> dict[str, Any]:
            return {}

    class Sink:
        def __init__(self) -> None:
            self.records: list[Any] = []

        def put_records(self, records: Sequence[Any]) -> set[str]:
            self.records.extend(records)
            return {r.event_id for r in records}

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**sends_table_spec("sends"))
        ledger = DynamoDBSendLedger(client, "sends")
        ledger.claim("run-1", ["a", "b", "c"])
        ledger.record_outcomes("run-1", {"c": LedgerOutcome(Reason.SENT, "0", None, "m", "ok")})
        athena, sink = Athena(), Sink()
        reconciler = CampaignReconciler(Runs(), ledger, athena, Profiles(), sink)
        result = reconciler.reconcile("run-1", now=LATER)

        assert result.sent == {"a": "_SMS.BUFFERED"}
        assert result.not_seen == ["b"]
        assert athena.asked == [(EVIDENCE_SQL, {"run_id": "run-1", "from_day": "2025-03-11"})]
        outcomes = ledger.outcomes("run-1", ["a", "b", "c"])
        assert outcomes["a"].reason == Reason.SENT and outcomes["a"].treatment_id == "1"
        assert outcomes["b"].reason == Reason.FAILED
        assert outcomes["c"].detail == "ok"  # a recorded send is left alone
        assert [r.attributes["campaign_send_status"] for r in sink.records] == ["SUCCESS"]
        assert ledger.claim("run-1", ["a", "b"]) == set()  # never sent again
