"""Start of a campaign run (the state machine's first task).

Input: the execution input ``{"CampaignId": ..., "RunId": ...}`` (``RunId`` given when
``clarion campaigns launch`` planned the run; absent when an EventBridge Scheduler
schedule started the execution) and the execution name:
``{"Input": {...}, "ExecutionName": ...}``.

Without a RunId the run is planned with the execution name as its id, so a retried
task finds the run it planned instead of planning a second one. Returns
``{"RunId", "CampaignId", "AudienceSql", "BatchSize", "MaxConcurrency",
"InvocationRate"}``: the audience SQL groups the audience into batches of ``BatchSize``
(one row per batch), and the numbers spread Limits.MessagesPerSecond over the
Distributed Map (:mod:`clarion.domain.send_rate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.send_rate import batched_audience_sql, send_plan
from lambdas._runtime import LazyBootstrap, powertools

logger, tracer, metrics = powertools()

SCHEDULE_TRIGGER = "SCHEDULE"
bootstrap = LazyBootstrap()


def _text(value: Any, field: str, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidRecordError([FieldProblem(field, "is required")])
        return None
    if not isinstance(value, str):
        raise InvalidRecordError([FieldProblem(field, "must be a string")])
    return value


def start_run(boot: Bootstrap, event: Mapping[str, Any]) -> dict[str, Any]:
    """Plan (or find) the run and describe its audience query (module docstring).

    Raises
    ------
    InvalidRecordError
        The input lacks a CampaignId, names another campaign's run, or the campaign is
        paused or broken.
    NotFoundError
        No such campaign, or a template it names is missing.
    """
    given = event.get("Input", event)
    if not isinstance(given, Mapping):
        raise InvalidRecordError([FieldProblem("Input", "must be an object")])
    campaign_id = _text(given.get("CampaignId"), "CampaignId")
    assert campaign_id is not None
    run_id = _text(given.get("RunId"), "RunId", required=False) or _text(
        event.get("ExecutionName"), "ExecutionName", required=False
    )
    runner = boot.campaign_runner
    run: dict[str, Any] | None = None
    if run_id is not None:
        try:
            run = boot.campaign_repository.get_run(run_id)
        except NotFoundError:
            run = None
    if run is None:
        # A schedule firing: with IsLocalTime it fires ahead of the run's wall-clock time
        # (in UTC+14), so plan the run for the time it stands for.
        fired_at = datetime.now(UTC)
        run = runner.plan_run(
            campaign_id,
            run_id=run_id,
            trigger=SCHEDULE_TRIGGER,
            now=fired_at,
            run_time=boot.campaign_service.scheduled_run_time(campaign_id, fired_at),
        )
        metrics.add_metric(name="CampaignRunsPlanned", unit=MetricUnit.Count, value=1)
    elif run.get("CampaignId") != campaign_id:
        raise InvalidRecordError(
            [FieldProblem("RunId", f"run {run_id} belongs to campaign {run.get('CampaignId')}")]
        )
    run_id = str(run["RunId"])
    campaign = boot.campaign_repository.get_campaign(campaign_id, run.get("CampaignVersion"))
    plan = send_plan((campaign.get("Limits") or {}).get("MessagesPerSecond"))
    sql = batched_audience_sql(runner.audience_sql(run_id), plan.batch_size)
    logger.info(
        "campaign run started",
        extra={"run_id": run_id, "campaign_id": campaign_id, **plan.to_json()},
    )
    return {"RunId": run_id, "CampaignId": campaign_id, "AudienceSql": sql, **plan.to_json()}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return start_run(bootstrap(), event)
