"""Resolving a campaign run's in-doubt messages from the providers' delivery events.

A batch claims its endpoints before delivering, so a process that dies between the
claim and the recorded outcome leaves the endpoint ``CLAIMED``: the message may or may
not have gone out. Runs are at most once, so such a message is never resent by a retry.
``reconcile`` looks each one up in the event store, where the providers' events land
with the message's ids (SES ``Send``/``Delivery``... as ``_email.*``, End User
Messaging's as ``_SMS.*``/``_VOICE.*``; their ``run_id`` attribute and endpoint are
Clarion's, carried as SES tags and SMS context):

- an event from the provider → the provider accepted it: ``SENT`` (and its
  ``_campaign.send`` SUCCESS record is written, as the batch would have);
- no event → ``FAILED`` with detail ``IN_DOUBT: ...``, **not resent**. The absence of
  an event is not proof that nothing went out (the event pipeline may be late or have
  lost records; push and custom channels publish no event at all), and a resend on a
  wrong guess is the double send at-most-once exists to prevent. The record stays in
  doubt for later reconciliations, which make it ``SENT`` if the events turn up.

The run must have settled first (no batch of it still running, the events through the
stream and Firehose): ``settle`` after its last activity. Cap counts are not changed
(the batch counts sends before recording outcomes, so most in-doubt sends are already
counted; counting again could count one twice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from clarion.domain.audience.endpoint import parse_iso8601
from clarion.domain.campaigns.channel_messages import campaign_send_event
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.messaging.delivery import message_id_for
from clarion.domain.messaging.ledger import (
    IN_DOUBT_DETAIL,
    SEND_STATUS,
    LedgerOutcome,
    Reason,
)
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.audience import ProfileStore
from clarion.ports.campaigns import CampaignRepository
from clarion.ports.events import EventSink
from clarion.ports.messaging import SendLedger

DEFAULT_SETTLE = timedelta(minutes=30)
"""Longer than a batch invocation may live (15 minutes) plus Firehose's buffering of the
events (at most 15 minutes)."""

# Events the providers publish about a message they accepted, per endpoint of the run.
# Clarion's own records (_campaign.*, _journey.*) are not evidence of delivery.
EVIDENCE_SQL = """
SELECT endpoint_id,
       min(event_type) AS event_type,
       max(element_at(attributes, 'treatment_id')) AS treatment_id
FROM events
WHERE element_at(attributes, 'run_id') = :run_id
  AND dt >= :from_day
  AND (
    starts_with(event_type, '_email.')
    OR starts_with(event_type, '_SMS.')
    OR starts_with(event_type, '_MMS.')
    OR starts_with(event_type, '_VOICE.')
    OR starts_with(event_type, '_push.')
  )
