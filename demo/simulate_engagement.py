"""Simulated recipient behaviour for the demo: SES v2 event records for the campaign
emails in the local outbox, as a configuration set's event destination would publish
them (Delivery, Open, Click, Bounce, Complaint, Subscription). The Send records are
already stored: the outbox recorded them when it accepted each message, under the same
message id (the ``.eml`` file's name), as SES would.

Usage: python demo/simulate_engagement.py OUTBOX_DIR OUT_FILE [--seed N]
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

_CONTEXT_HEADERS = {
    "app_id": "X-Clarion-App-Id",
    "campaign_id": "X-Clarion-Campaign-Id",
    "campaign_activity_id": "X-Clarion-Campaign-Activity-Id",
    "treatment_id": "X-Clarion-Treatment-Id",
    "endpoint_id": "X-Clarion-Endpoint-Id",
    "run_id": "X-Clarion-Run-Id",
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


def simulate(outbox: Path, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data)
    parser = BytesParser(policy=policy.default)
    files = sorted((outbox / "email").glob("*.eml"))
    records: list[dict[str, Any]] = []
    for index, path in enumerate(files):
        message = parser.parsebytes(path.read_bytes())
        sent = message["Date"].datetime.astimezone(UTC)
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
                        "timestamp": _iso(sent + timedelta(seconds=2)),
                        "feedbackId": f"bounce-{path.stem}",
                    },
                }
            )
            continue
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
        if rng.random() < 0.45:
            opened = delivered + timedelta(minutes=rng.randint(1, 20))
            for repeat in range(rng.choice((1, 1, 2))):  # some people open twice
                records.append(
                    {
                        "eventType": "Open",
                        "mail": mail,
                        "open": {
                            "timestamp": _iso(opened + timedelta(minutes=repeat)),
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
                            "timestamp": _iso(opened + timedelta(minutes=2)),
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
                        "timestamp": _iso(delivered + timedelta(hours=1)),
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
                        "timestamp": _iso(delivered + timedelta(hours=2)),
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
    options = arguments.parse_args()
    records = simulate(options.outbox, options.seed)
    with options.out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    print(f"Wrote {len(records)} SES event records to {options.out}")


if __name__ == "__main__":
    main()
