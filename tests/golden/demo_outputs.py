"""Runs the steps of ``demo/run.sh`` with ``--json`` and returns their outputs, normalised.

The golden test compares them with ``demo_outputs.json``: a move or refactor of the
package must leave every command's JSON output unchanged. What legitimately varies from
run to run is replaced by placeholders: random ids (``<id-N>``, numbered by first
appearance, so the same id keeps the same token), timestamps, dates and the home folder.

Run ``python -m tests.golden.demo_outputs --write`` to record the golden file again
(only when an output is meant to change, and say why in the commit).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"
GOLDEN = Path(__file__).with_name("demo_outputs.json")

_HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Churn model ids carry their as-of day (the demo's is relative to today).
_MODEL_DAY = re.compile(r"\bchurn-\d{8}-")
_EPOCH_MS = re.compile(r"^1[5-9]\d{11}$")


# The ``clarion`` console script, run with ``uuid.uuid4`` drawn from a seeded generator so
# that ids, and everything that hashes them (treatment assignment, holdouts), repeat.
_SEEDED_CLI = """
import random, sys, uuid
from importlib.metadata import entry_points
_draw = random.Random(int(sys.argv.pop(1)))
uuid.uuid4 = lambda: uuid.UUID(int=_draw.getrandbits(128), version=4)
(main,) = [e for e in entry_points(group="console_scripts") if e.name == "clarion"]
sys.argv[0] = "clarion"
main.load()()
"""


class DemoRun:
    """One run of the demo's steps in a fresh home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.work = home / "demo"
        self.work.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "CLARION_HOME": str(home), "CLARION_BACKEND": "local"}
        self.outputs: list[tuple[str, Any]] = []
        self.calls: list[tuple[str, ...]] = []

    def run(self, *args: str, record: str | None = None) -> Any:
        seed = str(len(self.calls))
        self.calls.append(args)
        done = subprocess.run(
            [sys.executable, "-c", _SEEDED_CLI, seed, "--json", *args],
            env=self.env,
            cwd=self.work,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"clarion {' '.join(args)} failed:\n{done.stderr}")
        text = done.stdout.strip()
        try:
            value: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            value = text.splitlines()
        if record:
            self.outputs.append((record, value))
        return value

    def steps(self) -> list[tuple[str, Any]]:
        work = self.work
        self.run(
            "endpoints",
            "sample",
            "--count",
            "1000",
            "--bad-rows",
            "3",
            "--out",
            str(work / "customers.csv"),
        )
        imported = self.run(
            "endpoints",
            "import",
            str(work / "customers.csv"),
            "--segment",
            "customers",
            record="endpoints import",
        )
        refined_file = work / "refined-segment.json"
        refined_file.write_text(
            (DEMO / "refined-segment.json")
            .read_text(encoding="utf-8")
            .replace("${IMPORTED_SEGMENT_ID}", imported["segment_id"]),
            encoding="utf-8",
        )
        refined = self.run("segments", "create", str(refined_file), record="segments create")["id"]
        self.run("segments", "preview", refined, record="segments preview")
        members = self.run("segments", "members", refined, record="segments members")
        self.run("segments", "get", refined, record="segments get")
        self.run("templates", "create", str(DEMO / "template.json"), record="templates create")
        self.run(
            "templates",
            "render",
            "whitepaper-email",
            "--endpoint",
            members[0],
            record="templates render",
        )
        campaign_file = work / "campaign.json"
        campaign_file.write_text(
            (DEMO / "campaign.json").read_text(encoding="utf-8").replace("${SEGMENT_ID}", refined),
            encoding="utf-8",
        )
        campaign = self.run("campaigns", "create", str(campaign_file), record="campaigns create")[
            "id"
        ]
        self.run("campaigns", "launch", campaign, record="campaigns launch")
        runs = self.run("campaigns", "runs", campaign, record="campaigns runs")
        emails = sorted((self.home / "outbox" / "email").glob("*.eml"))
        self.outputs.append(("outbox emails", len(emails)))
        ses_events = work / "ses-events.jsonl"
        subprocess.run(
            [
                sys.executable,
                str(DEMO / "simulate_engagement.py"),
                str(self.home / "outbox"),
                str(ses_events),
            ],
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.run("events", "ingest", str(ses_events), "--source", "ses", record="events ingest")
        # Event counts before the simulated purchases: those spread over ten days, so
        # their counts per UTC day would depend on the hour the test runs.
        self.run("analytics", "events", record="analytics events")
        members_file = work / "members.txt"
        members_file.write_text("\n".join(members) + "\n", encoding="utf-8")
        runs_file = work / "runs.json"
        runs_file.write_text(json.dumps(runs), encoding="utf-8")
        subprocess.run(
            [
                sys.executable,
                str(DEMO / "simulate_purchases.py"),
                str(self.home / "outbox"),
                str(members_file),
                str(runs_file),
                str(ses_events),
                str(work / "purchases"),
            ],
            env=self.env,
            check=True,
            capture_output=True,
        )
        for body in sorted((work / "purchases").glob("purchases-*.json")):
            self.run("events", "put", str(body), record=f"events put {body.name}")
        self.run("analytics", "campaign", campaign, record="analytics campaign")
        self.run("campaigns", "launch", campaign, record="campaigns launch again")
        self.run("campaigns", "runs", campaign, record="campaigns runs again")
        self.run(
            "endpoints",
            "import",
            str(DEMO / "social_handles.ndjson"),
            record="endpoints import handles",
        )
        for template in sorted((DEMO / "templates").glob("social-*.json")):
            self.run(
                "templates", "create", str(template), record=f"templates create {template.name}"
            )
        rules = str(DEMO / "sentiment_rules.yaml")
        self.run(
            "sentiment",
            "ingest",
            str(DEMO / "social_posts.jsonl"),
            "--rules",
            rules,
            record="sentiment ingest",
        )
        self.run("sentiment", "report", "--rules", rules, record="sentiment report")
        negative = self.run(
            "segments",
            "create",
            str(DEMO / "sentiment-segment.json"),
            record="segments create sentiment",
        )["id"]
        self.run("segments", "preview", negative, record="segments preview sentiment")
        self.run("churn", "demo", "--customers", "1500", record="churn demo")
        self.run("churn", "report", record="churn report")
        return self.outputs


class _Normaliser:
    def __init__(self, home: Path) -> None:
        self.home = str(home)
        self.ids: dict[str, str] = {}

    def _id(self, match: re.Match[str]) -> str:
        return self.ids.setdefault(match.group(0), f"<id-{len(self.ids) + 1}>")

    def text(self, value: str) -> str:
        value = value.replace(self.home, "<home>")
        value = _HEX_ID.sub(self._id, value)
        value = _ISO_TIME.sub("<time>", value)
        value = _MODEL_DAY.sub("churn-<day>-", value)
        return _DATE.sub("<date>", value)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {self.text(str(k)): self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return "<ms>" if _EPOCH_MS.match(str(value)) else value
        if isinstance(value, float):
            return round(value, 4)
        return value


def demo_outputs(home: Path) -> dict[str, Any]:
    """The normalised JSON outputs of every demo step, keyed by step."""
    outputs = DemoRun(home).steps()
    normalise = _Normaliser(home)
    return {name: normalise(value) for name, value in outputs}


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = demo_outputs(Path(folder) / "home")
    text = json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if "--write" in sys.argv:
        GOLDEN.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
