"""Campaigns: define them in Pinpoint's WriteCampaignRequest shape, version them, launch
runs and report on them; start EVENT campaigns from ingested events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from clarion.domain.audience.endpoint import Endpoint, parse_iso8601
from clarion.domain.campaigns.channel_messages import campaign_channel_messages
from clarion.domain.campaigns.event_filter import event_filter_matches
from clarion.domain.campaigns.model import (
    BASE_TREATMENT_ID,
    IMMEDIATE,
    CampaignResponse,
    CampaignStatus,
    Frequency,
    validate_campaign_request,
    validate_campaign_response,
)
from clarion.domain.campaigns.run import RunSummary, render_warnings_report
from clarion.domain.campaigns.schedule import next_run_time
from clarion.domain.campaigns.schedule_expressions import nominal_run_time
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.events.records import EventRecord
from clarion.domain.messaging.delivery import message_id_for
from clarion.domain.templates.compiled import CompiledTemplate
from clarion.domain.templates.lint import LintFinding
from clarion.domain.templates.model import TemplateType
from clarion.ports.audience import ProfileStore
from clarion.ports.campaigns import CampaignRepository, CampaignRunStarter, CampaignScheduler
from clarion.ports.segments import SegmentRepository
from clarion.ports.templates import TemplateRepository
from clarion.services.campaigns.runner import (
    CampaignRunner,
    iso,
    load_templates,
    utc_now,
)
from clarion.services.templates.lint import MessageToCheck, TemplateLinter

ARN_PREFIX = "arn:clarion:campaigns"
SCHEDULE_TRIGGER = "SCHEDULE"


@runtime_checkable
class DueSchedules(Protocol):
    """What ``tick`` needs of a scheduler that does not fire by itself (the local one)."""

    def due(self, now: datetime) -> Sequence[Any]:
        """Objects with ``campaign_id`` and ``run_time``: the runs due at ``now``."""
        ...

    def mark_ran(self, campaign_id: str, run_time: datetime) -> None: ...


class CampaignService:
    """Create, update, read, launch and report on campaigns.

    Parameters
    ----------
    repository
        Campaign versions and run records.
    runner
        The run engine (plan, batches, summary).
    templates
        Checked at create/update: the templates a campaign names must exist.
    segments
        Checked at create/update: the segment (and version) must exist.
    starter
        On AWS, starts the state machine for a launched run; None runs it in process.
        May be given as a function making it on first use.
    scheduler
        Keeps each campaign's schedule (created, updated, paused with the campaign);
        None keeps none. May be given as a function making it on first use.
    app_id
        The project id (ApplicationId in responses).
    linter
        Runs the dry run of the campaign's messages against its segment
        (:meth:`preflight`), at launch and whenever asked; None runs none. May be given
        as a function making it on first use.
    """

    def __init__(
        self,
        repository: CampaignRepository,
        runner: CampaignRunner,
        templates: TemplateRepository,
        segments: SegmentRepository | None = None,
        *,
        starter: CampaignRunStarter | Callable[[], CampaignRunStarter | None] | None = None,
        scheduler: CampaignScheduler | Callable[[], CampaignScheduler | None] | None = None,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
        linter: TemplateLinter | Callable[[], TemplateLinter | None] | None = None,
    ) -> None:
        self._repository = repository
        self._runner = runner
        self._templates = templates
        self._segments = segments
        self._linter_source = linter
        self._starter_source = starter
        self._scheduler_source = scheduler
        self._app_id = app_id
        self._clock = clock

    @property
    def _starter(self) -> CampaignRunStarter | None:
        return _made(self._starter_source)

    @property
    def scheduler(self) -> CampaignScheduler | None:
        return _made(self._scheduler_source)

    @property
    def _linter(self) -> TemplateLinter | None:
        return _made(self._linter_source)

    # -- definitions -------------------------------------------------------------------

    def create_campaign(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Create version 1 from a WriteCampaignRequest body; returns the
        CampaignResponse.

        Raises
        ------
        InvalidRecordError
            The body breaks a rule, or names a segment or template that does not exist.
        """
        body = validate_campaign_request(request, for_create=True)
        now = iso(self._clock())
        campaign_id = uuid.uuid4().hex
        document = {
            **body.to_pinpoint(),
            "Id": campaign_id,
            "Version": 1,
            "ApplicationId": self._app_id,
            "Arn": f"{ARN_PREFIX}:{self._app_id}:{campaign_id}",
            "CreationDate": now,
            "LastModifiedDate": now,
        }
        stored = self._store(document)
        self._schedule(stored, created=True)
        return stored

    def update_campaign(self, campaign_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Store a new version: fields given replace the latest version's.

        Raises NotFoundError or InvalidRecordError.
        """
        current = self.get_campaign(campaign_id)
        body = validate_campaign_request(request, for_create=False)
        given = body.model_dump(by_alias=True, exclude_unset=True, mode="json")
        document = {k: v for k, v in current.items() if k != "AdditionalTreatments"}
        document.update(
            {
                **{k: v for k, v in given.items() if v is not None},
                "Version": int(current["Version"]) + 1,
                "LastModifiedDate": iso(self._clock()),
            }
        )
        if "AdditionalTreatments" not in given:
            document["AdditionalTreatments"] = [
                {k: v for k, v in t.items() if k not in ("Id", "State")}
                for t in current.get("AdditionalTreatments", [])
            ]
        for field, value in given.items():
            if value is None:  # an explicit null clears the field
                document.pop(field, None)
        stored = self._store(document)
        self._schedule(stored, created=False)
        return stored

    def _schedule(self, stored: Mapping[str, Any], *, created: bool) -> None:
        """Create, update or remove the campaign's schedule after a version is stored.

        A new campaign that runs IMMEDIATE or on events never had one, so the scheduler
        is not even asked (a Lambda creating such campaigns needs no Scheduler rights).
        """
        campaign = validate_campaign_response(stored)
        if created and not _may_need_schedule(campaign):
            return
        scheduler = self.scheduler
        if scheduler is not None:
            scheduler.put_schedule(campaign)

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest (CampaignResponse). Raises NotFoundError."""
        return self._repository.get_campaign(campaign_id, version)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self._repository.list_campaigns()

    def versions(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every version of a campaign, oldest first. Raises NotFoundError."""
        return self._repository.list_campaign_versions(campaign_id)

    def delete_campaign(self, campaign_id: str) -> dict[str, Any]:
        """DeleteCampaign: its schedule and every version go (its runs and their events
        stay, for reports); returns the latest version as it was. Raises NotFoundError."""
        latest = self.get_campaign(campaign_id)
        scheduler = self.scheduler
        if scheduler is not None and _may_need_schedule(validate_campaign_response(latest)):
            scheduler.delete_schedule(campaign_id)
        self._repository.delete_campaign(campaign_id)
        return latest

    def activities(self, campaign_id: str) -> list[dict[str, Any]]:
        """GetCampaignActivities: one ActivityResponse per run, newest first. Raises
        NotFoundError for an unknown campaign."""
        self._repository.get_campaign(campaign_id)
        found = []
        for run in reversed(self._repository.list_runs(campaign_id)):
            summary = RunSummary.from_counts(run.get("Counts") or {})
            activity: dict[str, Any] = {
                "ApplicationId": self._app_id,
                "CampaignId": campaign_id,
                "Id": str(run["RunId"]),
                "State": str(run.get("State") or ""),
                "Start": run.get("StartTime"),
                "End": run.get("EndTime"),
                "ScheduledStart": run.get("ScheduledTime"),
                "TotalEndpointCount": summary.targeted,
                "SuccessfulEndpointCount": summary.sent,
                "Result": (
                    "SUCCESS"
                    if run.get("State") == CampaignStatus.COMPLETED.value
                    and not summary.failed
                    and not summary.in_doubt
                    else ("FAILURE" if summary.failed and not summary.sent else None)
                ),
                "ExecutionMetrics": {k: str(v) for k, v in sorted(summary.counts.items())},
            }
            found.append({k: v for k, v in activity.items() if v is not None})
        return found

    def in_app_messages(
        self,
        endpoint: Endpoint | None,
        is_member: Callable[[str, int | None, str], bool],
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """GetInAppMessages: the in-app campaigns the endpoint may be shown now (not
        paused, within their schedule, targeting a segment it is in), highest priority
        first, as InAppMessageCampaign objects. An endpoint that opted out (or is
        inactive, or unknown) gets none."""
        if endpoint is None or endpoint.is_opted_out or not endpoint.is_active:
            return []
        moment = now or self._clock()
        found = []
        for document in self._repository.list_campaigns():
            campaign = validate_campaign_response(document)
            message = _in_app_message(campaign, self._templates)
            schedule = campaign.schedule
            if message is None or campaign.is_paused or schedule is None:
                continue
            status = campaign.status
            if status in (CampaignStatus.COMPLETED, CampaignStatus.DELETED):
                continue
            if not _within(schedule.start_time, schedule.end_time, moment):
                continue
            if not is_member(campaign.segment_id, campaign.segment_version, endpoint.id):
                continue
            limits = campaign.limits
            item: dict[str, Any] = {
                "CampaignId": campaign.id,
                "TreatmentId": BASE_TREATMENT_ID,
                "Priority": campaign.priority or 3,
                "InAppMessage": message,
                "Schedule": {
                    k: v
                    for k, v in {
                        "EndDate": schedule.end_time,
                        "EventFilter": schedule.event_filter.to_pinpoint()
                        if schedule.event_filter
                        else None,
                        "QuietTime": schedule.quiet_time.to_pinpoint()
                        if schedule.quiet_time
                        else None,
                    }.items()
                    if v is not None
                },
            }
            if limits is not None:
                for key, value in (
                    ("DailyCap", limits.daily),
                    ("TotalCap", limits.total),
                    ("SessionCap", limits.session),
                ):
                    if value is not None:
                        item[key] = value
            found.append(item)
        return sorted(found, key=lambda item: (int(item["Priority"]), item["CampaignId"]))

    def start_if_immediate(self, campaign: Mapping[str, Any]) -> dict[str, Any]:
        """After CreateCampaign or UpdateCampaign over the API: a campaign whose
        Schedule starts IMMEDIATE (and is not paused) is launched at once, as Pinpoint
        sent it; returns the campaign as stored after that. (The CLI launches with
        ``campaigns launch`` instead.)"""
        parsed = validate_campaign_response(campaign)
        schedule = parsed.schedule
        if parsed.is_paused or schedule is None or schedule.start_time != IMMEDIATE:
            return dict(campaign)
        self.launch(parsed.id)
        return self.get_campaign(parsed.id)

    def _store(self, document: dict[str, Any]) -> dict[str, Any]:
        treatments = document.pop("AdditionalTreatments", None) or []
        document["AdditionalTreatments"] = [
            {**t, "Id": str(index)} for index, t in enumerate(treatments, start=1)
        ]
        if not document["AdditionalTreatments"]:
            del document["AdditionalTreatments"]
        problems = []
        if self._segments is not None:
            try:
                segment = self._segments.get_segment(
                    document["SegmentId"], document.get("SegmentVersion")
                )
                document.setdefault("SegmentVersion", int(segment["Version"]))
            except NotFoundError as exc:
                problems.append(FieldProblem("SegmentId", str(exc)))
        document.setdefault("SegmentVersion", 1)
        paused = bool(document.get("IsPaused"))
        status = CampaignStatus.PAUSED if paused else CampaignStatus.SCHEDULED
        document["State"] = {"CampaignStatus": status.value}
        if problems:
            raise InvalidRecordError(problems)
        campaign = validate_campaign_response(document)
        for share in campaign.treatments():
            try:
                load_templates(self._templates, share.template_configuration)
            except NotFoundError as exc:
                where = "TemplateConfiguration"
                if share.treatment_id != BASE_TREATMENT_ID:
                    where = f"AdditionalTreatments.{int(share.treatment_id) - 1}.{where}"
                problems.append(FieldProblem(where, str(exc)))
        if problems:
            raise InvalidRecordError(problems)
        stored = campaign.to_pinpoint()
        self._repository.save_campaign(stored)
        return stored

    # -- runs --------------------------------------------------------------------------

    def launch(self, campaign_id: str, now: datetime | None = None) -> str:
        """Start a run now; returns its run id.

        Without a starter (local) the run executes here, through the same batch code the
        AWS Lambda functions call, and is summarised before this returns; with one, the
        run is planned and handed to it (the state machine). The dry run of the
        campaign's messages (:meth:`preflight`) is kept on the run record as
        ``Preflight``.
        """
        moment = now or self._clock()
        run = self._runner.plan_run(campaign_id, now=moment)
        if self._linter is not None:
            findings = self.preflight(campaign_id, run.get("CampaignVersion"))
            run = {**run, "Preflight": [f.to_json() for f in findings]}
            self._repository.save_run(run)
        starter = self._starter
        if starter is not None:
            # EXECUTING before the start, so the run's own finish_run (which may come
            # before start_run returns) finds it.
            previous = self._set_status(campaign_id, CampaignStatus.EXECUTING)
            try:
                execution = starter.start_run(run)
            except Exception:
                self._set_status(campaign_id, previous)
                raise
            self._repository.save_run({**run, "Execution": execution})
        else:
            self._runner.execute(run["RunId"], now=moment)
            self._set_status(campaign_id, self._after_run_status(run, moment))
        return str(run["RunId"])

    def preflight(self, campaign_id: str, version: int | None = None) -> list[LintFinding]:
        """The dry run of what the campaign sends, against its segment: each message's
        lint findings (names no endpoint has, unknown helpers and partials), and the
        printed variables without a default that more than the linter's share of the
        segment's endpoints lack (counted, never sent). Nothing is changed; a launch
        and ``campaigns create`` report these. Empty without a linter.

        Raises NotFoundError for an unknown campaign, or a template it names.
        """
        linter = self._linter
        if linter is None:
            return []
        campaign = validate_campaign_response(self._repository.get_campaign(campaign_id, version))
        messages: dict[tuple[str, str, int], MessageToCheck] = {}
        for share in campaign.treatments():
            if share.size_percent <= 0:
                continue
            prefix = (
                ""
                if share.treatment_id == BASE_TREATMENT_ID
                else (f"Treatment {share.treatment_id}: ")
            )
            inline_name = f"campaign-{campaign.id}-{share.treatment_id}"
            # The messages each channel gets, exactly as the run routes them.
            routed = campaign_channel_messages(
                inline_name,
                share.message_configuration,
                load_templates(self._templates, share.template_configuration),
                campaign.custom_delivery_configuration,
            )
            by_message: dict[int, tuple[CompiledTemplate, list[str]]] = {}
            for channel, message in routed.items():
                entry = by_message.setdefault(id(message.compiled), (message.compiled, []))
                entry[1].append(channel.value)
            for compiled, channels in by_message.values():
                inline = compiled.template_name.startswith(inline_name)
                label = prefix + (
                    f"the inline {compiled.template_type} message"
                    if inline
                    else compiled.template_name
                )
                key = (
                    label if inline else compiled.template_name,
                    compiled.template_type,
                    compiled.version,
                )
                found = messages.get(key)
                reached = tuple(sorted({*channels, *(found.channels if found else ())}))
                messages[key] = MessageToCheck(
                    found.label if found else label, compiled.template_type, compiled.body, reached
                )
        return linter.check_messages(
            campaign.segment_id, campaign.segment_version, list(messages.values())
        )

    def finish_run(self, run_id: str, now: datetime | None = None) -> CampaignStatus | None:
        """After a run on AWS (the summarise step, once nothing is deferred): the
        campaign, if still EXECUTING (a launch) or SCHEDULED (a scheduled start) *at the
        run's version*, becomes COMPLETED (ONCE, or a recurrence with no run left) or
        PENDING_NEXT_RUN. Returns the new status, or None when nothing changed: the run
        still has deferred endpoints, or the campaign was paused, updated or finished
        meanwhile.

        Raises NotFoundError for an unknown run.
        """
        run = self._repository.get_run(run_id)
        if run.get("State") == CampaignStatus.PENDING_NEXT_RUN.value:
            return None
        campaign = self._repository.get_campaign(str(run["CampaignId"]))
        status = (campaign.get("State") or {}).get("CampaignStatus")
        if status not in (CampaignStatus.EXECUTING.value, CampaignStatus.SCHEDULED.value):
            return None
        if run.get("CampaignVersion") not in (None, campaign.get("Version")):
            return None
        new_status = self._after_run_status(run, now or self._clock())
        self._set_status(str(run["CampaignId"]), new_status)
        return new_status

    def scheduled_run_time(self, campaign_id: str, fired_at: datetime) -> datetime:
        """The run time a schedule firing at ``fired_at`` stands for: ``fired_at``, or
        with IsLocalTime the schedule's run whose wall-clock time has just come in
        UTC+14 (the schedule fires that much early; docs/campaign-pipeline.md)."""
        campaign = validate_campaign_response(self._repository.get_campaign(campaign_id))
        if campaign.schedule is None:
            return fired_at
        return nominal_run_time(campaign.schedule, fired_at)

    def tick(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Run every campaign whose scheduled run is due, then resume runs whose
        deferred endpoints are due: the local backend's EventBridge Scheduler and
        state-machine Wait (``clarion campaigns tick``, from cron). Returns a report per
        run started or resumed, or with ``Error`` for a campaign that could not run.

        A tick that comes late runs each campaign once, at its latest due run time. The
        run id derives from (campaign, run time), so two ticks cannot run it twice.

        Raises
        ------
        ValueError
            The scheduler fires by itself (EventBridge Scheduler on AWS).
        """
        moment = now or self._clock()
        scheduler = self.scheduler
        if not isinstance(scheduler, DueSchedules):
            raise ValueError(
                "campaigns tick is for the local backend; on AWS EventBridge Scheduler "
                "starts scheduled runs"
            )
        reports: list[dict[str, Any]] = []
        started: set[str] = set()
        for due in scheduler.due(moment):
            campaign_id, run_time = due.campaign_id, due.run_time
            run_id = "sch-" + message_id_for("schedule", campaign_id, iso(run_time))
            try:
                self._repository.get_run(run_id)
            except NotFoundError:
                try:
                    run = self._runner.plan_run(
                        campaign_id,
                        now=moment,
                        run_time=run_time,
                        run_id=run_id,
                        trigger=SCHEDULE_TRIGGER,
                    )
                    self._runner.execute(run_id, now=moment)
                    self._set_status(campaign_id, self._after_run_status(run, moment))
                    started.add(run_id)
                    reports.append(self.run_report(self._repository.get_run(run_id)))
                except (InvalidRecordError, NotFoundError) as exc:
                    reports.append(
                        {
                            "CampaignId": campaign_id,
                            "ScheduledTime": iso(run_time),
                            "Error": str(exc),
                        }
                    )
            scheduler.mark_ran(campaign_id, run_time)
        for campaign in self._repository.list_campaigns():
            for run in self._repository.list_runs(str(campaign["Id"])):
                if run["RunId"] in started:
                    continue
                if run.get("State") == CampaignStatus.PENDING_NEXT_RUN.value:
                    self._runner.resume(run["RunId"], now=moment)
                    reports.append(self.run_report(self._repository.get_run(run["RunId"])))
        return reports

    def resume(self, run_id: str, now: datetime | None = None) -> dict[str, Any]:
        """Send to the run's endpoints whose quiet time (or local send time) has ended;
        returns the run's report."""
        self._runner.resume(run_id, now=now or self._clock())
        return self.run_report(self._repository.get_run(run_id))

    def runs(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every run of the campaign, oldest first: targeted, sent, skipped by reason,
        held out, deferred, failed. Raises NotFoundError for an unknown campaign."""
        self._repository.get_campaign(campaign_id)
        return [self.run_report(run) for run in self._repository.list_runs(campaign_id)]

    @staticmethod
    def run_report(run: Mapping[str, Any]) -> dict[str, Any]:
        """A run's record as ``campaigns runs`` shows it: outcomes, the rendering
        warnings its messages had, and what the dry run at launch found."""
        summary = RunSummary.from_counts(run.get("Counts") or {})
        return {
            "RunId": run["RunId"],
            "CampaignId": run["CampaignId"],
            "CampaignVersion": run.get("CampaignVersion"),
            "State": run.get("State"),
            "Trigger": run.get("Trigger"),
            "StartTime": run.get("StartTime"),
            "EndTime": run.get("EndTime"),
            **summary.to_json(),
            "RenderWarnings": render_warnings_report(run.get("RenderWarnings"), summary),
            "Preflight": list(run.get("Preflight") or []),
            # Only when there are some (the ledger has them all: campaigns reconcile).
            **(
                {"InDoubtEndpoints": list(run["InDoubtEndpoints"])}
                if run.get("InDoubtEndpoints")
                else {}
            ),
        }

    def _after_run_status(self, run: Mapping[str, Any], now: datetime) -> CampaignStatus:
        """COMPLETED for ONCE and for a recurrence with no run after this one;
        PENDING_NEXT_RUN otherwise (EVENT campaigns wait for the next event)."""
        campaign = validate_campaign_response(
            self._repository.get_campaign(str(run["CampaignId"]), run.get("CampaignVersion"))
        )
        schedule = campaign.schedule
        if schedule is None or schedule.effective_frequency == Frequency.ONCE:
            return CampaignStatus.COMPLETED
        if schedule.effective_frequency in (Frequency.EVENT, Frequency.IN_APP_EVENT):
            return CampaignStatus.PENDING_NEXT_RUN
        scheduled = parse_iso8601(str(run.get("ScheduledTime") or iso(now)))
        following = next_run_time(schedule, now, after=max(scheduled, now))
        return CampaignStatus.COMPLETED if following is None else CampaignStatus.PENDING_NEXT_RUN

    def _set_status(self, campaign_id: str, status: CampaignStatus | None) -> CampaignStatus | None:
        """Set the latest version's status; returns the previous one."""
        campaign = dict(self._repository.get_campaign(campaign_id))
        previous = (campaign.get("State") or {}).get("CampaignStatus")
        if status is not None:
            campaign["State"] = {"CampaignStatus": status.value}
            self._repository.save_campaign(campaign)
        return CampaignStatus(previous) if previous else None


class EventCampaignTrigger:
    """The CampaignTrigger: starts EVENT campaigns for the records that match them.

    Each matching (campaign, record) is its own run whose id derives from the record's
    event id, so a redelivered record finds its claim and sends nothing twice. The
    endpoint goes through the same decision rules (opt-out, quiet time, caps, holdout)
    and the same ledger as a scheduled run.
    """

    def __init__(
        self,
        repository: CampaignRepository,
        runner: CampaignRunner,
        profiles: ProfileStore | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._runner = runner
        self._profiles = profiles
        self._clock = clock

    def acts_on_no_events(self) -> bool:
        """Whether no campaign is event-triggered now (so no record can start a run)."""
        return not self._event_campaigns()

    def _event_campaigns(self) -> list[CampaignResponse]:
        campaigns = []
        for document in self._repository.list_campaigns():
            campaign = validate_campaign_response(document)
            schedule = campaign.schedule
            if (
                schedule is None
                or schedule.effective_frequency != Frequency.EVENT
                or schedule.event_filter is None
                or campaign.is_paused
            ):
                continue
            campaigns.append(campaign)
        return campaigns

    def handle_events(self, records: Sequence[EventRecord]) -> None:
        campaigns = self._event_campaigns()
        if not campaigns:
            return
        now = self._clock()
        for record in records:
            endpoint_id = record.endpoint_id
            if not endpoint_id:
                continue
            for campaign in campaigns:
                schedule = campaign.schedule
                assert schedule is not None and schedule.event_filter is not None
                if not event_filter_matches(schedule.event_filter, record):
                    continue
                if not _within(schedule.start_time, schedule.end_time, now):
                    continue
                run_id = self._runner.event_run_id(campaign.id, record.event_id)
                try:
                    self._repository.get_run(run_id)
                except NotFoundError:
                    self._runner.plan_run(campaign.id, now=now, run_id=run_id, trigger="EVENT")
                self._runner.send_batch(run_id, [endpoint_id], now=now)
                self._runner.summarise_run(run_id, now=now)


_T = TypeVar("_T")


def _made(source: _T | Callable[[], _T | None] | None) -> _T | None:
    """An adapter given as itself or as a function making it."""
    if source is None:
        return None
    if callable(source):
        return source()
    return source


def _may_need_schedule(campaign: CampaignResponse) -> bool:
    """Whether a Schedule can need a scheduler at all (not EVENT, not IMMEDIATE)."""
    schedule = campaign.schedule
    if schedule is None or schedule.start_time == IMMEDIATE:
        return False
    return schedule.effective_frequency not in (Frequency.EVENT, Frequency.IN_APP_EVENT)


def _within(start: str, end: str | None, now: datetime) -> bool:
    if start != "IMMEDIATE" and parse_iso8601(start) > now:
        return False
    return end is None or parse_iso8601(end) >= now


def _in_app_message(
    campaign: CampaignResponse, templates: TemplateRepository
) -> dict[str, Any] | None:
    """The in-app message a campaign shows (InAppMessage: Content, CustomConfig,
    Layout), inline or from its in-app template; None for other campaigns."""
    inline = (
        campaign.message_configuration.in_app_message if campaign.message_configuration else None
    )
    if inline:
        return {k: inline[k] for k in ("Content", "CustomConfig", "Layout") if k in inline}
    configuration = campaign.template_configuration
    ref = configuration.in_app_template if configuration else None
    if ref is None or not ref.name:
        return None
    try:
        version = templates.get_template(TemplateType.INAPP, ref.name).version(ref.version)
    except NotFoundError:
        return None
    body = version.body.to_pinpoint()
    return {k: body[k] for k in ("Content", "CustomConfig", "Layout") if k in body}
