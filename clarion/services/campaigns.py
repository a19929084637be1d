"""Campaigns: define them in Pinpoint's WriteCampaignRequest shape, version them, launch
runs and report on them; start EVENT campaigns from ingested events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from clarion.domain.campaign import (
    BASE_TREATMENT_ID,
    CampaignStatus,
    Frequency,
    event_filter_matches,
    validate_campaign_request,
    validate_campaign_response,
)
from clarion.domain.campaign_run import RunSummary
from clarion.domain.endpoint import parse_iso8601
from clarion.domain.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.events import EventRecord
from clarion.ports import (
    CampaignRepository,
    CampaignRunStarter,
    ProfileStore,
    SegmentRepository,
    TemplateRepository,
)
from clarion.services.campaign_runner import CampaignRunner, iso, load_templates, utc_now

ARN_PREFIX = "arn:clarion:campaigns"


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
    app_id
        The project id (ApplicationId in responses).
    """

    def __init__(
        self,
        repository: CampaignRepository,
        runner: CampaignRunner,
        templates: TemplateRepository,
        segments: SegmentRepository | None = None,
        *,
        starter: CampaignRunStarter | None = None,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._runner = runner
        self._templates = templates
        self._segments = segments
        self._starter = starter
        self._app_id = app_id
        self._clock = clock

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
        return self._store(document)

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
        return self._store(document)

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest (CampaignResponse). Raises NotFoundError."""
        return self._repository.get_campaign(campaign_id, version)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self._repository.list_campaigns()

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
        run is planned and handed to it (the state machine).
        """
        moment = now or self._clock()
        run = self._runner.plan_run(campaign_id, now=moment)
        if self._starter is not None:
            execution = self._starter.start_run(run)
            self._repository.save_run({**run, "Execution": execution})
        else:
            self._runner.execute(run["RunId"], now=moment)
        self._set_status(campaign_id, CampaignStatus.EXECUTING if self._starter else None)
        return str(run["RunId"])

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
        }

    def _set_status(self, campaign_id: str, status: CampaignStatus | None) -> None:
        # Local runs finish inside launch: a ONCE campaign is then COMPLETED.
        campaign = dict(self._repository.get_campaign(campaign_id))
        frequency = (campaign.get("Schedule") or {}).get("Frequency", Frequency.ONCE.value)
        if status is None:
            status = (
                CampaignStatus.COMPLETED
                if frequency == Frequency.ONCE.value
                else CampaignStatus.PENDING_NEXT_RUN
            )
        campaign["State"] = {"CampaignStatus": status.value}
        self._repository.save_campaign(campaign)


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

    def handle_events(self, records: Sequence[EventRecord]) -> None:
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


def _within(start: str, end: str | None, now: datetime) -> bool:
    if start != "IMMEDIATE" and parse_iso8601(start) > now:
        return False
    return end is None or parse_iso8601(end) >= now
