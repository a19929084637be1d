"""Campaign send planning and rendering throughput.

For N generated endpoints (in memory, in batches of 1,000): the full decision path of a
campaign run (opt-out, inactive, channel, quiet time in the endpoint's zone, daily and
total caps, holdout and treatment assignment), rendering of the treatment's email, and
delivery to the local outbox with writes disabled (MIME bytes built, nothing written).
The planning part (decisions and rendering) is also timed on its own, beside the outbox
(MIME building). In the same run, the baseline: a bare loop that formats one string per endpoint.

The send ledger is left out (its cost is the database's, measured by the contract
suites); cap counts come from a dict, as one batch read would return them.

    python -m bench.bench_send_planning [--count N] [--seed S]

Prints a JSON result and writes it to bench/out/send_planning.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clarion.adapters.local.messaging.delivery_channel import OutboxChannel
from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.campaigns.assignment import assigner_for
from clarion.domain.campaigns.channel_messages import campaign_channel_messages
from clarion.domain.campaigns.model import validate_campaign_response
from clarion.domain.campaigns.quiet_time import QuietWindow
from clarion.domain.campaigns.run import RunRules, decide
from clarion.domain.events.records import MessageContext
from clarion.domain.messaging.delivery import OutboundMessage, message_id_for
from clarion.domain.messaging.ledger import NO_SENDS, CapCount, Reason

OUT = Path(__file__).resolve().parent / "out"
BATCH = 1000
NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
ZONES = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", None]
NAMES = ["Zoë", "Ana", "<b>Bo</b>", "O'Neil", "Chen", "Amara", "Luis", "Sofia"]

CAMPAIGN = {
    "Id": "bench",
    "Version": 1,
    "ApplicationId": "clarion",
    "Arn": "arn:clarion:campaigns:bench",
    "CreationDate": "2025-03-12T00:00:00.000Z",
    "LastModifiedDate": "2025-03-12T00:00:00.000Z",
    "SegmentId": "everyone",
    "SegmentVersion": 1,
    "HoldoutPercent": 10,
    "MessageConfiguration": {
        "EmailMessage": {
            "Title": "Your whitepaper, {{User.UserAttributes.FirstName}}",
            "HtmlBody": "<p>Hello {{User.UserAttributes.FirstName}},</p>"
            "<p>A copy is on its way to {{Attributes.Address}}.</p>",
            "Body": "Hello {{User.UserAttributes.FirstName}}, a copy is on its way to "
            "{{Attributes.Address}}.",
            "FromAddress": "news@example.com",
        }
    },
    "AdditionalTreatments": [
        {
            "Id": "1",
            "SizePercent": 45,
            "MessageConfiguration": {
                "EmailMessage": {
                    "Title": "{{User.UserAttributes.FirstName}}, your copy",
                    "HtmlBody": "<p>Hi {{User.UserAttributes.FirstName}}</p>",
                }
            },
        }
    ],
    "Schedule": {
        "StartTime": "IMMEDIATE",
        "QuietTime": {"Start": "22:00", "End": "07:00"},
    },
    "Limits": {"Daily": 1, "Total": 5},
}


def endpoint_batches(count: int, seed: int) -> Iterator[list[Endpoint]]:
    rng = random.Random(seed)
    for start in range(0, count, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, count)):
            zone = rng.choice(ZONES)
            data: dict[str, Any] = {
                "Id": f"ep-{n}",
                "ChannelType": "EMAIL",
                "Address": f"user{n}@example.com",
                "User": {"UserId": f"u{n}", "UserAttributes": {"FirstName": [rng.choice(NAMES)]}},
                "Attributes": {"Address": [f"{n} Main St"]},
            }
            if zone:
                data["Demographic"] = {"Timezone": zone}
            if n % 20 == 0:
                data["OptOut"] = "ALL"
            if n % 50 == 1:
                data["EndpointStatus"] = "INACTIVE"
            batch.append(Endpoint.model_validate(data))
        yield batch


def run(count: int, seed: int) -> dict[str, Any]:
    campaign = validate_campaign_response(CAMPAIGN)
    messages = {
        share.treatment_id: campaign_channel_messages(
            f"bench-{share.treatment_id}", share.message_configuration, {}
        )
        for share in campaign.treatments()
    }
    assert campaign.schedule is not None and campaign.limits is not None
    rules = RunRules(
        campaign_id=campaign.id,
        assigner=assigner_for(campaign),
        treatment_channels={k: frozenset(v) for k, v in messages.items()},
        schedule=campaign.schedule,
        run_time=NOW,
        quiet=QuietWindow.of(campaign.schedule.quiet_time),
        daily_cap=campaign.limits.daily,
        total_cap=campaign.limits.total,
    )
    rng = random.Random(seed + 1)
    counts: dict[str, int] = {}
    engine = 0.0
    planning = 0.0  # decisions and rendering, without the outbox
    baseline = 0.0
    with tempfile.TemporaryDirectory() as home:
        channel = OutboxChannel(Path(home), write=False, clock=lambda: NOW)
        for batch in endpoint_batches(count, seed):
            # One in 25 endpoints already had today's message (the batch's cap read).
            caps = {e.id: CapCount(1, 1) for e in batch if rng.random() < 0.04}
            started = time.perf_counter()
            outbound = []
            for endpoint in batch:
                decision = decide(endpoint, rules, NOW, caps.get(endpoint.id, NO_SENDS))
                counts[decision.reason.value] = counts.get(decision.reason.value, 0) + 1
                if decision.reason != Reason.SEND:
                    continue
                treatment = decision.treatment_id or "0"
                plan = messages[treatment][endpoint.channel_type]  # type: ignore[index]
                outbound.append(
                    OutboundMessage(
                        message_id=message_id_for("bench-run", endpoint.id),
                        channel=endpoint.channel_type,  # type: ignore[arg-type]
                        address=endpoint.address or "",
                        content=plan.render(endpoint.to_pinpoint(), now=NOW),
                        context=MessageContext(
                            campaign_id=campaign.id,
                            treatment_id=treatment,
                            endpoint_id=endpoint.id,
                            run_id="bench-run",
                        ),
                        sender=plan.sender,
                    )
                )
            planned = time.perf_counter()
            planning += planned - started
            results = channel.deliver(outbound)
            engine += time.perf_counter() - started
            assert len(results) == len(outbound)

            started = time.perf_counter()
            lines = [
                f"{e.user.user_attributes['FirstName'][0]} <{e.address}>"  # type: ignore[union-attr,index]
                for e in batch
            ]
            baseline += time.perf_counter() - started
            assert len(lines) == len(batch)
    return {
        "benchmark": "send_planning",
        "endpoints": count,
        "seed": seed,
        "decisions": dict(sorted(counts.items())),
        "engine_seconds": round(engine, 3),
        "engine_endpoints_per_second": round(count / engine) if engine else None,
        "messages_per_second": round(counts.get("SEND", 0) / engine) if engine else None,
        "planning_seconds": round(planning, 3),
        "planning_endpoints_per_second": round(count / planning) if planning else None,
        "outbox_seconds": round(engine - planning, 3),
        # The outbox part is MIME building (writes are off): emails built a second.
        "outbox_emails_per_second": round(counts.get("SEND", 0) / (engine - planning))
        if engine > planning
        else None,
        "baseline_seconds": round(baseline, 3),
        "baseline_endpoints_per_second": round(count / baseline) if baseline else None,
        "slowdown_vs_baseline": round(engine / baseline, 1) if baseline else None,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_send_planning")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run(args.count, args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "send_planning.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
