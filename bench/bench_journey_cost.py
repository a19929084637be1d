"""The AWS cost of the journey design, from counted API calls per 1,000 participants.

The whitepaper's onboarding journey (welcome email, a week's wait, a split on opening
the welcome email, tips or basics) runs on the aws backend under moto for N
participants (default 1,000) through the journey tick's real steps, as the tick state
machine calls them: plan (which starts the run's Athena audience query), admit batches
of 500 (the query's rows), entered, every shard advanced page by page, finish; a tenth
of the welcome emails opened through the journey trigger (what the journeys' stream
consumer does); a week later a second tick. Every AWS call the handlers make is
counted (botocore's ``before-call`` and ``after-call`` hooks), with the DynamoDB items
each writes and reads; the Lambda invocations and Step Functions state transitions are
counted from the steps taken, following ``infra/statemachines/journey_tick.asl.json``.

The counts are scaled to 1,000,000 participants and priced (us-east-1 list prices,
below) beside two alternatives for the same month:

- one Step Functions Standard execution per participant (the journey as a state
  machine: message task, wait, a task reading whether the welcome email was opened,
  choice, message task), which still needs the same send ledger and message governor
  writes;
- what Amazon Pinpoint charged: journeys were billed by monthly targeted audience
  (the first 5,000 endpoints free, then $0.0012 per endpoint).

Email delivery (SES, $0.10 per 1,000) is the same in all three and left out; so is the
events stream, which campaigns share.

    python -m bench.bench_journey_cost [--participants N]

Prints a JSON result and writes it to bench/out/journey_cost.json.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
DEMO = Path(__file__).resolve().parents[1] / "demo" / "journeys"
REGION = "us-east-1"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
BATCH = 500  # members per admit batch (JourneyTickSteps.batch_size)
SCALE_TO = 1_000_000
TICKS_PER_MONTH = 30 * 24 * 12  # rate(5 minutes)

# us-east-1 list prices.
PRICES = {
    "sfn_per_transition": 0.025 / 1000,
    "lambda_per_request": 0.20 / 1_000_000,
    "lambda_per_gb_s": 0.0000166667,
    "dynamodb_per_wru": 0.625 / 1_000_000,  # on-demand
    "dynamodb_per_rru": 0.125 / 1_000_000,
    "pinpoint_per_mta": 0.0012,
    "pinpoint_free_mta": 5000,
}
# Assumed mean Lambda duration per invocation (s) and memory (GB) of the tick steps.
LAMBDA_SECONDS = 0.5
LAMBDA_GB = 1.0
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem"}


class Calls:
    """Counts of the AWS calls made, and DynamoDB items written and read."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.wru = 0
        self.rru = 0.0
        self.wru_by_table: Counter[str] = Counter()

    def hook(self, client: Any) -> None:
        client.meta.events.register("before-call", self._before)
        client.meta.events.register("after-call", self._after)

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        self.calls[f"{service}:{model.name}"] += 1
        if service != "dynamodb":
            return
        body = params.get("body") or b"{}"
        request = json.loads(body) if isinstance(body, (bytes, str)) else {}
        if model.name in WRITES:
            self._write(request.get("TableName", ""), 1)
        elif model.name == "BatchWriteItem":
            for table, items in request.get("RequestItems", {}).items():
                self._write(table, len(items))
        elif model.name == "TransactWriteItems":
            for item in request.get("TransactItems", []):
                (action,) = item.values()
                self._write(action.get("TableName", ""), 2)  # transactions cost 2x

    def _write(self, table: str, units: int) -> None:
        self.wru += units
        self.wru_by_table[table] += units

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.service_model.service_name != "dynamodb":
            return
        if model.name in READS:
            self.rru += 0.5  # an eventually consistent read of an item under 4 KB
        elif model.name in {"Query", "Scan"}:
            self.rru += max(0.5, 0.5 * len(parsed.get("Items", [])) / 4)  # KEYS/small items
        elif model.name == "BatchGetItem":
            self.rru += 0.5 * sum(len(v) for v in parsed.get("Responses", {}).values())


