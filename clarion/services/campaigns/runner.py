"""Campaign runs: plan, audience, batches, summary — the code both backends run.

Locally :class:`CampaignRunner` runs everything in process (``execute``). On AWS the
state machine calls the same methods from Lambda handlers: ``plan_run`` (and
``audience_sql`` for the Athena query that writes the audience to S3), ``send_batch``
for each batch of the Distributed Map, then ``summarise_run``.

Idempotency: ``send_batch`` claims the endpoints it is about to deliver to in the send
ledger before delivering, and delivers only what its own claim returned, so a batch
retried after a crash sends nothing twice. Outcomes other than a send never replace a
claimed endpoint's record.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, Protocol

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.domain.campaigns.assignment import assigner_for
from clarion.domain.campaigns.channel_messages import (
    ChannelMessage,
    campaign_channel_messages,
    campaign_send_event,
)
from clarion.domain.campaigns.model import (
    CampaignResponse,
    CampaignStatus,
    Frequency,
    QuietTime,
    validate_campaign_response,
)
from clarion.domain.campaigns.quiet_time import QuietWindow
from clarion.domain.campaigns.run import (
    Decision,
    RunRules,
    RunSummary,
    decide,
    render_warnings_json,
)
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.events.records import EventRecord, MessageContext
from clarion.domain.messaging.delivery import (
    DeliveryResult,
    DeliveryStatus,
    OutboundMessage,
    message_id_for,
)
from clarion.domain.messaging.ledger import (
    NO_SENDS,
    SEND_STATUS,
    CapCount,
    LedgerOutcome,
    Reason,
    cap_day,
    to_ms,
)
from clarion.domain.messaging.retry import RetryPolicy, is_retryable
from clarion.domain.templates.configuration import TemplateConfiguration
from clarion.domain.templates.model import TemplateType, TemplateVersion
from clarion.ports.audience import ProfileStore
from clarion.ports.campaigns import CampaignHookInvoker, CampaignRepository, HookTarget
from clarion.ports.events import EventSink
from clarion.ports.messaging import DeliveryChannel, SendLedger
from clarion.ports.templates import TemplateRepository

DEFAULT_BATCH_SIZE = 500
DEFAULT_RETRY_POLICY = RetryPolicy()
# The in-doubt endpoints a run record lists (the count is always complete); the ledger
# has them all (``campaigns reconcile``).
IN_DOUBT_LISTED = 1000


class AudienceSource(Protocol):
    """Who is in a segment (``SegmentService`` is one)."""

    def members(self, segment_id: str, version: int | None = None) -> Iterator[str]: ...

    def compile(self, segment_id: str, version: int | None = None) -> str: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def batches(values: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def load_templates(
    templates: TemplateRepository, configuration: TemplateConfiguration | None
) -> dict[TemplateType, TemplateVersion]:
    """The template versions a TemplateConfiguration names (the active version when it
    names none). Raises NotFoundError."""
    found: dict[TemplateType, TemplateVersion] = {}
    if configuration is None:
        return found
    for kind, ref in (
        (TemplateType.EMAIL, configuration.email_template),
        (TemplateType.SMS, configuration.sms_template),
        (TemplateType.PUSH, configuration.push_template),
        (TemplateType.VOICE, configuration.voice_template),
        (TemplateType.INAPP, configuration.in_app_template),
    ):
        if ref is not None and ref.name:
            template = templates.get_template(kind, ref.name)
            found[kind] = template.version(ref.version)
    return found


class Governor(Protocol):
    """The one message governor (``clarion.services.messaging.MessageGovernor``)."""

    def admit(self, endpoint_ids: Sequence[str], now: datetime) -> Mapping[str, Reason | None]: ...


@dataclass(frozen=True)
class Hook:
    """The CampaignHook a run calls (the campaign's own, else the project's)."""

    mode: str  # FILTER or DELIVERY
    target: HookTarget


@dataclass(frozen=True)
class PreparedRun:
    """A run's campaign, decision rules and compiled messages, built once per process."""

    run: Mapping[str, Any]
    campaign: CampaignResponse
    rules: RunRules
    messages: Mapping[str, Mapping[ChannelType, ChannelMessage]]
    hook: Hook | None = None
    messages_per_second: int | None = None


