"""What a Lambda handler's import leaves out: the libraries no AWS cold path needs.

Each handler module is imported in a fresh interpreter, as a cold start does, on the aws
backend; the modules it loaded are then looked up. sqlglot (the local backend's
transpiler), DuckDB and pyarrow (the local backend), email_validator (only when an
address needs a full check) and typer (the CLI) must not be among them, nor the
campaigns, segments, messages and template models (which the ports name for types
only), nor Powertools' Parser. Timing is bench/bench_handler_import.py's job; this is
behaviour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent.name for p in (ROOT / "lambdas").glob("*/handler.py"))
NOT_ON_A_COLD_PATH = ("sqlglot", "duckdb", "pyarrow", "email_validator", "typer")
# The campaigns, segments, messages and template models (the template engine among them):
# a port names them for types only, so no handler's import loads them.
MODELS_NO_IMPORT_NEEDS = (
    "clarion.domain.campaigns.model",
    "clarion.domain.segments.model",
    "clarion.domain.messaging.direct",
    "clarion.domain.templates.engine",
)


def _loaded_after_import(handler: str) -> set[str]:
    code = (
        "import json, sys\n"
        f"import lambdas.{handler}.handler\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "CLARION_BACKEND": "aws",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def _packages(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_every_handler_is_checked() -> None:
    assert {"api", "campaign_start", "ingest_events", "score_posts"} <= set(HANDLERS)


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_handler_import_leaves_out_what_no_aws_cold_path_needs(handler: str) -> None:
    loaded = _loaded_after_import(handler)

    assert "clarion" in _packages(loaded)  # the import did happen
    assert not _packages(loaded) & set(NOT_ON_A_COLD_PATH)
    assert not loaded & set(MODELS_NO_IMPORT_NEEDS)
    # parse_event validates with the model itself (tests/unit/test_parse_event.py).
    assert "aws_lambda_powertools.utilities.parser" not in loaded


def test_the_posts_stream_consumer_leaves_out_the_events_ingestion() -> None:
    # The posts stream's consumer reads stream records, not events: the ingestion
    # pipeline stays out of the score_posts function's first invocation.
    code = (
        "import json, sys\n"
        "import clarion.services.sentiment.stream\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout.splitlines()[-1]))

    assert "clarion.services.sentiment.stream" in loaded
    assert "clarion.services.events.ingest" not in loaded
