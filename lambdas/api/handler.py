"""Pinpoint's REST API on AWS: API Gateway (REST, IAM-authorised) proxies every request
to this function, which runs the same ASGI application as ``clarion serve``.

Mangum turns each API Gateway proxy event into an ASGI request and the application's
answer into the proxy response: pure Python, in process (so the tests drive this very
handler with proxy events under moto), no extension binary. The application and its
routes are built at import; the composition root, and each service, on first use.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from clarion.entrypoints.api import create_app
from lambdas._runtime import LazyBootstrap, MetricCounts, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "api")

bootstrap = LazyBootstrap()

# The root Bootstrap is asked for on the first request (``bootstrap`` may be replaced by
# tests before that), never at import.
app = create_app(lambda: bootstrap())
asgi = Mangum(app, lifespan="off", api_gateway_base_path="/")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Mangum declares its own LambdaContext protocol with settable members; the
    # runtime's context object satisfies it at run time.
    response = dict(asgi(event, context))  # type: ignore[arg-type]
    status = int(response.get("statusCode", 500))
    counts.count("requests", 1)
    if 400 <= status < 500:
        counts.count("client_errors", 1)
    elif status >= 500:
        counts.count("server_errors", 1)
    return response
