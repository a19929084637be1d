"""Journey engine throughput locally, beside the campaign engine in the same run.

N endpoints (email, a first name, a time zone) are stored in a fresh local project and
put in an imported segment. The whitepaper's onboarding journey (welcome email, a week's
wait, a split on opening the welcome email, tips or basics), started from that segment,
is run by two ticks: the first admits everyone and sends the welcome emails, the
second (a week later, with a tenth of the welcome emails opened) moves everyone through
the wait and the split and sends tips or basics. Moves are counted from the journey's
counters: each participant makes four (entry and welcome, wait, split, last message).

In the same run, the baseline: the campaign engine sends one email campaign to the same
segment (endpoints decided, claimed, rendered and delivered per second). Both deliver to
the local outbox with writes disabled (MIME bytes built, nothing written), so the
figures are the engines' and the database's, not the file system's.

Peak memory is the process's peak resident set after the journey phase (before the
campaign phase), and again at the end.

    python -m bench.bench_journeys [--participants N]

Prints a JSON result and writes it to bench/out/journeys.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clarion.bootstrap import Bootstrap, Settings
from clarion.domain.audience.endpoint import validate_endpoint

OUT = Path(__file__).resolve().parent / "out"
DEMO = Path(__file__).resolve().parents[1] / "demo" / "journeys"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
BATCH = 10_000
ZONES = ["Europe/Paris", "America/New_York", "Asia/Tokyo", None]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _setup(boot: Bootstrap, count: int) -> str:
    store = boot.adapters.profile_store
    for first in range(0, count, BATCH):
        store.put_endpoints(
            [
                validate_endpoint(
                    {
                        "Id": f"e{n}",
                        "ChannelType": "EMAIL",
                        "Address": f"e{n}@example.com",
                        "User": {"UserAttributes": {"FirstName": [f"N{n}"]}},
                        "Demographic": {"Timezone": ZONES[n % len(ZONES)]}
                        if ZONES[n % len(ZONES)]
                        else {},
                    }
                )
                for n in range(first, min(first + BATCH, count))
            ]
        )
    for name in ("welcome", "tips", "basics"):
        boot.template_service.create(
            json.loads((DEMO / f"onboarding-{name}.json").read_text(encoding="utf-8"))
        )
    segment = boot.segment_service.create_imported_segment("bench")
    ids = [f"e{n}" for n in range(count)]
    for first in range(0, count, BATCH):
        boot.segment_service.add_imported_members(segment, ids[first : first + BATCH])
    return str(segment)


def _journey(boot: Bootstrap, segment: str) -> str:
    body = json.loads((DEMO / "onboarding-journey.json").read_text(encoding="utf-8"))
    body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": segment}}
    body.pop("QuietTime", None)  # every participant sendable at the tick's time
    journey = boot.journey_service.create_journey(body)["Id"]
    boot.journey_service.update_journey_state(journey, {"State": "ACTIVE"})
    return str(journey)


def _open_a_tenth(boot: Bootstrap, journey: str, count: int) -> None:
    """A tenth of the welcome emails opened: ``_email.open`` records carrying the
    journey's ids (as SES returns them in the tags), handed to the journey trigger as
    the events consumer does."""
    from clarion.services.events import IngestSource

    opened = [f"e{n}" for n in range(0, count, 10)]
    at = int((START + timedelta(hours=2)).timestamp() * 1000)
    for first in range(0, len(opened), BATCH):
        ids = opened[first : first + BATCH]
        runs = boot.adapters.participant_store.get(journey, ids)
        records = [
            {
                "event_type": "_email.open",
                "event_timestamp": at,
                "arrival_timestamp": at,
                "application": {"app_id": boot.app_id},
                "client": {"client_id": endpoint_id},
                "attributes": {
                    "journey_id": journey,
                    "journey_activity_id": "welcome",
                    "journey_run_id": runs[endpoint_id].run_id,
                },
            }
            for endpoint_id in ids
        ]
        normalised = boot.event_ingest_service.normalise(
            list(enumerate(records)), IngestSource.PINPOINT
        )
        assert not normalised.rejects, normalised.rejects[:1]
        boot.journey_event_trigger.handle_events(normalised.records, START + timedelta(hours=2))


def run(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        boot = Bootstrap(Settings(home=Path(home)))
        from clarion.adapters.local.messaging.delivery_channel import OutboxChannel

        boot.adapters.__dict__["delivery_channel"] = OutboxChannel(Path(home), write=False)
        now = START
        boot.clock = lambda: now
        started = time.perf_counter()
        segment = _setup(boot, count)
        setup_s = time.perf_counter() - started

        journey = _journey(boot, segment)
        started = time.perf_counter()
        boot.journey_ticker.tick(now)
        first_s = time.perf_counter() - started
        _open_a_tenth(boot, journey, count)
        now = START + timedelta(days=7, minutes=10)
        started = time.perf_counter()
        boot.journey_ticker.tick(now)
        second_s = time.perf_counter() - started
        metrics = boot.journey_reports.execution_metrics(journey)["Metrics"]
        split = boot.journey_reports.execution_activity_metrics(journey, "opened")["Metrics"]
        journey_peak = _peak_rss_mb()
        moves = 4 * int(metrics.get("ENDPOINT_LEFT", "0"))
        journey_s = first_s + second_s

        campaign = boot.campaign_service.create_campaign(
            {
                "Name": "bench",
                "SegmentId": segment,
                "MessageConfiguration": {
                    "EmailMessage": {
                        "Title": "Hello {{User.UserAttributes.FirstName}}",
                        "HtmlBody": "<p>Hello {{User.UserAttributes.FirstName}}</p>",
                        "FromAddress": "news@example.com",
                    }
                },
                "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
            }
        )
        started = time.perf_counter()
        boot.campaign_service.launch(campaign["Id"], now=now)
        campaign_s = time.perf_counter() - started
        return {
            "benchmark": "journeys",
            "participants": count,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "setup_s": round(setup_s, 2),
            "journey": {
                "entered": int(metrics.get("ENDPOINT_ENTERED", "0")),
                "left": int(metrics.get("ENDPOINT_LEFT", "0")),
                "moves": moves,
                "split": {"opened": int(split["Branch_1"]), "not_opened": int(split["Branch_2"])},
                "first_tick_s": round(first_s, 2),
                "second_tick_s": round(second_s, 2),
                "participants_per_s": round(count / journey_s, 1),
                "moves_per_s": round(moves / journey_s, 1),
                "peak_rss_mb": journey_peak,
            },
            "baseline_campaign": {
                "endpoints": count,
                "run_s": round(campaign_s, 2),
                "endpoints_per_s": round(count / campaign_s, 1),
            },
            "peak_rss_mb_end": _peak_rss_mb(),
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    result = run(args.participants)
    OUT.mkdir(exist_ok=True)
    (OUT / "journeys.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
