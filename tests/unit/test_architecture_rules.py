"""The import rules of ARCHITECTURE.md, enforced on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


def _violations(folder: str, forbidden: set[str], *, prefixes: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in _modules(folder):
        for name in _imports(path):
            if _top(name) in forbidden or name.startswith(prefixes):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


IO_LIBRARIES = {"boto3", "botocore", "duckdb", "aws_lambda_powertools", "typer", "rich", "pyarrow"}


def test_domain_imports_no_io_library() -> None:
    assert _violations("clarion/domain", IO_LIBRARIES) == []


def test_domain_imports_nothing_outside_the_domain() -> None:
    bad = _violations(
        "clarion/domain",
        set(),
        prefixes=("clarion.services", "clarion.adapters", "clarion.cli", "clarion.bootstrap"),
    )
    assert bad == []


def test_services_never_import_adapters_or_io_libraries() -> None:
    bad = _violations(
        "clarion/services",
        IO_LIBRARIES,
        prefixes=("clarion.adapters", "clarion.cli", "clarion.bootstrap"),
    )
    assert bad == []


@pytest.mark.parametrize(
    ("library", "home"), [("boto3", "clarion/adapters/aws"), ("duckdb", "clarion/adapters/local")]
)
def test_io_library_is_imported_only_in_its_adapter_package(library: str, home: str) -> None:
    offenders = []
    for folder in ("clarion", "lambdas"):
        for path in _modules(folder):
            if str(path.relative_to(ROOT)).startswith(home):
                continue
            if any(_top(name) == library for name in _imports(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_infra_never_imports_runtime_code() -> None:
    assert _violations("infra", {"clarion", "lambdas"}) == []
    assert [n for n in _imports(ROOT / "app.py") if _top(n) in {"clarion", "lambdas"}] == []


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    # The checker itself must be able to fail.
    sample = tmp_path / "bad.py"
    sample.write_text("import duckdb\nfrom boto3 import client\n")
    assert {"duckdb", "boto3"} <= _imports(sample)
