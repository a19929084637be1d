"""Cost model for 1,000,000 endpoints, 4 emails a month each and 20 events a month each,
beside Pinpoint's price. Goal: under 0.3x Pinpoint's.

Two parts, in the same run:

1. The usage per unit of work, counted under moto on the aws backend: a campaign's send
   batch of ``--count`` email endpoints (``CampaignRunSteps.send_batch``, what the
   send-batch function runs), then PutEvents of ``--count`` endpoints with ``--events``
   events each (the ingest function's ``put_events_body``), then every record the two
   put on the stream read back and consumed (what the events consumer runs). Every AWS
   call is counted (botocore hooks), with the DynamoDB request units each uses and the
   Kinesis records each puts: per message, per event.
2. ``clarion cost estimate`` for the workload, with the usage profile's DynamoDB and
   Kinesis figures replaced by the counted ones, beside the default profile's estimate
   and Pinpoint's price (the baseline).

    python -m bench.bench_cost_model [--count N] [--events E]

Prints a JSON result and writes it to bench/out/cost_model.json.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_journey_cost import Calls

OUT = Path(__file__).resolve().parent / "out"
REGION = "us-east-1"
WORKLOAD = {"endpoints": 1_000_000, "emails_per_endpoint": 4, "events_per_endpoint": 20}


class Records:
    """Kinesis records put (PutRecord and PutRecords)."""

    def __init__(self) -> None:
        self.count = 0

    def hook(self, client: Any) -> None:
        client.meta.events.register("before-call.kinesis.PutRecords", self._many)
        client.meta.events.register("before-call.kinesis.PutRecord", self._one)

    def _many(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b"{}"
        self.count += len(json.loads(body).get("Records", []))

    def _one(self, **_: Any) -> None:
        self.count += 1


def _deploy(clients: dict[str, Any]) -> None:
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec

    dynamodb = clients["dynamodb"]
    dynamodb.create_table(**endpoints_table_spec("cost-endpoints"))
    dynamodb.create_table(**definitions_table_spec("cost-definitions"))
    dynamodb.create_table(**sends_table_spec("cost-sends"))
    clients["s3"].create_bucket(Bucket="cost-data")
    clients["kinesis"].create_stream(StreamName="cost-events", ShardCount=1)
    clients["ses"].verify_domain_identity(Domain="example.com")
    clients["sesv2"].create_configuration_set(ConfigurationSetName="cost-email")


def _snapshot(calls: Calls, records: Records) -> tuple[float, float, int]:
    return float(calls.wru), float(calls.rru), records.count


def measure(count: int, events: int) -> dict[str, float]:
    """DynamoDB request units and Kinesis records per message sent and per event."""
    import boto3
    from moto import mock_aws

    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from clarion.domain.audience.endpoint import validate_endpoint
    from clarion.services.events.stream_record import StreamRecord

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "testing"
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
                events_stream="cost-events",
                sends_table="cost-sends",
                from_address="Clarion <news@example.com>",
                ses_configuration_set="cost-email",
                delivery_threads=1,
            ),
        )
        boot = Bootstrap(settings, **clients)
        ids = [f"e{n}" for n in range(count)]
        boot.adapters.profile_store.put_endpoints(
            [
                validate_endpoint(
                    {
                        "Id": i,
                        "ChannelType": "EMAIL",
                        "Address": f"{i}@example.com",
                        "User": {"UserId": f"u{i}", "UserAttributes": {"FirstName": [i]}},
                    }
                )
                for i in ids
            ]
        )
        boot.template_service.create(
            {
                "TemplateName": "news",
                "EmailTemplateRequest": {
                    "Subject": "News for {{User.UserAttributes.FirstName}}",
                    "TextPart": "Hello {{User.UserAttributes.FirstName}}",
                },
            }
        )
        segment = boot.segment_service.create_segment(
            {"Name": "all email", "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}}}
        )
        campaign = boot.campaign_service.create_campaign(
            {
                "Name": "monthly news",
                "SegmentId": segment["Id"],
                "TemplateConfiguration": {"EmailTemplate": {"Name": "news"}},
                "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE", "Timezone": "UTC"},
            }
        )
        run = boot.campaign_runner.plan_run(str(campaign["Id"]), now=datetime.now(UTC))

        calls, records = Calls(), Records()
        for client in clients.values():
            calls.hook(client)
        records.hook(clients["kinesis"])

        boot.campaign_run_steps.send_batch(str(run["RunId"]), ids)
        sent = _snapshot(calls, records)
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        for first in range(0, count, 10):  # PutEvents requests of 10 endpoints
            body = {
                "BatchItem": {
                    i: {
                        "Endpoint": {},
                        "Events": {
                            f"{i}-{n}": {
                                "EventType": "_session.start" if n == 0 else "page.view",
                                "Timestamp": datetime.fromtimestamp(
                                    (now_ms + n) / 1000, UTC
                                ).isoformat(),
                                "Session": {
                                    "Id": f"s-{i}",
                                    "StartTimestamp": "2026-12-01T00:00:00Z",
                                },
                            }
                            for n in range(events)
                        },
                    }
                    for i in ids[first : first + 10]
                }
            }
            boot.event_intake_service.put_events_body(body)
        ingested = _snapshot(calls, records)

        # Read back everything on the stream and consume it, as the consumer does.
        kinesis = clients["kinesis"]
        shard = kinesis.list_shards(StreamName="cost-events")["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName="cost-events", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        consumed = 0
        before = _snapshot(calls, records)
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            for item in page["Records"]:
                boot.event_stream_consumer.consume(
                    StreamRecord(
                        sequence_number=item["SequenceNumber"],
                        data=base64.b64encode(item["Data"]).decode(),
                        arrival_ms=now_ms,
                        raw={},
                    )
                )
                consumed += 1
            iterator = page.get("NextShardIterator") if page["Records"] else None
        after = _snapshot(calls, records)
    total_events = count * events
    return {
        "message_wru": sent[0] / count,
        "message_rru": sent[1] / count,
        "message_kinesis_records": sent[2] / count,
        "intake_wru_per_event": (ingested[0] - sent[0]) / total_events,
        "kinesis_records_per_event": (ingested[2] - sent[2]) / total_events,
        "consumer_wru_per_record": (after[0] - before[0]) / max(1, consumed),
        "records_consumed": consumed,
        "calls": dict(calls.calls),
    }


def run(count: int, events: int) -> dict[str, Any]:
    from clarion.domain.cost import DEFAULT_USAGE, Workload, estimate
    from clarion.services.cost import CostService

    counted = measure(count, events)
    prices = CostService().prices()
    workload = Workload(**WORKLOAD)
    # What one event costs in writes: at intake, then each of its records consumed.
    event_wru = (
        counted["intake_wru_per_event"]
        + counted["consumer_wru_per_record"] * (counted["kinesis_records_per_event"])
    )
    measured_usage = dataclasses.replace(
        DEFAULT_USAGE,
        message_wru=counted["message_wru"] + counted["consumer_wru_per_record"],
        message_rru=counted["message_rru"],
        message_kinesis_records=counted["message_kinesis_records"],
        event_wru=event_wru,
    )
    measured = estimate(workload, prices, measured_usage)
    default = estimate(workload, prices)
    return {
        "benchmark": "cost_model",
        "workload": WORKLOAD,
        "priced_on": prices.priced_on.isoformat(),
        "counted_under_moto": {k: v for k, v in counted.items() if k != "calls"},
        "calls": counted["calls"],
        "clarion_usd_measured_profile": round(measured.clarion_total, 2),
        "clarion_usd_default_profile": round(default.clarion_total, 2),
        "pinpoint_usd": round(measured.pinpoint_total, 2),
        "ratio_to_pinpoint": round(measured.ratio or 0.0, 4),
        "goal": "under 0.3x Pinpoint's",
        "lines": [line.to_json() for line in measured.clarion],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--count", type=int, default=200)
    options.add_argument("--events", type=int, default=5)
    args = options.parse_args(argv)
    result = run(args.count, args.events)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cost_model.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("lines", "calls")}, indent=2))
    return result


if __name__ == "__main__":
    main()
