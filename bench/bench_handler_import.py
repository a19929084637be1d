"""Cold import time of every Lambda handler, and the size of the function asset.

Each handler module is imported in a fresh interpreter (as a Lambda cold start does,
with the environment the functions have: the aws backend, Powertools' variables, no
pydantic plugin discovery), beside two baselines measured in the same run: a bare
interpreter, and an interpreter importing only what every handler needs anyway
(Powertools Logger, Metrics and Tracer, and boto3). The asset size is what
``Code.from_asset`` ships: ``clarion/`` and ``lambdas/`` without caches (so, as on
Lambda, Clarion's modules are compiled on import).

Beside them, not a goal: the baseline with pydantic imported and one model built, which
every function validating its event with a model pays before any code of its own.

Goal: every handler's import at most 1.2x the Powertools-and-boto3 baseline. Wall time
on a shared machine moves with its load, so each handler's samples alternate with
samples of the baseline, and the ratio is also given in CPU time (the child's user and
system seconds), which the machine's other work moves much less.

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
    # Set on every function (infra/constructs/lambda_runtime.py).
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}


FLOOR = (
    "import boto3; from aws_lambda_powertools import Logger, Metrics, Tracer; "
    "Tracer(); Logger(); Metrics(namespace='bench')"
)


# The baseline with pydantic imported and one model built, as every function that
# validates its event with a model has them: reported beside the handlers (not a goal),
# so a run shows how much of such a function's ratio is pydantic's own.
WITH_PYDANTIC = FLOOR + (
    "; from pydantic import BaseModel, Field\n"
    "class Event(BaseModel):\n"
    "    id: str = Field(min_length=1)"
)


def _sample(statement: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -c statement`` in a fresh interpreter."""
    env = {**os.environ, **_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", statement], cwd=ROOT, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, statement)
    return wall, usage.ru_utime + usage.ru_stime


def _time_import(statement: str, repeat: int) -> float:
    """Median wall seconds of ``python -c statement`` in a fresh interpreter."""
    return statistics.median(_sample(statement)[0] for _ in range(repeat))


def _paired(statement: str, repeat: int) -> dict[str, float]:
    """Medians of ``statement`` and of the baseline, their samples alternating."""
    mine: list[tuple[float, float]] = []
    floor: list[tuple[float, float]] = []
    for _ in range(repeat):
        floor.append(_sample(FLOOR))
        mine.append(_sample(statement))
    wall = statistics.median(w for w, _ in mine)
    cpu = statistics.median(c for _, c in mine)
    floor_wall = statistics.median(w for w, _ in floor)
    floor_cpu = statistics.median(c for _, c in floor)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "floor_wall_s": round(floor_wall, 3),
        "floor_cpu_s": round(floor_cpu, 3),
        "ratio_wall": round(wall / floor_wall, 3),
        "ratio_cpu": round(cpu / floor_cpu, 3),
    }


def _asset_bytes() -> int:
    total = 0
    for folder in ("clarion", "lambdas"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                total += path.stat().st_size
    return total


def _bytecode_caches() -> list[Path]:
    """Bytecode caches under ``clarion/`` and ``lambdas/`` (left by a test run, say):
    the asset ships none, so a cached module would be timed without its compile."""
    return sorted(
        path for folder in ("clarion", "lambdas") for path in (ROOT / folder).rglob("__pycache__")
    )


def main(argv: list[str]) -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--repeat", type=int, default=5)
    args = options.parse_args(argv)
    caches = _bytecode_caches()
    if caches:
        print(
            f"warning: {len(caches)} __pycache__ folders under clarion/ and lambdas/; the "
            "Lambda asset has none, so the figures leave out those modules' compile time "
            "(remove them first: find clarion lambdas -name __pycache__ -exec rm -r {} +)",
            file=sys.stderr,
        )
    handlers = sorted(p.parent.name for p in (ROOT / "lambdas").glob("*/handler.py"))
    bare = _time_import("pass", args.repeat)
    floor = _time_import(FLOOR, args.repeat)
    pydantic_floor = _paired(WITH_PYDANTIC, args.repeat)
    print(
        f"{'(baseline + pydantic)':24s} {pydantic_floor['wall_s']:.3f} s wall "
        f"({pydantic_floor['ratio_wall']:.2f}x), {pydantic_floor['cpu_s']:.3f} s CPU "
        f"({pydantic_floor['ratio_cpu']:.2f}x the baseline)",
        flush=True,
    )
    timings: dict[str, float] = {}
    paired: dict[str, dict[str, float]] = {}
    for name in handlers:
        paired[name] = _paired(f"import lambdas.{name}.handler", args.repeat)
        timings[name] = paired[name]["wall_s"]
        figures = paired[name]
        print(
            f"{name:24s} {figures['wall_s']:.3f} s wall ({figures['ratio_wall']:.2f}x), "
            f"{figures['cpu_s']:.3f} s CPU ({figures['ratio_cpu']:.2f}x the baseline)",
            flush=True,
        )
    worst = max(paired, key=lambda n: paired[n]["ratio_cpu"])
    result: dict[str, object] = {
        "bare_interpreter_s": round(bare, 3),
        "powertools_and_boto3_s": round(floor, 3),
        "with_pydantic_and_one_model": pydantic_floor,
        "handlers_s": timings,
        "handlers": paired,
        "worst_ratio_cpu": {"handler": worst, "ratio": paired[worst]["ratio_cpu"]},
        "goal": "every handler at most 1.2x the Powertools-and-boto3 baseline",
        "asset_bytes": _asset_bytes(),
        "bytecode_caches": len(caches),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "handler_import.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
