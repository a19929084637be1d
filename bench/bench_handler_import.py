"""Cold import time of every Lambda handler, and the size of the function asset.

Each handler module is imported in a fresh interpreter (as a Lambda cold start does),
beside two baselines measured in the same run: a bare interpreter, and an interpreter
importing only what every handler needs anyway (Powertools Logger and boto3). The asset
size is what ``Code.from_asset`` ships: ``clarion/`` and ``lambdas/`` without caches.

Usage: python -m bench.bench_handler_import [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "CLARION_BACKEND": "aws",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_SERVICE_NAME": "bench",
}


def _time_import(statement: str, repeat: int) -> float:
    """Median wall seconds of ``python -c statement`` in a fresh interpreter."""
    env = {**os.environ, **_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, cwd=ROOT, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _asset_bytes() -> int:
    total = 0
    for folder in ("clarion", "lambdas"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                total += path.stat().st_size
    return total


def main(argv: list[str]) -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--repeat", type=int, default=5)
    args = options.parse_args(argv)
    handlers = sorted(p.parent.name for p in (ROOT / "lambdas").glob("*/handler.py"))
    bare = _time_import("pass", args.repeat)
    floor = _time_import(
        "import boto3; from aws_lambda_powertools import Logger, Metrics, Tracer; "
        "Tracer(); Logger(); Metrics(namespace='bench')",
        args.repeat,
    )
    result: dict[str, object] = {
        "bare_interpreter_s": round(bare, 3),
        "powertools_and_boto3_s": round(floor, 3),
        "handlers_s": {},
        "asset_bytes": _asset_bytes(),
    }
    timings = result["handlers_s"]
    assert isinstance(timings, dict)
    for name in handlers:
        timings[name] = round(_time_import(f"import lambdas.{name}.handler", args.repeat), 3)
        print(f"{name:28s} {timings[name]:.3f} s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "handler_import.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
