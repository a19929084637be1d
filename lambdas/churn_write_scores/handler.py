"""Writes batch transform scores to endpoints as ``Metrics.ChurnRisk``.

Input: ``{"scores_uri": "s3://.../features.csv.out", "offset": 0}``. Reads the output
(``id,score`` lines), merges up to ``CLARION_CHURN_WRITE_LIMIT`` scores from ``offset``
into the endpoints in batches, and returns ``{"next_offset", "done", "written"}`` so the
state machine calls again until done (each call stays well inside the timeout).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from clarion.bootstrap import Bootstrap
from clarion.domain.churn import parse_scores

logger = Logger()
_bootstrap: Bootstrap | None = None


def bootstrap() -> Bootstrap:
    global _bootstrap  # one per Lambda container
    if _bootstrap is None:
        _bootstrap = Bootstrap()
    return _bootstrap


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    boot = bootstrap()
    limit = int(event.get("limit") or boot.settings.aws.churn_write_limit)
    offset = int(event.get("offset") or 0)
    scores = parse_scores(boot.churn_files.get_text(str(event["scores_uri"])))
    ids = sorted(scores)
    chunk = {i: scores[i] for i in ids[offset : offset + limit]}
    written = boot.churn_service.write_scores(chunk)
    next_offset = offset + len(chunk)
    logger.info("scores written", extra={"written": written, "offset": offset})
    return {
        "next_offset": next_offset,
        "done": next_offset >= len(ids),
        "written": written,
        "total": len(ids),
    }
