"""The SendLedger contract: the DuckDB and DynamoDB (moto) ledgers behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.domain.messaging.ledger import CapCount, LedgerOutcome, Reason
from clarion.ports.messaging import SendLedger

REGION = "us-east-1"


@pytest.fixture(params=["local", "aws"])
def ledger(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SendLedger]:
    if request.param == "local":
        from clarion.adapters.local.common.database import LocalDatabase
        from clarion.adapters.local.messaging.send_ledger import DuckDBSendLedger

        database = LocalDatabase(tmp_path / "home")
        yield DuckDBSendLedger(database)
        database.close()
        return
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    from clarion.adapters.aws.messaging.send_ledger import DynamoDBSendLedger, sends_table_spec

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**sends_table_spec("test-sends"))
        yield DynamoDBSendLedger(client, "test-sends")


def test_claim_returns_only_unclaimed_ids(ledger: Any):
    assert ledger.claim("run-1", ["a", "b", "c"]) == {"a", "b", "c"}
    # A retried batch gets nothing it claimed before, and new ids still work.
    assert ledger.claim("run-1", ["a", "b", "d"]) == {"d"}
    # Claims are per run.
    assert ledger.claim("run-2", ["a"]) == {"a"}


def test_duplicate_ids_in_one_claim_are_claimed_once(ledger: Any):
    assert ledger.claim("run-1", ["a", "a", "b"]) == {"a", "b"}
    assert ledger.claim("run-1", ["a"]) == set()


def test_claimed_records_show_claimed_until_the_outcome(ledger: Any):
    ledger.claim("run-1", ["a", "b"])
    assert ledger.outcomes("run-1", ["a", "b"])["a"].reason == Reason.CLAIMED
    ledger.record_outcomes("run-1", {"a": LedgerOutcome(Reason.SENT, "1", None, "m-a", "ok")})
    outcome = ledger.outcomes("run-1", ["a"])["a"]
    assert outcome == LedgerOutcome(Reason.SENT, "1", None, "m-a", "ok")
    assert ledger.outcome_counts("run-1") == {"SENT": 1, "CLAIMED": 1}


def test_a_later_skip_never_replaces_a_claimed_endpoint(ledger: Any):
    ledger.claim("run-1", ["a"])
    ledger.record_outcomes("run-1", {"a": LedgerOutcome(Reason.SENT, "0")})
    # A retry that now sees the cap reached, or quiet time, must not overwrite the send.
    ledger.record_outcomes(
        "run-1",
        {
            "a": LedgerOutcome(Reason.SKIPPED_DAILY_CAP),
            "b": LedgerOutcome(Reason.SKIPPED_OPT_OUT),
        },
    )
    outcomes = ledger.outcomes("run-1", ["a", "b", "zzz"])
    assert outcomes["a"].reason == Reason.SENT
    assert outcomes["b"].reason == Reason.SKIPPED_OPT_OUT
    assert "zzz" not in outcomes


def test_deferred_endpoints_come_back_when_due_and_can_then_be_claimed(ledger: Any):
    ledger.record_outcomes(
        "run-1",
        {
            "early": LedgerOutcome(Reason.DEFERRED_QUIET_TIME, until_ms=1_000),
            "late": LedgerOutcome(Reason.DEFERRED_LOCAL_TIME, until_ms=5_000),
            "skip": LedgerOutcome(Reason.SKIPPED_INACTIVE),
        },
    )
    assert ledger.deferred("run-1", 999) == []
    assert ledger.deferred("run-1", 1_000) == ["early"]
    assert ledger.deferred("run-1", 10_000) == ["early", "late"]
    assert ledger.claim("run-1", ["early"]) == {"early"}
    assert ledger.deferred("run-1", 10_000) == ["late"]
    assert ledger.outcome_counts("run-1") == {
        "CLAIMED": 1,
        "DEFERRED_LOCAL_TIME": 1,
        "SKIPPED_INACTIVE": 1,
    }


def test_send_counts_per_day_and_in_total(ledger: Any):
    assert ledger.cap_counts("c1", ["a", "b"], "2025-03-12") == {}
    ledger.add_sends("c1", ["a", "b"], "2025-03-12")
    ledger.add_sends("c1", ["a"], "2025-03-12")
    ledger.add_sends("c1", ["a"], "2025-03-13")
    assert ledger.cap_counts("c1", ["a", "b", "c"], "2025-03-12") == {
        "a": CapCount(daily=2, total=3),
        "b": CapCount(daily=1, total=1),
    }
    assert ledger.cap_counts("c1", ["a"], "2025-03-13") == {"a": CapCount(1, 3)}
    assert ledger.cap_counts("c1", ["b"], "2025-03-14") == {"b": CapCount(0, 1)}
    # Per campaign.
    assert ledger.cap_counts("c2", ["a"], "2025-03-12") == {}


def test_rendering_warnings_are_kept_per_endpoint_and_tallied(ledger: Any):
    greeting = "HtmlPart: {{User.UserAttributes.FirstName}}: missing value"
    helper = "Subject: {{upper}}: helper error"
    ledger.claim("r1", ["a", "b", "c", "d"])
    ledger.record_outcomes(
        "r1",
        {
            "a": LedgerOutcome(Reason.SENT, "0", message_id="m-a", warnings=(greeting,)),
            "b": LedgerOutcome(Reason.SENT, "0", message_id="m-b", warnings=(greeting, helper)),
            "c": LedgerOutcome(Reason.FAILED, "0", message_id="m-c", warnings=(helper,)),
            "d": LedgerOutcome(Reason.SENT, "0", message_id="m-d"),
        },
    )
    ledger.record_outcomes("r2", {"a": LedgerOutcome(Reason.SENT, warnings=(greeting,))})

    tally = ledger.warning_tally("r1")

    assert tally.messages == 3
    assert tally.by_warning == {greeting: 2, helper: 2}
    assert ledger.outcomes("r1", ["b"])["b"].warnings == tuple(sorted((greeting, helper)))
    assert ledger.outcomes("r1", ["d"])["d"].warnings == ()
    assert ledger.warning_tally("r-none").messages == 0
    assert ledger.warning_tally("r-none").by_warning == {}


def test_a_retried_claim_clears_old_warnings_and_a_skip_never_overwrites_them(ledger: Any):
    key = "Body: {{Attributes.Coupon}}: missing value"
    ledger.record_outcomes("r1", {"a": LedgerOutcome(Reason.DEFERRED_QUIET_TIME, "0", until_ms=5)})
    ledger.claim("r1", ["a"])
    ledger.record_outcomes("r1", {"a": LedgerOutcome(Reason.SENT, "0", warnings=(key,))})
    # A late skip for a claimed endpoint changes nothing, warnings included.
    ledger.record_outcomes("r1", {"a": LedgerOutcome(Reason.SKIPPED_OPT_OUT)})

    assert ledger.warning_tally("r1").by_warning == {key: 1}


def test_in_doubt_lists_claims_without_an_outcome_and_released_ones(ledger: Any):
    ledger.claim("run-1", ["a", "b", "c", "d"])
    ledger.record_outcomes(
        "run-1",
        {
            "b": LedgerOutcome(Reason.SENT, "0", None, "m-b", "ok"),
            "c": LedgerOutcome(Reason.FAILED, "0", None, "m-c", "PERMANENT_FAILURE: no"),
            "d": LedgerOutcome(Reason.FAILED, "0", None, "m-d", "IN_DOUBT: not seen"),
        },
    )
    ledger.record_outcomes("run-1", {"e": LedgerOutcome(Reason.HOLDOUT, "0")})
    found = ledger.in_doubt("run-1")
    assert sorted(found) == ["a", "d"]
    assert found["a"].reason == Reason.CLAIMED
    assert found["d"].reason == Reason.FAILED
    assert ledger.in_doubt("run-2") == {}


def test_resolve_in_doubt_writes_only_records_still_in_doubt(ledger: Any):
    ledger.claim("run-1", ["a", "b", "c"])
    ledger.record_outcomes("run-1", {"b": LedgerOutcome(Reason.SENT, "0", None, "m-b", "ok")})
    written = ledger.resolve_in_doubt(
        "run-1",
        {
            "a": LedgerOutcome(Reason.FAILED, None, None, "m-a", "IN_DOUBT: not seen"),
            # A send recorded meanwhile is never overwritten, nor is an unknown endpoint.
            "b": LedgerOutcome(Reason.FAILED, None, None, "m-b", "IN_DOUBT: not seen"),
            "zz": LedgerOutcome(Reason.FAILED, None, None, "m-z", "IN_DOUBT: not seen"),
        },
    )
    assert written == {"a"}
    assert ledger.outcomes("run-1", ["b"])["b"].reason == Reason.SENT
    assert ledger.outcomes("run-1", ["zz"]) == {}
    # A released record is still in doubt: evidence arriving later makes it SENT once.
    assert ledger.resolve_in_doubt(
        "run-1", {"a": LedgerOutcome(Reason.SENT, "1", None, "m-a", "RECONCILED: _email.send")}
    ) == {"a"}
    assert ledger.outcomes("run-1", ["a"])["a"] == LedgerOutcome(
        Reason.SENT, "1", None, "m-a", "RECONCILED: _email.send"
    )
    assert ledger.in_doubt("run-1") == {"c": ledger.outcomes("run-1", ["c"])["c"]}
    # Resolved records stay claimed: a retried batch cannot claim (and send) them again.
    assert ledger.claim("run-1", ["a", "b", "c"]) == set()
    assert (
        ledger.resolve_in_doubt(
            "run-1", {"a": LedgerOutcome(Reason.FAILED, None, None, "m-a", "IN_DOUBT: x")}
        )
        == set()
    )
