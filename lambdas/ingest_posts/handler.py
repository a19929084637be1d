"""Social posts over HTTP: API Gateway (IAM auth, proxy integration) → the posts stream.

``POST /v1/social/posts`` with one post, a JSON array of posts, or ``{"Posts": [...]}``
(at most ``MAX_POSTS_PER_REQUEST``; the shape is in docs/sentiment.md). The body goes
through ``PostIntakeService.submit``: each post is validated, valid ones are put on the
posts Kinesis stream for the scoring function, invalid ones are dead-lettered with their
reasons.

Responses: 202 with one result per post (``Accepted``, or 400 and the problems); 400 when
the body is not JSON or holds too many posts; 413 over ``MAX_BODY_BYTES``. Duplicates are
accepted here and dropped by the scoring function (one dedupe point, after the stream).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas._runtime import (
    LazyBootstrap,
    MetricCounts,
    api_body,
    bad_request,
    json_response,
    powertools,
)

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "ingest_posts")

bootstrap = LazyBootstrap()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
@event_source(data_class=APIGatewayProxyEvent)
def handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    submission = bootstrap().post_intake_service.submit(api_body(event))
    if submission.refused is not None:
        counts.count("requests_refused", 1)
        return bad_request(413 if submission.too_large else 400, [submission.refused])
    counts.count("accepted", submission.accepted)
    counts.count("rejected", submission.rejected)
    return json_response(202, {"Results": submission.results})
