"""A journey world for the tests: a Bootstrap on a fresh local home (or given adapters),
endpoints, the onboarding templates, journeys made from the demo's and the tests' JSON,
and the events a customer's behaviour produces (sign-ups; SES records of the journey
emails in the outbox, tagged as SES returns them)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from clarion.bootstrap import Bootstrap, Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.events.records import MessageContext

ROOT = Path(__file__).resolve().parents[2]
DEMO_JOURNEYS = ROOT / "demo" / "journeys"
TEST_JOURNEYS = ROOT / "tests" / "events" / "journeys"
HEADERS = {
    "app_id": "X-Clarion-App-Id",
    "endpoint_id": "X-Clarion-Endpoint-Id",
    "run_id": "X-Clarion-Run-Id",
    "journey_id": "X-Clarion-Journey-Id",
    "journey_activity_id": "X-Clarion-Journey-Activity-Id",
    "journey_run_id": "X-Clarion-Journey-Run-Id",
}


def journey_json(name: str) -> dict[str, Any]:
    """``onboarding`` (the demo's) or ``branching`` (the tests')."""
    if name == "onboarding":
        return json.loads((DEMO_JOURNEYS / "onboarding-journey.json").read_text(encoding="utf-8"))
    return json.loads((TEST_JOURNEYS / f"{name}-journey.json").read_text(encoding="utf-8"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JourneyWorld:
    """Everything a journey test needs on one local home."""

    def __init__(self, home: Path, *, boot: Bootstrap | None = None, memory: bool = False) -> None:
        self.home = home
        self.boot = boot or Bootstrap(Settings(home=home))
        if memory:  # the database in memory (the outbox stays under ``home``)
            from clarion.adapters.local.common.database import LocalDatabase

            self.boot.adapters.__dict__["database"] = LocalDatabase(None)
        self.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris
        self.boot.clock = lambda: self.now

    # -- setup --------------------------------------------------------------------------

    def endpoints(self, count: int, **fields: Any) -> list[str]:
        ids = []
        endpoints = []
        for n in range(count):
            endpoint_id = fields.pop("Id", None) or f"e{n}"
            data: dict[str, Any] = {
                "Id": endpoint_id,
                "ChannelType": "EMAIL",
                "Address": f"{endpoint_id}@example.com",
                "User": {"UserId": f"u-{endpoint_id}", "UserAttributes": {"FirstName": [f"N{n}"]}},
                "Demographic": {"Timezone": "Europe/Paris"},
                **fields,
            }
            endpoints.append(validate_endpoint(data))
            ids.append(endpoint_id)
        self.boot.adapters.profile_store.put_endpoints(endpoints)
        return ids

    def put(self, endpoint_id: str, **fields: Any) -> None:
        current = self.boot.adapters.profile_store.get_endpoint(endpoint_id)
        assert current is not None
        data = {**current.to_pinpoint(), **fields}
        self.boot.adapters.profile_store.put_endpoints([validate_endpoint(data)])

    def templates(self) -> None:
        for name in ("welcome", "tips", "basics"):
            body = json.loads(
                (DEMO_JOURNEYS / f"onboarding-{name}.json").read_text(encoding="utf-8")
            )
            self.boot.template_service.create(body)
        self.boot.template_service.create(
            {
                "TemplateName": "onboarding-sms",
                "SMSTemplateRequest": {"Body": "Hi {{User.UserAttributes.FirstName}}"},
            }
        )

    def journey(self, body: Mapping[str, Any], *, activate: bool = True) -> str:
        journey = self.boot.journey_service.create_journey(body)
        if activate:
            self.boot.journey_service.update_journey_state(journey["Id"], {"State": "ACTIVE"})
        return str(journey["Id"])

    def segment(self, name: str, endpoint_ids: Sequence[str]) -> str:
        segment_id = self.boot.segment_service.create_imported_segment(name)
        self.boot.segment_service.add_imported_members(segment_id, endpoint_ids)
        return segment_id

    # -- time and events ----------------------------------------------------------------

    def at(self, moment: datetime) -> None:
        self.now = moment

    def later(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def tick(self) -> dict[str, Any]:
        return self.boot.journey_ticker.tick(self.now)

    def sign_up(self, endpoint_ids: Iterable[str], event_type: str = "sign_up") -> Any:
        body = {
            "BatchItem": {
                endpoint_id: {
                    "Endpoint": {},
                    "Events": {
                        f"{event_type}-{endpoint_id}-{iso(self.now)}": {
                            "EventType": event_type,
                            "Timestamp": iso(self.now),
                        }
                    },
                }
                for endpoint_id in endpoint_ids
            }
        }
        return self.boot.event_ingest_service.put_events(body)

    def emails(self, activity: str | None = None) -> list[Any]:
        """The journey emails in the outbox (parsed), optionally of one activity."""
        parser = BytesParser(policy=policy.default)
        found = []
        folder = self.home / "outbox" / "email"
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = parser.parsebytes(path.read_bytes())
            if activity is None or message["X-Clarion-Journey-Activity-Id"] == activity:
                found.append(message)
        return found

    def recipients(self, activity: str) -> set[str]:
        return {str(m["X-Clarion-Endpoint-Id"]) for m in self.emails(activity)}

    def engage(self, activity: str, endpoint_ids: Iterable[str], event: str = "Open") -> Any:
        """SES records (Delivery, then ``event``: Open, Click, Complaint) of the activity's
        emails to these endpoints, ingested as SES would publish them."""
        wanted = set(endpoint_ids)
        records = []
        for message in self.emails(activity):
            endpoint_id = str(message["X-Clarion-Endpoint-Id"])
            if endpoint_id not in wanted:
                continue
            context = MessageContext(**{f: message[h] for f, h in HEADERS.items() if message[h]})
            tags: dict[str, list[str]] = {}
            for tag in context.to_ses_tags():
                tags[tag["Name"]] = [tag["Value"]]
            recipient = str(message["To"])
            mail = {
                "timestamp": iso(self.now),
                "source": str(message["From"]),
                "messageId": f"ses-{message['Message-ID'] or endpoint_id}-{activity}",
                "destination": [recipient],
                "tags": tags,
            }
            records.append(
                {
                    "eventType": "Delivery",
                    "mail": mail,
                    "delivery": {"timestamp": iso(self.now), "recipients": [recipient]},
                }
            )
            if event == "Open":
                records.append(
                    {
                        "eventType": "Open",
                        "mail": mail,
                        "open": {
                            "timestamp": iso(self.now),
                            "userAgent": "x",
                            "ipAddress": "192.0.2.1",
                        },
                    }
                )
            elif event == "Click":
                records.append(
                    {
                        "eventType": "Click",
                        "mail": mail,
                        "click": {
                            "timestamp": iso(self.now),
                            "link": "https://example.com",
                            "linkTags": {},
                            "userAgent": "x",
                            "ipAddress": "192.0.2.1",
                        },
                    }
                )
            elif event == "Complaint":
                records.append(
                    {
                        "eventType": "Complaint",
                        "mail": mail,
                        "complaint": {
                            "timestamp": iso(self.now),
                            "complainedRecipients": [{"emailAddress": recipient}],
                            "feedbackId": f"c-{endpoint_id}",
                        },
                    }
                )
        text = "\n".join(json.dumps(r) for r in records)
        return self.boot.event_ingest_service.ingest_text(text, "ses", origin="test")

    # -- reading --------------------------------------------------------------------------

    def metrics(self, journey_id: str) -> dict[str, int]:
        values = self.boot.journey_reports.execution_metrics(journey_id)["Metrics"]
        return {k: int(v) for k, v in values.items()}

    def activity(self, journey_id: str, activity_id: str) -> dict[str, int]:
        values = self.boot.journey_reports.execution_activity_metrics(journey_id, activity_id)[
            "Metrics"
        ]
        return {k: int(v) for k, v in values.items()}

    def participant(self, journey_id: str, endpoint_id: str) -> Any:
        return self.boot.adapters.participant_store.get(journey_id, [endpoint_id]).get(endpoint_id)

    def journey_events(self, journey_id: str) -> list[dict[str, Any]]:
        """The ``_journey.send`` records stored for the journey: activity, endpoint,
        status and run, by event time."""
        return self.boot.adapters.analytics_query.rows(
            "SELECT element_at(attributes, 'journey_activity_id') AS activity, "
            "client.client_id AS endpoint, "
            "element_at(attributes, 'journey_send_status') AS status, "
            "element_at(attributes, 'journey_run_id') AS run, event_timestamp AS at "
            "FROM events WHERE event_type = '_journey.send' "
            "AND element_at(attributes, 'journey_id') = :journey_id "
            "ORDER BY event_timestamp, endpoint",
            {"journey_id": journey_id},
        )
