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

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.events import Reject
from clarion.domain.social import MAX_POST_BYTES, SocialPost, parse_post
from lambdas._runtime import (
    LazyBootstrap,
    api_body,
    bad_request,
    json_response,
    powertools,
    problems_json,
)

logger, tracer, metrics = powertools()

MAX_POSTS_PER_REQUEST = 500
MAX_BODY_BYTES = MAX_POSTS_PER_REQUEST * MAX_POST_BYTES

bootstrap = LazyBootstrap()


def _bad(problem: FieldProblem, status: int = 400) -> dict[str, Any]:
    metrics.add_metric(name="SocialRequestsRefused", unit=MetricUnit.Count, value=1)
    return bad_request(status, [problem])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    raw = api_body(event)
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
                    "Problems": problems_json(exc.problems),
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
    return json_response(202, {"Results": results})
