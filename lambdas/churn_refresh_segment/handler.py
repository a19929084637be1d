"""Keeps the churn segment (``Metrics.ChurnRisk`` at or above the threshold) and
launches the retention campaign.

Actions: ``refresh`` (create or update the segment; no Athena count) and ``launch`` (the
retention campaign with a holdout, started on the campaign state machine). The threshold
and holdout come from ``CLARION_CHURN_THRESHOLD`` and ``CLARION_CHURN_HOLDOUT_PERCENT``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from clarion.bootstrap import Bootstrap

logger = Logger()
_bootstrap: Bootstrap | None = None


def bootstrap() -> Bootstrap:
    global _bootstrap  # one per Lambda container
    if _bootstrap is None:
        _bootstrap = Bootstrap()
    return _bootstrap


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = bootstrap().churn_service
    action = event.get("action", "refresh")
    if action == "refresh":
        return service.refresh_segment(count=False)
    if action == "launch":
        return service.launch_retention()
    raise ValueError(f"unknown action {action!r}")
