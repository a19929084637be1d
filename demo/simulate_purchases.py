"""Simulated purchases for the demo: what the customers of the whitepaper campaign buy
around its emails, as the shop's app would report them (``_monetization.purchase``
events in Pinpoint PutEvents bodies, at most 100 events each).

Everyone in the segment may buy before the send (not a conversion) and during the week
after it; emailed customers are likelier to, those who clicked likelier still (the
treatment with the short subject a little more), and some purchases come after the
7-day attribution window. The held-out customers get no email, so their purchases are
the baseline the lift is measured against. Times are offsets from the run's start, so
they fall after the send whatever the clock says (up to 10 days after it).

Usage: python demo/simulate_purchases.py OUTBOX_DIR MEMBERS_FILE RUNS_JSON SES_EVENTS OUT_DIR
       [--seed N]
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from clarion.domain.events.records import MessageContext

MAX_EVENTS = 100  # PutEvents takes at most 100 events a request
CATALOGUE = (("whitepaper-print", 19.99), ("whitepaper-bundle", 49.00), ("workshop-seat", 129.50))
# Chance of buying in the week after the send.
BASELINE, EMAILED, CLICKED, SHORT_SUBJECT_BONUS = 0.12, 0.30, 0.60, 0.08
BEFORE, AFTER_WINDOW = 0.15, 0.10


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _emails(outbox: Path) -> dict[str, tuple[str, str]]:
    """endpoint id -> (treatment id, run id) of every email in the outbox."""
    parser = BytesParser(policy=policy.default)
    found = {}
    for path in sorted((outbox / "email").glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        found[str(message["X-Clarion-Endpoint-Id"])] = (
            str(message["X-Clarion-Treatment-Id"]),
            str(message["X-Clarion-Run-Id"]),
        )
    return found


def _clickers(ses_events: Path) -> set[str]:
    clicked = set()
    for line in ses_events.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("eventType") == "Click":
            endpoint = MessageContext.from_ses_tags(record["mail"]["tags"]).endpoint_id
            if endpoint:
                clicked.add(endpoint)
    return clicked


def _purchase(rng: random.Random, at: datetime) -> dict[str, Any]:
    product, price = rng.choice(CATALOGUE)
    return {
        "EventType": "_monetization.purchase",
        "Timestamp": _iso(at),
        "Attributes": {"_product_id": product, "_currency": "USD", "_store": "web"},
        "Metrics": {"_item_price": price, "_quantity": float(rng.choice((1, 1, 1, 2)))},
    }


def simulate(
    outbox: Path, members: list[str], runs: list[dict[str, Any]], ses_events: Path, seed: int
) -> dict[str, list[dict[str, Any]]]:
    """endpoint id -> its purchase events."""
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data)
    starts = {
        run["RunId"]: datetime.fromisoformat(run["StartTime"].replace("Z", "+00:00")).astimezone(
            UTC
        )
        for run in runs
    }
    first = min(starts.values())
    emails = _emails(outbox)
    clicked = _clickers(ses_events)
    purchases: dict[str, list[dict[str, Any]]] = {}
    for endpoint in members:
        treatment, run = emails.get(endpoint, (None, None))
        sent = starts.get(run or "", first)
        events = []
        if rng.random() < BEFORE:  # bought before the email: no conversion
            events.append(_purchase(rng, sent - timedelta(hours=rng.randint(2, 72))))
        chance = BASELINE
        if treatment is not None:
            chance = CLICKED if endpoint in clicked else EMAILED
            chance += SHORT_SUBJECT_BONUS if treatment == "1" else 0.0
        if rng.random() < chance:
            events.append(_purchase(rng, sent + timedelta(minutes=rng.randint(20, 6 * 24 * 60))))
        if rng.random() < AFTER_WINDOW:  # after the 7-day window: no conversion
            events.append(_purchase(rng, sent + timedelta(hours=rng.randint(8 * 24, 10 * 24))))
        if events:
            purchases[endpoint] = events
    return purchases


def put_events_bodies(purchases: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """PutEvents bodies of at most MAX_EVENTS events each."""
    bodies: list[dict[str, Any]] = []
    batch: dict[str, Any] = {}
    count = 0
    for endpoint, events in purchases.items():
        if count + len(events) > MAX_EVENTS:
            bodies.append({"BatchItem": batch})
            batch, count = {}, 0
        batch[endpoint] = {
            "Endpoint": {},
            "Events": {f"purchase-{endpoint[:8]}-{n}": event for n, event in enumerate(events)},
        }
        count += len(events)
    if batch:
        bodies.append({"BatchItem": batch})
    return bodies


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("outbox", type=Path)
    arguments.add_argument("members", type=Path, help="endpoint ids, one a line")
    arguments.add_argument("runs", type=Path, help="the campaign's runs (clarion --json)")
    arguments.add_argument("ses_events", type=Path, help="the simulated SES events")
    arguments.add_argument("out", type=Path, help="a folder for purchases-N.json")
    arguments.add_argument("--seed", type=int, default=11)
    options = arguments.parse_args()
    members = [line for line in options.members.read_text().splitlines() if line]
    runs = json.loads(options.runs.read_text(encoding="utf-8"))
    purchases = simulate(options.outbox, members, runs, options.ses_events, options.seed)
    options.out.mkdir(parents=True, exist_ok=True)
    bodies = put_events_bodies(purchases)
    for number, body in enumerate(bodies, start=1):
        (options.out / f"purchases-{number}.json").write_text(json.dumps(body), encoding="utf-8")
    total = sum(len(events) for events in purchases.values())
    print(
        f"Wrote {total} purchases by {len(purchases)} customers in {len(bodies)} PutEvents bodies"
    )


if __name__ == "__main__":
    main()
