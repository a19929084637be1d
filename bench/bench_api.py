"""Pinpoint's REST API: requests per second through boto3's pinpoint client, and the
API Lambda's cold start, each beside a baseline measured in the same run.

- Requests per second of ``GetEndpoint``, ``UpdateEndpoint`` and ``PutEvents`` (100
  events a call) on the local server (uvicorn, the local backend), one client sending
  one request after another, beside a bare endpoint of the same framework (a Starlette
  route on the same path, answering the same JSON with no work) through the same client
  on the same server settings. Goal: at least half the bare rate.
- Cold start of the API function: importing ``lambdas.api.handler`` (and building the
  app, which happens at import) in a fresh interpreter, beside importing Powertools and
  boto3 alone, in the same run. Goal: at most 1.5 times that baseline.

Usage: python -m bench.bench_api [--requests N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
APP = "bench"


class _Server:
    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _client(url: str) -> Any:
    return boto3.client(
        "pinpoint",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )


def _events(count: int) -> dict[str, Any]:
    stamp = datetime.now(UTC).isoformat()
    return {
        "BatchItem": {
            f"e{n % 10}": {
                "Endpoint": {},
                "Events": {
                    f"ev{n}": {"EventType": "purchase", "Timestamp": stamp, "Metrics": {"n": n}}
                    for n in range(count)
                    if n % 10 == e
                },
            }
            for e, n in ((e, e) for e in range(10))
        }
    }


def _rate(call: Callable[[int], Any], requests: int) -> float:
    call(-1)  # warm: first-request costs are not the rate
    started = time.perf_counter()
    for number in range(requests):
        call(number)
    return requests / (time.perf_counter() - started)


def _bare_app(answers: dict[str, tuple[int, bytes]]) -> Starlette:
    """The same paths and methods, each answering a fixed JSON body, no work."""

    def endpoint(name: str) -> Callable[[Request], Any]:
        status, body = answers[name]

        async def answer(request: Request) -> Response:
            await request.body()
            return Response(body, status_code=status, media_type="application/json")

        return answer

    return Starlette(
        routes=[
            Route(
                f"/v1/apps/{APP}/endpoints/{{endpoint_id}}",
                endpoint("GetEndpoint"),
                methods=["GET"],
            ),
            Route(
                f"/v1/apps/{APP}/endpoints/{{endpoint_id}}",
                endpoint("UpdateEndpoint"),
                methods=["PUT"],
            ),
            Route(f"/v1/apps/{APP}/events", endpoint("PutEvents"), methods=["POST"]),
        ]
    )


def _measure_rates(requests: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="clarion-bench-api-"))
    bootstrap = Bootstrap(Settings(home=home, app_id=APP))
    events = _events(100)
    update = {"ChannelType": "EMAIL", "Address": "bench@example.com", "Attributes": {"a": ["b"]}}
    with _Server(create_app(bootstrap)) as url:
        client = _client(url)
        client.update_endpoint(ApplicationId=APP, EndpointId="e0", EndpointRequest=update)
        calls: dict[str, Callable[[int], Any]] = {
            "GetEndpoint": lambda n: client.get_endpoint(ApplicationId=APP, EndpointId="e0"),
            "UpdateEndpoint": lambda n: client.update_endpoint(
                ApplicationId=APP, EndpointId=f"u{n % 50}", EndpointRequest=update
            ),
            "PutEvents": lambda n: client.put_events(ApplicationId=APP, EventsRequest=events),
        }
        # What Clarion answers, replayed by the bare endpoint.
        answers = {}
        for name, call in calls.items():
            response = call(0)
            status = response["ResponseMetadata"]["HTTPStatusCode"]
            body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
            (payload,) = body.values()
            answers[name] = (status, json.dumps(payload).encode())
        clarion = {name: _rate(call, requests) for name, call in calls.items()}
    with _Server(_bare_app(answers)) as url:
        client = _client(url)
        bare_calls: dict[str, Callable[[int], Any]] = {
            "GetEndpoint": lambda n: client.get_endpoint(ApplicationId=APP, EndpointId="e0"),
            "UpdateEndpoint": lambda n: client.update_endpoint(
                ApplicationId=APP, EndpointId="u0", EndpointRequest=update
            ),
            "PutEvents": lambda n: client.put_events(ApplicationId=APP, EventsRequest=events),
        }
        bare = {name: _rate(call, requests) for name, call in bare_calls.items()}
    return {
        name: {
            "clarion_rps": round(clarion[name], 1),
            "bare_rps": round(bare[name], 1),
            "ratio": round(clarion[name] / bare[name], 3),
            "goal_ratio_at_least": 0.5,
        }
        for name in calls
    }


def _time_import(statement: str, repeat: int) -> float:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "CLARION_BACKEND": "aws",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, cwd=ROOT, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _measure_cold_start(repeat: int) -> dict[str, Any]:
    baseline = _time_import(
        "import boto3; from aws_lambda_powertools import Logger, Metrics, Tracer; "
        "Tracer(); Logger(); Metrics(namespace='bench')",
        repeat,
    )
    handler = _time_import("import lambdas.api.handler", repeat)
    fastapi = _time_import("import fastapi", repeat) if _has("fastapi") else None
    result: dict[str, Any] = {
        "powertools_and_boto3_s": round(baseline, 3),
        "api_handler_import_s": round(handler, 3),
        "ratio": round(handler / baseline, 3),
        "goal_ratio_at_most": 1.5,
    }
    if fastapi is not None:
        result["fastapi_import_alone_s"] = round(fastapi, 3)
    return result


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(argv: list[str]) -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--requests", type=int, default=300)
    options.add_argument("--repeat", type=int, default=5)
    args = options.parse_args(argv)
    result = {
        "requests_per_operation": args.requests,
        "rates": _measure_rates(args.requests),
        "cold_start": _measure_cold_start(args.repeat),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "api.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