def _deploy(clients: dict[str, Any]) -> None:
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.journeys import journeys_table_spec
    from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec

    dynamodb = clients["dynamodb"]
    dynamodb.create_table(**endpoints_table_spec("cost-endpoints"))
    dynamodb.create_table(**definitions_table_spec("cost-definitions"))
    dynamodb.create_table(**sends_table_spec("cost-sends"))
    dynamodb.create_table(**journeys_table_spec("cost-journeys"))
    clients["s3"].create_bucket(Bucket="cost-data")
    clients["kinesis"].create_stream(StreamName="cost-events", ShardCount=1)
    clients["ses"].verify_domain_identity(Domain="example.com")
    clients["sesv2"].create_configuration_set(ConfigurationSetName="cost-email")
    # Plan starts the run's audience query there (its rows are not read: the batches
    # are the bench's own).
    clients["athena"].create_work_group(
        Name="cost-workgroup",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://cost-data/athena-results/"}},
    )


def run(count: int) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from clarion.domain.audience.endpoint import validate_endpoint
    from clarion.domain.journeys.durations import to_ms
    from clarion.domain.journeys.participant import PARTICIPANT_SHARDS
    from clarion.services.events import IngestSource

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ.setdefault(name, "testing")
    with mock_aws():
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in ("dynamodb", "s3", "sesv2", "ses", "kinesis", "athena")
        }
        _deploy(clients)
        settings = Settings(
            backend="aws",
            app_id="cost-app",
            aws=AwsSettings(
                region=REGION,
                endpoints_table="cost-endpoints",
                definitions_table="cost-definitions",
                data_bucket="cost-data",
                athena_workgroup="cost-workgroup",
                events_stream="cost-events",
                sends_table="cost-sends",
                journeys_table="cost-journeys",
                from_address="Clarion <news@example.com>",
                ses_configuration_set="cost-email",
                delivery_threads=1,
            ),
        )
        boot = Bootstrap(settings, **clients)
        now = START
        boot.clock = lambda: now
        ids = [f"e{n}" for n in range(count)]
        boot.adapters.profile_store.put_endpoints(
            [
                validate_endpoint(
                    {
                        "Id": i,
                        "ChannelType": "EMAIL",
                        "Address": f"{i}@example.com",
                        "User": {"UserAttributes": {"FirstName": [i]}},
                    }
                )
                for i in ids
            ]
        )
        for part in ("welcome", "tips", "basics"):
            boot.template_service.create(
                json.loads((DEMO / f"onboarding-{part}.json").read_text(encoding="utf-8"))
            )
        segment = boot.segment_service.create_imported_segment("cost")
        body = json.loads((DEMO / "onboarding-journey.json").read_text(encoding="utf-8"))
        body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": segment}}
        body.pop("QuietTime", None)
        journey = boot.journey_service.create_journey(body)["Id"]
        boot.journey_service.update_journey_state(journey, {"State": "ACTIVE"})

        calls = Calls()
        for client in clients.values():
            calls.hook(client)
        steps = boot.journey_tick_steps
        invocations: Counter[str] = Counter()
        transitions = 0

        def tick(at: datetime) -> None:
            nonlocal transitions
            plan = steps.plan(at)
            invocations["plan"] += 1
            transitions += 2  # Plan, EntryPending?
            entry = plan["Entry"]
            while entry is not None:
                # AudienceQueryStarted (Plan or Entered started the query), get (once
                # ready), done?; the Map; per batch: Admit.
                transitions += 4
                for first in range(0, count, BATCH):
                    steps.admit_batch(
                        entry["JourneyId"], entry["RunId"], ids[first : first + BATCH], plan["Now"]
                    )
                    invocations["enter"] += 1
                    transitions += 1
                entry = steps.entered(entry["JourneyId"], entry["RunId"], plan["Now"])["Entry"]
                invocations["entered"] += 1
                transitions += 3  # Entered, NextEntry, EntryPending?
            transitions += 1  # AdvanceShards
            for shard in plan["Shards"]:
                more = True
                while more:
                    report = steps.advance_shard(
                        shard["JourneyId"], shard["Shard"], plan["Now"], cancel=shard["Cancel"]
                    )
                    invocations["advance"] += 1
                    transitions += 2  # Advance, MoreDue?
                    more = report["More"]
                transitions += 1  # ShardDone
            steps.finish(plan["Now"])
            invocations["finish"] += 1
            transitions += 2  # Finish, TickDone

        tick(now)
        opened = ids[::10]
        participants = boot.adapters.participant_store.get(journey, opened)
        at = to_ms(START + timedelta(hours=2))
        records = [
            {
                "event_type": "_email.open",
                "event_timestamp": at,
                "arrival_timestamp": at,
                "application": {"app_id": boot.app_id},
                "client": {"client_id": i},
                "attributes": {
                    "journey_id": journey,
                    "journey_activity_id": "welcome",
                    "journey_run_id": participants[i].run_id,
                },
            }
            for i in opened
        ]
        normalised = boot.event_ingest_service.normalise(
            list(enumerate(records)), IngestSource.PINPOINT
        )
        boot.journey_event_trigger.handle_events(normalised.records, START + timedelta(hours=2))
        invocations["events"] += max(1, len(records) // 100)  # stream batches of 100
        now = START + timedelta(days=7, minutes=10)
        tick(now)
        metrics = boot.journey_reports.execution_metrics(journey)["Metrics"]
        sends = sum(v for k, v in calls.calls.items() if k.startswith(("sesv2:", "ses:")))
        ledger_wru_share = _ledger_share(calls)

    scale = SCALE_TO / count
    # An idle tick (nothing due) with one active journey: plan, 16 shard pages, finish.
    idle_transitions = 2 + 1 + PARTICIPANT_SHARDS * 3 + 2
    idle_invocations = 2 + PARTICIPANT_SHARDS
    design = {
        "sfn_transitions": transitions * scale + idle_transitions * TICKS_PER_MONTH,
        "lambda_invocations": sum(invocations.values()) * scale
        + idle_invocations * TICKS_PER_MONTH,
        "dynamodb_wru": calls.wru * scale,
        "dynamodb_rru": calls.rru * scale,
    }
    design_cost = _price(design)
    # One Standard execution per participant: start, welcome task, wait, opened-check
    # task, choice, message task, end: 7 transitions, 3 Lambda invocations; the ledger
    # and governor writes (a share of the counted ones) stay.
    per_participant = {
        "sfn_transitions": 7 * SCALE_TO,
        "lambda_invocations": 3 * SCALE_TO,
        "dynamodb_wru": calls.wru * scale * ledger_wru_share,
        "dynamodb_rru": calls.rru * scale * ledger_wru_share,
    }
    per_participant_cost = _price(per_participant)
    pinpoint = (SCALE_TO - PRICES["pinpoint_free_mta"]) * PRICES["pinpoint_per_mta"]
    return {
        "benchmark": "journey_cost",
        "participants_measured": count,
        "scaled_to": SCALE_TO,
        "journey_metrics": {k: metrics.get(k) for k in ("ENDPOINT_ENTERED", "ENDPOINT_LEFT")},
        "messages_sent_measured": sends,
        "counted_per_1000_participants": {
            "aws_calls": {k: round(v * 1000 / count, 1) for k, v in sorted(calls.calls.items())},
            "dynamodb_wru": round(calls.wru * 1000 / count, 1),
            "dynamodb_wru_by_table": {
                k: round(v * 1000 / count, 1) for k, v in sorted(calls.wru_by_table.items())
            },
            "dynamodb_rru": round(calls.rru * 1000 / count, 1),
            "lambda_invocations": round(sum(invocations.values()) * 1000 / count, 2),
            "sfn_transitions": round(transitions * 1000 / count, 2),
        },
        "monthly_usd": {
            "this_design": design_cost,
            "step_functions_standard_per_participant": per_participant_cost,
            "pinpoint": round(pinpoint, 2),
        },
        "assumptions": {
            "prices": PRICES,
            "lambda_seconds_per_invocation": LAMBDA_SECONDS,
            "lambda_gb": LAMBDA_GB,
            "ticks_per_month": TICKS_PER_MONTH,
            "excluded": "SES delivery and the shared events stream (the same in all three)",
        },
    }


def _ledger_share(calls: Calls) -> float:
    """The share of DynamoDB writes that went to the sends table (the send ledger and
    the governor's counts): what a per-participant state machine would still write."""
    return calls.wru_by_table["cost-sends"] / calls.wru if calls.wru else 0.0


def _price(usage: dict[str, float]) -> dict[str, float]:
    lambda_cost = usage["lambda_invocations"] * (
        PRICES["lambda_per_request"] + LAMBDA_SECONDS * LAMBDA_GB * PRICES["lambda_per_gb_s"]
    )
    parts = {
        "step_functions": usage["sfn_transitions"] * PRICES["sfn_per_transition"],
        "lambda": lambda_cost,
        "dynamodb": usage["dynamodb_wru"] * PRICES["dynamodb_per_wru"]
        + usage["dynamodb_rru"] * PRICES["dynamodb_per_rru"],
    }
    parts = {k: round(v, 2) for k, v in parts.items()}
    parts["total"] = round(sum(parts.values()), 2)
    return parts


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    args = parser.parse_args(argv)
    result = run(args.participants)
    OUT.mkdir(exist_ok=True)
    (OUT / "journey_cost.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
