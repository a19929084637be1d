"""The packages that export names on first use (clarion.domain.common.lazy): every name
of ``__all__`` resolves to the object its home module defines, ``dir()`` lists them, and
an unknown name is an AttributeError, as with an eager package."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAZY = sorted(
    ".".join(path.relative_to(ROOT).parent.parts)
    for path in (ROOT / "clarion").rglob("__init__.py")
    if "lazy_exports(__name__" in path.read_text(encoding="utf-8")
)


def test_the_lazy_packages_are_found() -> None:
    assert {"clarion.ports", "clarion.domain.common", "clarion.services.events"} <= set(LAZY)


@pytest.mark.parametrize("name", LAZY)
def test_every_exported_name_resolves_to_its_home(name: str) -> None:
    package = importlib.import_module(name)
    homes = package._HOMES
    assert set(homes) == set(package.__all__), "every exported name has a home, and only those"
    for exported, home in homes.items():
        assert getattr(package, exported) is getattr(importlib.import_module(home), exported)
    assert dir(package) == sorted(package.__all__)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        package.not_a_name  # noqa: B018


def test_importing_a_package_imports_none_of_its_homes() -> None:
    # In a fresh interpreter: the package alone, then one name of it.
    script = (
        "import sys, clarion.domain.templates as t\n"
        "assert 'clarion.domain.templates.engine.runtime' not in sys.modules\n"
        "t.CompiledTemplate\n"
        "assert 'clarion.domain.templates.compiled' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)
