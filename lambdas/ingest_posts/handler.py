"""Social posts over HTTP: API Gateway (IAM auth, proxy integration) → the posts stream.

``POST /v1/social/posts`` with one post, a JSON array of posts, or ``{"Posts": [...]}``
(at most ``MAX_POSTS_PER_REQUEST``; the shape is in docs/sentiment.md). Each post is
validated; valid ones are put on the posts Kinesis stream (through the ``PostQueue``
port) for the scoring function, invalid ones are dead-lettered with their reasons.

Responses: 202 with one result per post (``Accepted``, or 400 and the problems); 400 when
the body is not JSON or holds too many posts; 413 over ``MAX_BODY_BYTES``. Duplicates are
accepted here and dropped by the scoring function (one dedupe point, after the stream).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.events import Reject
from clarion.domain.social import MAX_POST_BYTES, SocialPost, parse_post

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Clarion")

MAX_POSTS_PER_REQUEST = 500
MAX_BODY_BYTES = MAX_POSTS_PER_REQUEST * MAX_POST_BYTES

_bootstrap: Bootstrap | None = None


def bootstrap() -> Bootstrap:
    """The container's composition root, made on first use and kept between calls."""
    global _bootstrap  # one per Lambda container, reused by warm invocations
    if _bootstrap is None:
        _bootstrap = Bootstrap()
    return _bootstrap


def _response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, ensure_ascii=False),
    }


def _bad(problem: FieldProblem, status: int = 400) -> dict[str, Any]:
    metrics.add_metric(name="SocialRequestsRefused", unit=MetricUnit.Count, value=1)
    problems = [{"field": problem.field, "reason": problem.reason}]
    return _response(status, {"Message": "Bad request", "Problems": problems})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        return _bad(FieldProblem("(request)", f"is over {MAX_BODY_BYTES} bytes"), 413)
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _bad(FieldProblem("(request)", f"is not JSON: {exc.msg}"))
    items = body.get("Posts") if isinstance(body, dict) and "Posts" in body else body
    items = items if isinstance(items, list) else [items]
    if len(items) > MAX_POSTS_PER_REQUEST:
        reason = f"holds {len(items)} posts; the limit is {MAX_POSTS_PER_REQUEST}"
        return _bad(FieldProblem("Posts", reason))
    accepted: list[SocialPost] = []
    rejects: list[Reject] = []
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            post = parse_post(item)
        except InvalidRecordError as exc:
            rejects.append(Reject("social", index, None, tuple(exc.problems), item))
            results.append(
                {
                    "Index": index,
                    "StatusCode": 400,
                    "Problems": [{"field": p.field, "reason": p.reason} for p in exc.problems],
                }
            )
            continue
        accepted.append(post)
        results.append({"Index": index, "Post": post.key, "StatusCode": 202, "Message": "Accepted"})
    boot = bootstrap()
    if accepted:
        boot.post_queue.put_posts(accepted)
    if rejects:
        boot.dead_letter_sink.put_rejects(rejects, origin="api")
    metrics.add_metric(name="SocialPostsAccepted", unit=MetricUnit.Count, value=len(accepted))
    metrics.add_metric(name="SocialPostsRejected", unit=MetricUnit.Count, value=len(rejects))
    return _response(202, {"Results": results})
