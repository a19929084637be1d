"""Simulated recipient behaviour for the demo: SES v2 event records for the emails in
the local outbox, as a configuration set's event destination would publish them
(Delivery, Open, Click, Bounce, Complaint, Subscription). The Send records are already
stored: the outbox recorded them when it accepted each message, under the same message
id (the ``.eml`` file's name), as SES would.

By default the campaign emails (those without an ``X-Clarion-Journey-Id`` header); with
``--journey`` the journey emails of one activity (``--activity``), whose events carry
the journey's ids back in their tags, as SES returns a message's tags.

Usage: python demo/simulate_engagement.py OUTBOX_DIR OUT_FILE [--seed N]
       python demo/simulate_engagement.py OUTBOX_DIR OUT_FILE --journey --activity welcome
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from clarion.domain.events.records import MessageContext

_CONTEXT_HEADERS = {
    "app_id": "X-Clarion-App-Id",
    "campaign_id": "X-Clarion-Campaign-Id",
    "campaign_activity_id": "X-Clarion-Campaign-Activity-Id",
    "treatment_id": "X-Clarion-Treatment-Id",
    "endpoint_id": "X-Clarion-Endpoint-Id",
    "run_id": "X-Clarion-Run-Id",
    "journey_id": "X-Clarion-Journey-Id",
    "journey_activity_id": "X-Clarion-Journey-Activity-Id",
    "journey_run_id": "X-Clarion-Journey-Run-Id",
}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mail(message: Any, sent: datetime, provider_id: str) -> dict[str, Any]:
    context = MessageContext(
        **{field: message[header] for field, header in _CONTEXT_HEADERS.items() if message[header]}
    )
    tags: dict[str, list[str]] = {"ses:configuration-set": ["clarion"]}
    for tag in context.to_ses_tags():
        tags[tag["Name"]] = [tag["Value"]]
    return {
        "timestamp": _iso(sent),
        "source": str(message["From"]),
        "sendingAccountId": "123456789012",
        "messageId": provider_id,
        "destination": [str(message["To"])],
        "headersTruncated": False,
        "commonHeaders": {
            "from": [str(message["From"])],
            "to": [str(message["To"])],
            "subject": str(message["Subject"]),
        },
        "tags": tags,
    }


def _journey_simulation(
    messages: list[tuple[Path, Any]], seed: int, at: datetime | None
) -> list[dict[str, Any]]:
    """A journey email's life: sent and delivered; about half opened (some clicked);
    the third recipient complains (and so opts out)."""
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data)
    records: list[dict[str, Any]] = []
    for index, (path, message) in enumerate(messages):
        # The message's own send time (its Date), else ``at``; the outbox stored the Send.
        date = message["Date"]
        sent = date.datetime.astimezone(UTC) if date else (at or datetime.now(UTC))
        mail = _mail(message, sent, path.stem)
        recipient = mail["destination"][0]
        delivered = sent + timedelta(seconds=3)
        records.append(
            {
                "eventType": "Delivery",
                "mail": mail,
                "delivery": {
                    "timestamp": _iso(delivered),
                    "processingTimeMillis": 3000,
                    "recipients": [recipient],
                    "smtpResponse": "250 2.6.0 Message received",
                },
            }
        )
        if index == 2:
            records.append(
                {
                    "eventType": "Complaint",
                    "mail": mail,
                    "complaint": {
                        "complainedRecipients": [{"emailAddress": recipient}],
                        "timestamp": _iso(delivered + timedelta(hours=1)),
                        "feedbackId": f"complaint-{path.stem}",
                        "complaintFeedbackType": "abuse",
                    },
                }
            )
            continue
        if rng.random() < 0.5:
            opened = delivered + timedelta(minutes=rng.randint(1, 20))
            records.append(
                {
                    "eventType": "Open",
                    "mail": mail,
                    "open": {
                        "timestamp": _iso(opened),
                        "userAgent": "Mozilla/5.0",
                        "ipAddress": "192.0.2.1",
                    },
                }
            )
            if rng.random() < 0.4:
                records.append(
                    {
                        "eventType": "Click",
                        "mail": mail,
                        "click": {
                            "timestamp": _iso(opened + timedelta(minutes=2)),
                            "link": "https://www.example.com/features",
                            "linkTags": {},
                            "userAgent": "Mozilla/5.0",
                            "ipAddress": "192.0.2.1",
                        },
                    }
                )
    return records


def _messages(outbox: Path, *, journey: bool, activity: str | None) -> list[tuple[Path, Any]]:
    parser = BytesParser(policy=policy.default)
    chosen = []
    for path in sorted((outbox / "email").glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        if bool(message["X-Clarion-Journey-Id"]) != journey:
            continue
        if activity is not None and message["X-Clarion-Journey-Activity-Id"] != activity:
            continue
        chosen.append((path, message))
    return chosen


# The latest engagement after a send: a complaint or unsubscribe two hours after delivery.
_LONGEST = timedelta(hours=2, minutes=5)


def _within_the_day(sent: datetime) -> Callable[[timedelta], datetime]:
    """The moment ``after`` the send, kept inside the send's UTC day: the campaign is
    sent at the real time, and engagement two hours on would fall on the next day for a
    run late in the evening, splitting the demo's daily KPIs in two. Late in the day the
    offsets shrink in proportion, so they keep their order."""
    next_day = datetime.combine(sent.date(), time.min, tzinfo=UTC) + timedelta(days=1)
    room = (next_day - sent) * 0.9
    scale = 1.0 if room >= _LONGEST else room / _LONGEST

    def later(after: timedelta) -> datetime:
        return sent + after * scale

    return later


def simulate(
    outbox: Path,
    seed: int,
    *,
    journey: bool = False,
    activity: str | None = None,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    messages = _messages(outbox, journey=journey, activity=activity)
    if journey:
        return _journey_simulation(messages, seed, at)
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data)
    records: list[dict[str, Any]] = []
    for index, (path, message) in enumerate(messages):
        sent = message["Date"].datetime.astimezone(UTC)
        later = _within_the_day(sent)
        mail = _mail(message, sent, path.stem)
        recipient = mail["destination"][0]
        if index in (3, 11):  # two addresses that no longer exist
            records.append(
                {
                    "eventType": "Bounce",
                    "mail": mail,
                    "bounce": {
                        "bounceType": "Permanent",
                        "bounceSubType": "General",
                        "bouncedRecipients": [{"emailAddress": recipient}],
                        "timestamp": _iso(later(timedelta(seconds=2))),
                        "feedbackId": f"bounce-{path.stem}",
                    },
                }
            )
            continue
        delivered_after = timedelta(seconds=3)
        delivered = later(delivered_after)
        records.append(
            {
                "eventType": "Delivery",
                "mail": mail,
                "delivery": {
                    "timestamp": _iso(delivered),
                    "processingTimeMillis": 3000,
                    "recipients": [recipient],
                    "smtpResponse": "250 2.6.0 Message received",
                },
            }
        )
        if rng.random() < 0.45:
            opened_after = delivered_after + timedelta(minutes=rng.randint(1, 20))
            for repeat in range(rng.choice((1, 1, 2))):  # some people open twice
                records.append(
                    {
                        "eventType": "Open",
                        "mail": mail,
                        "open": {
                            "timestamp": _iso(later(opened_after + timedelta(minutes=repeat))),
                            "userAgent": "Mozilla/5.0",
                            "ipAddress": "192.0.2.1",
                        },
                    }
                )
            if rng.random() < 0.35:
                records.append(
                    {
                        "eventType": "Click",
                        "mail": mail,
                        "click": {
                            "timestamp": _iso(later(opened_after + timedelta(minutes=2))),
                            "link": "https://www.example.com/whitepaper",
                            "linkTags": {},
                            "userAgent": "Mozilla/5.0",
                            "ipAddress": "192.0.2.1",
                        },
                    }
                )
        if index == 5:
            records.append(
                {
                    "eventType": "Complaint",
                    "mail": mail,
                    "complaint": {
                        "complainedRecipients": [{"emailAddress": recipient}],
                        "timestamp": _iso(later(delivered_after + timedelta(hours=1))),
                        "feedbackId": f"complaint-{path.stem}",
                        "complaintFeedbackType": "abuse",
                    },
                }
            )
        if index == 8:
            records.append(
                {
                    "eventType": "Subscription",
                    "mail": mail,
                    "subscription": {
                        "contactList": "customers",
                        "timestamp": _iso(later(delivered_after + timedelta(hours=2))),
                        "source": "UnsubscribeHeader",
                        "newTopicPreferences": {
                            "unsubscribeAll": True,
                            "topicSubscriptionStatus": [],
                        },
                        "oldTopicPreferences": {
                            "unsubscribeAll": False,
                            "topicSubscriptionStatus": [],
                        },
                    },
                }
            )
    return records


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("outbox", type=Path)
    arguments.add_argument("out", type=Path)
    arguments.add_argument("--seed", type=int, default=7)
    arguments.add_argument("--journey", action="store_true", help="journey emails only")
    arguments.add_argument("--activity", help="only this journey activity's emails")
    arguments.add_argument(
        "--at", type=datetime.fromisoformat, help="when the journey emails were sent (ISO-8601)"
    )
    options = arguments.parse_args()
    records = simulate(
        options.outbox,
        options.seed,
        journey=options.journey,
        activity=options.activity,
        at=options.at,
    )
    with options.out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    print(f"Wrote {len(records)} SES event records to {options.out}")


if __name__ == "__main__":
    main()
