"""Ports of the campaigns feature: campaign versions and runs, starting runs
elsewhere, schedules, event triggers, a run's audience query, and the batch files of a
run's resume passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.campaigns.model import CampaignResponse
    from clarion.domain.events.records import EventRecord


class CampaignTrigger(Protocol):
    """Hands ingested events to the campaign engine, which starts event-triggered
    campaigns (``Schedule.Frequency: EVENT``) and journeys whose filters match.

    The events consumer calls it with every batch of new records after applying their
    effects; the messaging feature implements it.
    """

    def handle_events(self, records: Sequence[EventRecord]) -> None: ...


class CampaignRepository(Protocol):
    """Campaign versions (CampaignResponse JSON) and campaign run records.

    A run record is JSON with at least ``RunId``, ``CampaignId`` and ``State``; the
    engine keeps its summary counts (``Counts``) in it.
    """

    def save_campaign(self, campaign: Mapping[str, Any]) -> None:
        """Store one version (``Id`` and ``Version`` identify it); it becomes the latest
        unless a higher version is stored."""
        ...

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest. Raises ``NotFoundError``."""
        ...

    def list_campaigns(self) -> list[dict[str, Any]]:
        """The latest version of every campaign, ordered by id."""
        ...

    def list_campaign_versions(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every version of one campaign, oldest first. Raises ``NotFoundError``."""
        ...

    def delete_campaign(self, campaign_id: str) -> None:
        """Remove every version of the campaign (its runs stay, for reports). Raises
        ``NotFoundError``."""
        ...

    def save_run(self, run: Mapping[str, Any]) -> None:
        """Create or replace a run record."""
        ...

    def get_run(self, run_id: str) -> dict[str, Any]:
        """Raises ``NotFoundError``."""
        ...

    def list_runs(self, campaign_id: str) -> list[dict[str, Any]]:
        """The campaign's runs, oldest first (by ``StartTime``, then ``RunId``)."""
        ...


class CampaignRunStarter(Protocol):
    """Starts a planned campaign run somewhere else (the Step Functions state machine
    on AWS). Without one, the campaign service runs it in process."""

    def start_run(self, run: Mapping[str, Any]) -> str:
        """Start the run; returns an execution reference (an execution ARN)."""
        ...


class CampaignScheduler(Protocol):
    """Keeps one campaign's schedule: EventBridge Scheduler schedules on AWS (they start
    the campaign state machine), rows in DuckDB locally (``clarion campaigns tick`` runs
    what is due). Only a Schedule at a future StartTime or recurring has one; EVENT and
    IMMEDIATE campaigns have none."""

    def put_schedule(self, campaign: CampaignResponse) -> str | None:
        """Create or update the campaign's schedule(s) (disabled while it IsPaused);
        returns the schedule's name or ARN, or None when it needs none (an earlier
        version's is removed)."""
        ...

    def delete_schedule(self, campaign_id: str) -> None:
        """Remove the campaign's schedule(s), if any."""
        ...


@dataclass(frozen=True, slots=True)
class BatchObject:
    """Where a pass's batches are: an object the state machine's Map reads."""

    bucket: str
    key: str


class CampaignAudienceQuery(Protocol):
    """Starts a campaign run's (or a journey run's) audience query without waiting for
    it (Athena on AWS: the campaign state machine, or the journey tick, polls it and
    reads its CSV result).

    The campaign run's start step calls it, and the journey tick's plan and entered
    steps, so that the SQL, which may be a couple of hundred kilobytes, never travels
    in a state machine's execution state (whose payloads are limited to 256 KiB).
    """

    def start(self, sql: str, token: str) -> str:
        """Start ``sql`` as written; returns the query execution id. The same ``token``
        (32 to 128 characters) within a few hours returns the same query, so a retried
        step starts no second one."""
        ...


class CampaignBatchStore(Protocol):
    """Where the batches of a campaign run's resume pass are written for the campaign
    state machine's Distributed Map to read: a CSV object in the data bucket on AWS, in
    the shape of the batched audience query's result (header ``batch,ids``, every field
    quoted, ``ids`` a JSON array of endpoint ids), so a resume pass runs like the first.
    """

    def put_batches(
        self, run_id: str, pass_ms: int, batches: Sequence[Sequence[str]]
    ) -> BatchObject:
        """Write the pass started at ``pass_ms`` (epoch ms), one row per batch, numbered
        from 0. Returns where it is; with no batches nothing is written and the place it
        would have had is returned."""
        ...


@dataclass(frozen=True, slots=True)
class HookTarget:
    """Where a CampaignHook goes: a Lambda function (name or ARN) or a web URL."""

    lambda_function_name: str | None = None
    web_url: str | None = None


class CampaignHookInvoker(Protocol):
    """Calls a campaign's (or the project's) CampaignHook with one batch of endpoints,
    as Pinpoint did: the Lambda function synchronously (RequestResponse) on AWS, or an
    HTTP POST of the JSON payload to the web URL (both backends)."""

    def invoke(self, target: HookTarget, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The hook's JSON answer (``{}`` for an empty one). Raises when the hook
        failed, so the batch is retried and nothing is sent unfiltered."""
        ...