class CampaignRunner:
    """Plans campaign runs and processes their batches (module docstring).

    Parameters
    ----------
    campaigns, templates, profiles, ledger, channel, events
        The ports the run uses.
    audience
        Segment membership (``SegmentService``).
    app_id
        The project id ``_campaign.send`` records carry.
    governor
        The project's caps across campaigns, journeys and triggers (asked before each
        send); None for none.
    hooks
        Calls CampaignHooks (FILTER and DELIVERY modes); None where hooks are refused.
    project_settings
        The project's ApplicationSettingsResource: its QuietTime, Limits
        (MessagesPerSecond, MaximumDuration) and CampaignHook are what a campaign without
        its own uses.
    clock, sleep, monotonic
        Time sources (tests pass fakes); ``sleep`` paces Limits.MessagesPerSecond and
        waits between retries.
    retry_policy
        The backoff of throttled and temporary failures within a batch.
    """

    def __init__(
        self,
        campaigns: CampaignRepository,
        templates: TemplateRepository,
        profiles: ProfileStore,
        ledger: SendLedger,
        channel: DeliveryChannel,
        events: EventSink | None,
        audience: AudienceSource,
        *,
        app_id: str = "clarion",
        governor: Governor | None = None,
        hooks: CampaignHookInvoker | None = None,
        project_settings: Callable[[], Mapping[str, Any]] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> None:
        self._campaigns = campaigns
        self._templates = templates
        self._profiles = profiles
        self._ledger = ledger
        self._channel = channel
        self._events = events
        self._audience = audience
        self._app_id = app_id
        self._governor = governor
        self._hooks = hooks
        self._project_settings = project_settings
        self.batch_size = batch_size
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self._prepared: dict[str, PreparedRun] = {}
        self.retry_policy = retry_policy

    # -- planning ----------------------------------------------------------------------

    def plan_run(
        self,
        campaign_id: str,
        *,
        now: datetime | None = None,
        run_time: datetime | None = None,
        run_id: str | None = None,
        trigger: str = "LAUNCH",
    ) -> dict[str, Any]:
        """Create the run record (state EXECUTING) for the campaign's latest version.

        Raises
        ------
        NotFoundError
            No such campaign, or a template it names is missing.
        InvalidRecordError
            The campaign is paused, or its messages do not compile.
        """
        moment = now or self._clock()
        campaign = validate_campaign_response(self._campaigns.get_campaign(campaign_id))
        if campaign.is_paused:
            raise InvalidRecordError([FieldProblem("IsPaused", "the campaign is paused")])
        run = {
            "RunId": run_id or uuid.uuid4().hex,
            "CampaignId": campaign.id,
            "CampaignVersion": campaign.version,
            "SegmentId": campaign.segment_id,
            "SegmentVersion": campaign.segment_version,
            "Trigger": trigger,
            "ScheduledTime": iso(run_time or moment),
            "StartTime": iso(moment),
            "State": CampaignStatus.EXECUTING.value,
        }
        self._prepare(run)  # fail now, not in the first batch, on a broken message
        self._campaigns.save_run(run)
        return run

    def audience(self, run_id: str) -> Iterator[str]:
        """The run's audience: the members of the campaign's segment version."""
        run = self._campaigns.get_run(run_id)
        return self._audience.members(run["SegmentId"], run.get("SegmentVersion"))

    def audience_sql(self, run_id: str) -> str:
        """The Trino SQL that selects the run's audience (``SELECT id ...``), for the
        Athena query that writes it to S3 on AWS."""
        run = self._campaigns.get_run(run_id)
        return self._audience.compile(run["SegmentId"], run.get("SegmentVersion"))

    def _prepare(self, run: Mapping[str, Any]) -> PreparedRun:
        run_id = run["RunId"]
        cached = self._prepared.get(run_id)
        if cached is not None:
            return cached
        campaign = validate_campaign_response(
            self._campaigns.get_campaign(run["CampaignId"], run.get("CampaignVersion"))
        )
        messages: dict[str, Mapping[ChannelType, ChannelMessage]] = {}
        for share in campaign.treatments():
            if share.size_percent <= 0:
                continue
            messages[share.treatment_id] = campaign_channel_messages(
                f"campaign-{campaign.id}-{share.treatment_id}",
                share.message_configuration,
                load_templates(self._templates, share.template_configuration),
                campaign.custom_delivery_configuration,
            )
        schedule = campaign.schedule
        if schedule is None:
            raise InvalidRecordError([FieldProblem("Schedule", "is required")])
        limits = campaign.limits
        project = dict(self._project_settings()) if self._project_settings else {}
        project_limits = project.get("Limits") or {}
        maximum_duration = (
            limits.maximum_duration if limits and limits.maximum_duration else None
        ) or project_limits.get("MaximumDuration")
        started = datetime.fromisoformat(run["StartTime"].replace("Z", "+00:00"))
        expires = started + timedelta(seconds=maximum_duration) if maximum_duration else None
        quiet_time = schedule.quiet_time
        if quiet_time is None and project.get("QuietTime"):
            quiet_time = QuietTime.model_validate(project["QuietTime"])
        rules = RunRules(
            campaign_id=campaign.id,
            assigner=assigner_for(campaign),
            treatment_channels={k: frozenset(v) for k, v in messages.items()},
            schedule=schedule,
            run_time=datetime.fromisoformat(run["ScheduledTime"].replace("Z", "+00:00")),
            quiet=QuietWindow.of(quiet_time),
            daily_cap=limits.daily if limits else None,
            total_cap=limits.total if limits else None,
            expires_at=expires,
        )
        prepared = PreparedRun(
            run,
            campaign,
            rules,
            messages,
            hook=_hook(campaign, project),
            messages_per_second=(limits.messages_per_second if limits else None)
            or project_limits.get("MessagesPerSecond"),
        )
        self._prepared[run_id] = prepared
        return prepared

    # -- batches -----------------------------------------------------------------------

    def send_batch(
        self,
        run_id: str,
        endpoint_ids: Sequence[str],
        *,
        now: datetime | None = None,
        time_budget_s: float | None = None,
    ) -> dict[str, int]:
        """Decide, claim, render, deliver and record for one batch of the audience.

        Returns this batch's outcomes counted by reason. Endpoints a previous attempt
        claimed are left alone (their outcome stands), so the batch can be retried.
        Throttled and temporary failures are tried again with backoff (``retry_policy``)
        while ``time_budget_s`` (the seconds this call may take: a Lambda's remaining
        time, less a margin) and the run's MaximumDuration allow; then they are final.
        """
        moment = now or self._clock()
        prepared = self._prepare(self._campaigns.get_run(run_id))
        rules = prepared.rules
        campaign_id = prepared.campaign.id
        ids = list(dict.fromkeys(endpoint_ids))
        endpoints = self._profiles.get_endpoints(ids)
        day = cap_day(moment)
        caps: Mapping[str, CapCount] = (
            self._ledger.cap_counts(campaign_id, ids, day) if rules.caps_apply else {}
        )
        decisions: dict[str, Decision] = {}
        for endpoint_id in ids:
            sends = caps.get(endpoint_id, NO_SENDS)
            decisions[endpoint_id] = decide(endpoints.get(endpoint_id), rules, moment, sends)

        to_send = [k for k, d in decisions.items() if d.reason == Reason.SEND]
        hook = prepared.hook
        if hook is not None and hook.mode == "FILTER" and to_send:
            kept = self._filter(run_id, prepared, hook, to_send, endpoints, moment)
            for endpoint_id in to_send:
                if endpoint_id not in kept:
                    treatment = decisions[endpoint_id].treatment_id
                    decisions[endpoint_id] = Decision(Reason.SKIPPED_HOOK_FILTER, treatment)
            to_send = [k for k in to_send if k in kept]
        if self._governor is not None and to_send:
            # Last before the claim: only what would otherwise be sent is counted.
            verdicts = self._governor.admit(to_send, moment)
            for endpoint_id, capped in verdicts.items():
                if capped is not None:
                    decisions[endpoint_id] = Decision(capped, decisions[endpoint_id].treatment_id)
            to_send = [k for k in to_send if verdicts.get(k) is None]
        claimed = self._ledger.claim(run_id, to_send) if to_send else set()
        outcomes: dict[str, LedgerOutcome] = {}
        events: list[EventRecord] = []
        for endpoint_id, decision in decisions.items():
            if decision.reason == Reason.SEND:
                continue
            outcomes[endpoint_id] = LedgerOutcome(
                decision.reason,
                decision.treatment_id,
                to_ms(decision.until) if decision.until else None,
            )
            status = SEND_STATUS.get(decision.reason)
            if status is not None and not decision.reason.is_deferral:
                events.append(
                    self._event(
                        run_id, campaign_id, decision, endpoints, endpoint_id, status, moment
                    )
                )

        messages = []
        warnings: dict[str, tuple[str, ...]] = {}
        for endpoint_id in to_send:
            if endpoint_id not in claimed:
                continue  # claimed by an earlier attempt: its outcome stands
            endpoint = endpoints[endpoint_id]
            treatment_id = decisions[endpoint_id].treatment_id or "0"
            channel = endpoint.channel_type
            assert channel is not None  # decide() sends only to endpoints with a channel
            plan = prepared.messages[treatment_id][channel]
            content, warnings[endpoint_id] = plan.render_checked(endpoint.to_pinpoint(), now=moment)
            messages.append(
                OutboundMessage(
                    message_id=message_id_for(run_id, endpoint_id),
                    channel=channel,
                    address=endpoint.address or "",
                    content=content,
                    context=MessageContext(
                        app_id=self._app_id,
                        campaign_id=campaign_id,
                        campaign_activity_id=run_id,
                        treatment_id=treatment_id,
                        endpoint_id=endpoint_id,
                        run_id=run_id,
                    ),
                    sender=plan.sender,
                )
            )

        delivered: list[str] = []
        started = self._monotonic()
        attempts: dict[str, int] = {}
        if hook is not None and hook.mode == "DELIVERY":
            results = self._deliver_by_hook(run_id, prepared, hook, messages, endpoints, moment)
        else:
            results = self._deliver(
                messages, moment, rules.expires_at, time_budget_s, started, attempts
            )
        for message in messages:
            endpoint_id = message.context.endpoint_id or ""
            result = results.get(message.message_id)
            sent_treatment = message.context.treatment_id
            if result is not None and result.delivered:
                delivered.append(endpoint_id)
                reason, status = Reason.SENT, SEND_STATUS[Reason.SENT]
                detail = result.provider_message_id
            else:
                reason = Reason.FAILED
                status = result.status.value if result else "UNKNOWN_FAILURE"
                detail = f"{status}: {result.reason if result else 'no result'}"
                tries = attempts.get(message.message_id, 1)
                if tries > 1:
                    detail += f" (after {tries} attempts)"
            outcomes[endpoint_id] = LedgerOutcome(
                reason, sent_treatment, None, message.message_id, detail, warnings[endpoint_id]
            )
            events.append(
                campaign_send_event(
                    app_id=self._app_id,
                    campaign_id=campaign_id,
                    run_id=run_id,
                    treatment_id=sent_treatment,
                    endpoint=endpoints.get(endpoint_id),
                    endpoint_id=endpoint_id,
                    status=status,
                    now=moment,
                    message_id=message.message_id,
                )
            )
        # Counts first: a crash after them and before the outcomes leaves the endpoint
        # CLAIMED (in doubt, never resent) with its cap already counted.
        if delivered and rules.caps_apply:
            self._ledger.add_sends(campaign_id, delivered, day)
        self._ledger.record_outcomes(run_id, outcomes)
        if events and self._events is not None:
            self._events.put_records(events)
        self._pace(len(messages), started, prepared)

        summary = RunSummary()
        for outcome in outcomes.values():
            summary.add(outcome.reason)
        for endpoint_id in to_send:
            if endpoint_id not in claimed:
                summary.add("ALREADY_CLAIMED")
        return summary.counts

    def _deliver(
        self,
        messages: Sequence[OutboundMessage],
        now: datetime,
        expires_at: datetime | None,
        time_budget_s: float | None,
        started: float,
        attempts: dict[str, int],
    ) -> dict[str, DeliveryResult]:
        """Deliver, then try the throttled and temporarily failed messages again with
        backoff while the budget allows (``attempts`` gets the tries per message id).

        Only ``THROTTLED`` and ``TEMPORARY_FAILURE`` are retried: the provider refused
        those before accepting anything, so a retry cannot send a message twice.
        """
        if not messages:
            return {}
        limits = []
        if time_budget_s is not None:
            limits.append(started + time_budget_s)
        if expires_at is not None:
            limits.append(started + (expires_at - now).total_seconds())
        deadline = min(limits) if limits else None
        results = {r.message_id: r for r in self._channel.deliver(messages)}
        pending = list(messages)
        tries = 1
        while True:
            pending = [m for m in pending if is_retryable(results[m.message_id].status)]
            if not pending:
                break
            remaining = None if deadline is None else deadline - self._monotonic()
            wait = self.retry_policy.next_delay(tries, remaining)
            if wait is None:
                break
            self._sleep(wait)
            tries += 1
            for message in pending:
                attempts[message.message_id] = tries
            try:
                retried = self._channel.deliver(pending)
            except Exception:
                # A raise means nothing of that call went out (the DeliveryChannel
                # contract): the earlier results stand, and the sends of the first call
                # are still recorded rather than left in doubt.
                break
            results.update({r.message_id: r for r in retried})
        return results

    def _event(
        self,
        run_id: str,
        campaign_id: str,
        decision: Decision,
        endpoints: Mapping[str, Endpoint],
        endpoint_id: str,
        status: str,
        now: datetime,
    ) -> EventRecord:
        return campaign_send_event(
            app_id=self._app_id,
            campaign_id=campaign_id,
            run_id=run_id,
            treatment_id=decision.treatment_id,
            endpoint=endpoints.get(endpoint_id),
            endpoint_id=endpoint_id,
            status=status,
            now=now,
        )

    def _hook_payload(
        self,
        run_id: str,
        prepared: PreparedRun,
        endpoint_ids: Sequence[str],
        endpoints: Mapping[str, Endpoint],
    ) -> dict[str, Any]:
        """What Pinpoint passed a CampaignHook: the campaign's message and the batch."""
        campaign = prepared.campaign
        configuration = campaign.message_configuration
        return {
            "ApplicationId": self._app_id,
            "CampaignId": campaign.id,
            "TreatmentId": "0",
            "ActivityId": run_id,
            "ScheduledTime": prepared.run.get("ScheduledTime"),
            "MessageConfiguration": configuration.to_pinpoint() if configuration else {},
            "Endpoints": {i: endpoints[i].to_pinpoint() for i in endpoint_ids if i in endpoints},
        }

    def _filter(
        self,
        run_id: str,
        prepared: PreparedRun,
        hook: Hook,
        endpoint_ids: Sequence[str],
        endpoints: dict[str, Endpoint],
        now: datetime,
    ) -> set[str]:
        """A FILTER hook: the endpoints it returns are sent to (with the attributes it
        set on them); the others are skipped. A hook that fails raises: nothing of the
        batch is sent unfiltered, and the batch is retried."""
        assert self._hooks is not None
        answer = self._hooks.invoke(
            hook.target, self._hook_payload(run_id, prepared, endpoint_ids, endpoints)
        )
        kept: set[str] = set()
        for endpoint_id, returned in answer.items():
            if endpoint_id not in endpoints:
                continue
            kept.add(endpoint_id)
            if isinstance(returned, Mapping):
                # A malformed change is ignored: the endpoint as stored is sent.
                with contextlib.suppress(ValueError):
                    endpoints[endpoint_id] = Endpoint.model_validate(
                        {**endpoints[endpoint_id].to_pinpoint(), **returned, "Id": endpoint_id}
                    )
        return kept

    def _deliver_by_hook(
        self,
        run_id: str,
        prepared: PreparedRun,
        hook: Hook,
        messages: Sequence[OutboundMessage],
        endpoints: Mapping[str, Endpoint],
        now: datetime,
    ) -> dict[str, DeliveryResult]:
        """A DELIVERY hook: the claimed endpoints go to the hook, which delivers; each
        is SUCCESSFUL once the hook has accepted the batch."""
        if not messages:
            return {}
        assert self._hooks is not None
        ids = [m.context.endpoint_id or "" for m in messages]
        self._hooks.invoke(hook.target, self._hook_payload(run_id, prepared, ids, endpoints))
        return {
            m.message_id: DeliveryResult(
                m.message_id, DeliveryStatus.SUCCESSFUL, reason="delivered by the campaign hook"
            )
            for m in messages
        }

    def _pace(self, count: int, started: float, prepared: PreparedRun) -> None:
        rate = prepared.messages_per_second
        if not count or not rate:
            return
        # Hold the batch to MessagesPerSecond (per process: on AWS the state machine's
        # Map concurrency divides the limit between batches).
        wanted = count / rate
        spent = self._monotonic() - started
        if wanted > spent:
            self._sleep(wanted - spent)

    # -- completion ----------------------------------------------------------------------

    def summarise_run(self, run_id: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Count the run's outcomes and rendering warnings from the ledger and store
        them on the run record.

        The state is COMPLETED, or PENDING_NEXT_RUN while endpoints are still deferred
        (``resume`` sends to them once their quiet time or local time comes).
        """
        run = dict(self._campaigns.get_run(run_id))
        summary = RunSummary.from_counts(self._ledger.outcome_counts(run_id))
        run["Counts"] = dict(sorted(summary.counts.items()))
        run["Summary"] = summary.to_json()
        run["RenderWarnings"] = render_warnings_json(self._ledger.warning_tally(run_id))
        if summary.in_doubt:
            claimed = [k for k, v in self._ledger.in_doubt(run_id).items() if v.reason == "CLAIMED"]
            run["InDoubtEndpoints"] = claimed[:IN_DOUBT_LISTED]
        else:
            run.pop("InDoubtEndpoints", None)
        pending = sum(summary.deferred.values())
        run["State"] = (
            CampaignStatus.PENDING_NEXT_RUN.value if pending else CampaignStatus.COMPLETED.value
        )
        run["SummarisedTime"] = iso(now or self._clock())
        if not pending:
            run.setdefault("EndTime", run["SummarisedTime"])
        self._campaigns.save_run(run)
        return run

    def execute(self, run_id: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Run every batch of the audience in process, then summarise (local launch)."""
        for batch in batches(self.audience(run_id), self.batch_size):
            self.send_batch(run_id, batch, now=now)
        return self.summarise_run(run_id, now=now)

    def resume(self, run_id: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Send to the run's deferred endpoints whose deferral has ended, then summarise.

        Each goes through the whole decision again (it may have opted out meanwhile, or
        entered another quiet time).
        """
        moment = now or self._clock()
        due = self._ledger.deferred(run_id, to_ms(moment))
        for batch in batches(due, self.batch_size):
            self.send_batch(run_id, batch, now=moment)
        return self.summarise_run(run_id, now=moment)

    # -- event-triggered campaigns -----------------------------------------------------

    def event_run_id(self, campaign_id: str, event_id: str) -> str:
        """A run id per (campaign, event): a redelivered event finds its run's claim."""
        return "evt-" + message_id_for("campaign-event", campaign_id, event_id)

    def is_event_campaign(self, campaign: CampaignResponse) -> bool:
        schedule = campaign.schedule
        return schedule is not None and schedule.effective_frequency == Frequency.EVENT


def _hook(campaign: CampaignResponse, project: Mapping[str, Any]) -> Hook | None:
    """The campaign's CampaignHook, else the project's; None when neither has a mode
    and a target."""
    own = campaign.hook
    if own is not None and own.mode is not None and (own.lambda_function_name or own.web_url):
        return Hook(own.mode.value, HookTarget(own.lambda_function_name, own.web_url))
    settings = project.get("CampaignHook") or {}
    mode = settings.get("Mode")
    if mode and (settings.get("LambdaFunctionName") or settings.get("WebUrl")):
        return Hook(
            str(mode), HookTarget(settings.get("LambdaFunctionName"), settings.get("WebUrl"))
        )
    return None
