"""Summary of a campaign run's pass (after the Distributed Map, and after each resume).

Input ``{"RunId": ...}``. Counts the run's outcomes from the send ledger onto the run
record (``CampaignRunner.summarise_run``). While endpoints are deferred (quiet time, or a
local-time schedule not yet due) the run stays PENDING_NEXT_RUN and this returns
``"Pending": true`` with ``ResumeAt``, the earliest moment one of them is due (ISO-8601,
whole seconds, UTC; never in the past): the state machine waits until then inside the
same execution (deferrals are hours, far below Step Functions' one-year limit) and runs
a resume pass. Once nothing is deferred the run is COMPLETED and
``CampaignService.finish_run`` moves the campaign (still EXECUTING, or SCHEDULED for a
scheduled start, at the run's version) to COMPLETED (ONCE, or no run left) or
PENDING_NEXT_RUN.

Returns ``{"RunId", "State", "Counts", "Pending", "ResumeAt"}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.campaign import CampaignStatus
from clarion.domain.campaign_run import to_ms
from clarion.services.campaign_runner import utc_now
from lambdas._runtime import LazyBootstrap, powertools, required_string

logger, tracer, metrics = powertools()

# Deferral moments are stored in epoch milliseconds; every deferred one is before this.
_FAR_FUTURE_MS = 10**15
bootstrap = LazyBootstrap()
clock: Callable[[], datetime] = utc_now


def step_functions_time(moment_ms: int) -> str:
    """``moment_ms`` rounded up to a whole second, as Step Functions' Wait reads it."""
    seconds = math.ceil(moment_ms / 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_resume_ms(boot: Bootstrap, run_id: str, now: datetime) -> int:
    """The earliest moment a deferred endpoint of the run is due (``now`` if one already
    is, or if a deferral has no moment)."""
    ledger = boot.send_ledger
    deferred = ledger.deferred(run_id, _FAR_FUTURE_MS)
    now_ms = to_ms(now)
    if not deferred:
        return now_ms
    untils = [o.until_ms for o in ledger.outcomes(run_id, deferred).values()]
    known = [u for u in untils if u is not None]
    if len(known) < len(untils) or not known:
        return now_ms
    return max(now_ms, min(known))


def summarise(boot: Bootstrap, event: Mapping[str, Any]) -> dict[str, Any]:
    """Summarise the run and say whether (and when) to resume (module docstring)."""
    run_id = required_string(event, "RunId")
    now = clock()
    run = boot.campaign_runner.summarise_run(run_id, now=now)
    pending = run["State"] == CampaignStatus.PENDING_NEXT_RUN.value
    resume_at = step_functions_time(next_resume_ms(boot, run_id, now)) if pending else None
    if not pending:
        boot.campaign_service.finish_run(run_id, now=now)
    logger.info(
        "campaign run summarised",
        extra={"run_id": run_id, "state": run["State"], "resume_at": resume_at},
    )
    return {
        "RunId": run_id,
        "State": run["State"],
        "Counts": run.get("Counts", {}),
        "Pending": pending,
        "ResumeAt": resume_at,
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return summarise(bootstrap(), event)
