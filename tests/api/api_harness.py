"""What the conformance suite's fixtures are made of: a local server in a thread, and
boto3's own pinpoint client pointed at Clarion."""

from __future__ import annotations

import base64
import io
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import uvicorn
from botocore.config import Config

REGION = "us-east-1"
STAGE = "live"


class LocalServer:
    """A uvicorn server of the API in a background thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def pinpoint_client(endpoint_url: str, access_key: str = "conformance") -> Any:
    """boto3's own pinpoint client, pointed at Clarion."""
    return boto3.client(
        "pinpoint",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key="not-checked-locally",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


# -- the API Lambda behind API Gateway, in process ----------------------------------------


class _RawBody(io.BytesIO):
    """What botocore reads a response body from."""

    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


def proxy_event(request: Any) -> dict[str, Any]:
    """An API Gateway REST API proxy event (resource ``/{proxy+}``, stage ``live``) of a
    botocore request, as API Gateway hands it to the function after SigV4 checks."""
    parts = urlsplit(request.url)
    # The stage is the first segment of the URL; API Gateway gives the function the rest.
    path = unquote(parts.path).removeprefix(f"/{STAGE}")
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = {
        k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
    }
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": request.method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": request_id,
            "identity": {"sourceIp": "127.0.0.1", "userArn": "arn:aws:iam::123456789012:user/t"},
            "accountId": "123456789012",
            "apiId": "api",
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


class LambdaTransport:
    """A botocore ``before-send`` hook: each request of the client goes to the API
    function as a proxy event, and its proxy response comes back as the HTTP answer."""

    def __init__(self, handler: Any, context: Any) -> None:
        self.handler = handler
        self.context = context

    def __call__(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        answer = self.handler(proxy_event(request), self.context)
        headers = dict(answer.get("headers") or {})
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers[name] = values[-1]
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        return AWSResponse(request.url, int(answer["statusCode"]), headers, _RawBody(data))


def lambda_client(handler: Any, context: Any) -> Any:
    """boto3's pinpoint client whose requests reach the API function in process."""
    client = pinpoint_client("https://api.execute-api.us-east-1.amazonaws.com/live")
    client.meta.events.register("before-send.pinpoint.*", LambdaTransport(handler, context))
    return client
