"""The churn services without a simulator, and where the development kit may be
imported: the runtime never imports it, the local bootstrap only when a history is
simulated, and on AWS (no simulator) asking to simulate says so before anything is
written or sent."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clarion.adapters.local.churn.model_store import FileChurnModelStore
from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import AwsSettings, Settings
from clarion.services.churn import ChurnService, SimulationUnavailableError
from clarion.services.churn.pipeline import sagemaker_job_name

ROOT = Path(__file__).resolve().parents[2]
DEVKIT = "clarion_devkit"
# Who may provide the simulator, and only inside a function (on first use).
MAY_IMPORT_THE_DEVKIT = ("clarion/bootstrap/local.py", "clarion/entrypoints/cli/")


def _imported_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _devkit_imports(nodes: list[ast.stmt] | ast.AST) -> list[int]:
    """Line numbers of the imports of the devkit in a tree (or in these statements)."""
    tops = nodes if isinstance(nodes, list) else [nodes]
    walked = [node for top in tops for node in ast.walk(top)]
    return [
        node.lineno
        for node in walked
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(name.split(".")[0] == DEVKIT for name in _imported_modules(node))
    ]


def test_runtime_code_never_imports_the_devkit() -> None:
    offenders = []
    for folder in ("clarion", "lambdas"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if not name.startswith(MAY_IMPORT_THE_DEVKIT):
                offenders += [f"{name}:{line}" for line in _devkit_imports(tree)]
                continue
            # Allowed here, lazily only: never at module level.
            module_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            offenders += [f"{name}:{line} (module level)" for line in _devkit_imports(module_level)]
    assert offenders == []
    # The check itself can fail.
    assert _devkit_imports(ast.parse("from clarion_devkit.samples import churn_history")) == [1]


def test_the_local_bootstrap_imports_the_devkit_only_to_simulate(tmp_path: Path) -> None:
    script = f"""
import sys
from datetime import date, timedelta
from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings

from pathlib import Path
boot = Bootstrap(Settings().with_overrides(backend="local", home=Path({str(tmp_path)!r})))
service = boot.churn_service
service.refresh_segment()
assert not any(m.startswith("{DEVKIT}") for m in sys.modules), "imported before simulating"
service.simulate(20, 30, 1, date.today() - timedelta(days=1))
assert "{DEVKIT}.samples.churn_simulator" in sys.modules
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


class RecordingLauncher:
    """A campaign engine that records what it was asked to do."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def ensure_templates(self) -> list[str]:
        self.calls.append("ensure_templates")
        return []

    def create_and_launch(self, request: Any, now: datetime) -> tuple[str, str]:
        self.calls.append("create_and_launch")
        return "campaign-1", "run-1"


class RefusingStore:
    """Any store: the test fails if the service touches it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} called")


def _service_without_simulator(tmp_path: Path, launcher: RecordingLauncher) -> ChurnService:
    store: Any = RefusingStore()
    return ChurnService(
        store,
        store,
        FileChurnModelStore(tmp_path),
        store,
        events=store,
        launcher=launcher,
        simulator=lambda: None,
    )


def test_simulating_without_a_simulator_says_so_and_writes_nothing(tmp_path: Path) -> None:
    service = _service_without_simulator(tmp_path, RecordingLauncher())

    with pytest.raises(SimulationUnavailableError, match="no behaviour simulator"):
        service.simulate(100)
    assert service.history.population() is None


def test_the_retention_response_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    launcher = RecordingLauncher()
    service = _service_without_simulator(tmp_path, launcher)

    with pytest.raises(SimulationUnavailableError):
        service.launch_retention(simulate_response=True)
    assert launcher.calls == []


def test_without_a_simulator_a_simulated_history_has_no_oracle(tmp_path: Path) -> None:
    service = _service_without_simulator(tmp_path, RecordingLauncher())
    FileChurnModelStore(tmp_path).put_document(
        "simulation", {"customers": 10, "days": 60, "seed": 0, "end": "2026-11-05T00:00:00+00:00"}
    )

    assert service.history.true_churn_probabilities(["sim-0000001"], datetime.now(UTC)) is None


def test_on_aws_there_is_no_simulator(aws_credentials: None) -> None:
    boot = Bootstrap(Settings(backend="aws", aws=AwsSettings(region="us-east-1")))

    assert boot.adapters.churn_simulator is None
    with pytest.raises(SimulationUnavailableError, match="--backend local"):
        boot.churn_service.simulate(100)


def test_the_pipeline_steps_say_they_run_on_aws(tmp_path: Path) -> None:
    pipeline = Bootstrap(Settings().with_overrides(backend="local", home=tmp_path)).churn_pipeline

    with pytest.raises(RuntimeError, match="runs on AWS"):
        pipeline.start_features_query(datetime.now(UTC).date(), ["score"])
    with pytest.raises(RuntimeError, match="runs on AWS"):
        pipeline.start_training("churn-train-x", "s3://b/t", "s3://b/m")


@pytest.mark.parametrize(
    ("run_id", "expected"),
    [
        ("daily-2026-12-03", "churn-score-daily-2026-12-03"),
        ("exec:1/2 3", "churn-score-exec-1-2-3"),
        ("x" * 80, ("churn-score-" + "x" * 80)[:63]),
        ("a" * 50 + "_" * 30, "churn-score-" + "a" * 50),
    ],
)
def test_job_names_are_what_sagemaker_accepts(run_id: str, expected: str) -> None:
    name = sagemaker_job_name("churn-score", run_id)

    assert name == expected
    assert len(name) <= 63 and not name.endswith("-")