GROUP BY endpoint_id
"""

NOT_SEEN = f"{IN_DOUBT_DETAIL}: no delivery event from the provider; not resent"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Reconciliation:
    """What ``reconcile`` did: the endpoints made SENT (with the event that proved it),
    those released as not seen, and those a concurrent writer resolved first."""

    run_id: str
    sent: dict[str, str] = field(default_factory=dict)
    not_seen: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    run: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "RunId": self.run_id,
            "InDoubt": len(self.sent) + len(self.not_seen) + len(self.unchanged),
            "Sent": len(self.sent),
            "NotSeen": len(self.not_seen),
            "Unchanged": len(self.unchanged),
            "SentEndpoints": dict(sorted(self.sent.items())),
            "NotSeenEndpoints": sorted(self.not_seen),
            "Summary": dict((self.run or {}).get("Summary") or {}),
        }


class CampaignReconciler:
    """Resolves in-doubt messages (module docstring).

    Parameters
    ----------
    campaigns, ledger, analytics, profiles, events
        The ports: the run record, the send ledger, SQL over the event store (DuckDB
        locally, Athena on AWS), the endpoints (for the ``_campaign.send`` record) and
        where that record goes.
    app_id
        The project the records carry.
    settle
        How long after a run's last activity reconciliation may look at it.
    summarise
        Recounts the run's outcomes onto its record afterwards
        (``CampaignRunner.summarise_run``); None leaves the record as it was.
    """

    def __init__(
        self,
        campaigns: CampaignRepository,
        ledger: SendLedger,
        analytics: AnalyticsQuery,
        profiles: ProfileStore,
        events: EventSink | None,
        *,
        app_id: str = "clarion",
        settle: timedelta = DEFAULT_SETTLE,
        summarise: Callable[..., Mapping[str, Any]] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._summarise = summarise
        self._campaigns = campaigns
        self._ledger = ledger
        self._analytics = analytics
        self._profiles = profiles
        self._events = events
        self._app_id = app_id
        self.settle = settle
        self._clock = clock

    def reconcile(
        self, run_id: str, *, now: datetime | None = None, settle: timedelta | None = None
    ) -> Reconciliation:
        """Resolve the run's in-doubt endpoints, then recount the run's summary.

        Raises
        ------
        NotFoundError
            No such run.
        InvalidRecordError
            The run's last activity is more recent than ``settle`` (a batch may still be
            delivering, or its events be on their way).
        """
        moment = now or self._clock()
        run = self._campaigns.get_run(run_id)
        # A summary written by a reconciliation is not activity of the run.
        activity = [run.get("StartTime")]
        if run.get("SummarisedTime") != run.get("ReconciledTime"):
            activity.append(run.get("SummarisedTime"))
        last = max(parse_iso8601(str(value)) for value in activity if value)
        wait = self.settle if settle is None else settle
        if moment - last < wait:
            ready = (last + wait).isoformat(timespec="seconds")
            raise InvalidRecordError(
                [
                    FieldProblem(
                        "RunId",
                        f"run {run_id} was active less than {wait} ago: reconcile it after "
                        f"{ready} (batches may still be running, their events arriving)",
                    )
                ]
            )
        result = Reconciliation(run_id)
        in_doubt = self._ledger.in_doubt(run_id)
        if in_doubt:
            self._resolve(run, in_doubt, moment, result)
        if self._summarise is not None:
            summarised = dict(self._summarise(run_id, now=moment))
            summarised["ReconciledTime"] = summarised.get("SummarisedTime")
            self._campaigns.save_run(summarised)
            result.run = summarised
        return result

    def _resolve(
        self,
        run: Mapping[str, Any],
        in_doubt: Mapping[str, LedgerOutcome],
        moment: datetime,
        result: Reconciliation,
    ) -> None:
        run_id = str(run["RunId"])
        started = parse_iso8601(str(run["StartTime"]))
        evidence = self._evidence(run_id, started)
        outcomes: dict[str, LedgerOutcome] = {}
        for endpoint_id, outcome in in_doubt.items():
            message_id = outcome.message_id or message_id_for(run_id, endpoint_id)
            found = evidence.get(endpoint_id)
            if found is not None:
                event_type, treatment_id = found
                outcomes[endpoint_id] = LedgerOutcome(
                    Reason.SENT,
                    treatment_id or outcome.treatment_id,
                    None,
                    message_id,
                    f"RECONCILED: {event_type}",
                )
            elif outcome.reason == Reason.CLAIMED:
                outcomes[endpoint_id] = LedgerOutcome(
                    Reason.FAILED, outcome.treatment_id, None, message_id, NOT_SEEN
                )
            else:
                result.not_seen.append(endpoint_id)  # released before, still not seen
        written = self._ledger.resolve_in_doubt(run_id, outcomes)
        for endpoint_id, outcome in outcomes.items():
            if endpoint_id not in written:
                result.unchanged.append(endpoint_id)
            elif outcome.reason == Reason.SENT:
                result.sent[endpoint_id] = (outcome.detail or "").removeprefix("RECONCILED: ")
            else:
                result.not_seen.append(endpoint_id)
        self._record_sends(run, {k: outcomes[k] for k in result.sent}, moment)

    def _evidence(self, run_id: str, started: datetime) -> dict[str, tuple[str, str | None]]:
        # dt prunes the scan to the run's days (a message's events come after its run
        # started; a day's slack for clocks).
        from_day = (started.astimezone(UTC) - timedelta(days=1)).date().isoformat()
        rows = self._analytics.rows(EVIDENCE_SQL, {"run_id": run_id, "from_day": from_day})
        return {
            str(row["endpoint_id"]): (
                str(row["event_type"]),
                str(row["treatment_id"]) if row.get("treatment_id") else None,
            )
            for row in rows
            if row.get("endpoint_id")
        }

    def _record_sends(
        self, run: Mapping[str, Any], sent: Mapping[str, LedgerOutcome], now: datetime
    ) -> None:
        if not sent or self._events is None:
            return
        endpoints = self._profiles.get_endpoints(list(sent))
        self._events.put_records(
            [
                campaign_send_event(
                    app_id=self._app_id,
                    campaign_id=str(run["CampaignId"]),
                    run_id=str(run["RunId"]),
                    treatment_id=outcome.treatment_id,
                    endpoint=endpoints.get(endpoint_id),
                    endpoint_id=endpoint_id,
                    status=SEND_STATUS[Reason.SENT],
                    now=now,
                    message_id=outcome.message_id,
                )
                for endpoint_id, outcome in sent.items()
            ]
        )
