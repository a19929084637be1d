"""The import and layout rules of ARCHITECTURE.md, enforced on the source tree.

Each rule is a function over a project root that returns its violations, so that every
rule is checked twice: on this project (no violations) and on a small tree made to
break it (the rule must see the break).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FEATURES = frozenset(
    {
        "audience",
        "segments",
        "templates",
        "messaging",
        "campaigns",
        "journeys",
        "events",
        "analytics",
        "churn",
        "sentiment",
        "cost",
        "common",
    }
)
# Layers whose features are folders; the ports are one module per feature.
FEATURE_FOLDER_LAYERS = (
    "clarion/domain",
    "clarion/services",
    "clarion/adapters/local",
    "clarion/adapters/aws",
)
PORTS_LAYER = "clarion/ports"
# What services may import of the product: the domain, the ports, other services, and
# the data files every layer reads (``clarion.resources``: SQL, contracts, rules).
SERVICE_IMPORTS = ("clarion.domain", "clarion.ports", "clarion.services", "clarion.resources")
ENTRYPOINTS = ("clarion/entrypoints", "lambdas")
# The development kit and the tests never ship in the Lambda asset: only the CLI and the
# local bootstrap may use them, and only from inside a function, so that importing any
# product module never needs them. (The test doubles import as ``fakes``: tests/ is on the
# path when the tests run.)
DEVELOPMENT_ONLY = {"clarion_devkit", "tests", "fakes"}
DEVELOPMENT_ONLY_USERS = ("clarion/entrypoints/cli/", "clarion/bootstrap/local.py")
# Where each library may be imported (in clarion/ and lambdas/). pyarrow builds the
# Arrow tables the local backend bulk-loads into DuckDB and reads back; it is not in
# the Lambda runtime (lambdas/requirements.txt), so it stays with the local adapters.
LIBRARY_HOMES = {
    "boto3": "clarion/adapters/aws/",
    "botocore": "clarion/adapters/aws/",
    "duckdb": "clarion/adapters/local/",
    "pyarrow": "clarion/adapters/local/",
}
# Modules outside a library's home that may still import it, each with its reason.
LIBRARY_EXCEPTIONS = {
    # The API reads botocore's pinpoint service model (routes, shapes, validation):
    # the description of the API, not a client; nothing else of the API imports it.
    "botocore": ("clarion/entrypoints/api/model.py",),
}
MAX_MODULE_LINES = 800
# A longer module says why in its docstring, in a sentence naming this.
LONG_MODULE_REASON = f"{MAX_MODULE_LINES} lines"
PUBLIC_FACE_LAYERS = ("clarion/domain", "clarion/services", "clarion/ports")

IO_LIBRARIES = {"boto3", "botocore", "duckdb", "aws_lambda_powertools", "typer", "rich", "pyarrow"}


# -- reading the source -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Import:
    """One imported name: ``module`` for ``import module``; for ``from module import
    name``, both ``module`` and ``module.name`` (which may be a submodule)."""

    name: str
    line: int
    lazy: bool  # inside a function: runs when called, not when the module is imported


def _parse(path: Path) -> ast.Module:
    return _parse_source(path, path.read_text(encoding="utf-8"))


@cache
def _parse_source(path: Path, source: str) -> ast.Module:
    # Several rules read the same modules: parse each text once.
    return ast.parse(source, filename=str(path))


def _import_nodes(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, and whether it sits inside a function."""

    def visit(
        node: ast.AST, in_function: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from visit(child, inside)

    yield from visit(tree, False)


def _all_imports(path: Path) -> list[Import]:
    found = []
    for node, lazy in _import_nodes(_parse(path)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno, lazy) for alias in node.names]
        elif node.module and node.level == 0:
            found.append(Import(node.module, node.lineno, lazy))
            found += [
                Import(f"{node.module}.{alias.name}", node.lineno, lazy) for alias in node.names
            ]
    return found


def _imports(path: Path) -> set[str]:
    return {item.name for item in _all_imports(path)}


def _modules(folder: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / folder).rglob("*.py"))


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _top(name: str) -> str:
    return name.split(".")[0]


def _violations(
    folder: str, forbidden: set[str], *, prefixes: tuple[str, ...] = (), root: Path = ROOT
) -> list[str]:
    found = []
    for path in _modules(folder, root):
        for name in sorted(_imports(path)):
            if _top(name) in forbidden or name.startswith(prefixes):
                found.append(f"{_relative(path, root)} imports {name}")
    return found


def _is_within(name: str, packages: Iterable[str]) -> bool:
    return any(name == package or name.startswith(f"{package}.") for package in packages)


# -- the rules ----------------------------------------------------------------------------


def layout_violations(root: Path = ROOT) -> list[str]:
    """Folders (and loose modules) of the feature layers that are not a listed feature."""
    found = []
    for layer in FEATURE_FOLDER_LAYERS:
        for entry in sorted((root / layer).iterdir()):
            if entry.name == "__pycache__" or entry.name == "__init__.py":
                continue
            if entry.is_dir() and entry.name not in FEATURES:
                found.append(f"{layer}/{entry.name} is not a feature")
            elif entry.is_file() and entry.suffix == ".py":
                found.append(f"{layer}/{entry.name} is outside every feature folder")
    for entry in sorted((root / PORTS_LAYER).iterdir()):
        if entry.name == "__pycache__" or entry.name == "__init__.py":
            continue
        if entry.is_dir():
            found.append(f"{PORTS_LAYER}/{entry.name} is a folder: ports are one module a feature")
        elif entry.suffix == ".py" and entry.stem not in FEATURES:
            found.append(f"{PORTS_LAYER}/{entry.name} is not a feature")
    return found


def service_import_violations(root: Path = ROOT) -> list[str]:
    """Product modules services import that are not domain, ports, services or resources."""
    return [
        f"{_relative(path, root)}:{item.line} imports {item.name}"
        for path in _modules("clarion/services", root)
        for item in _all_imports(path)
        if _is_within(item.name, ["clarion"])
        and item.name != "clarion"
        and not _is_within(item.name, SERVICE_IMPORTS)
    ]


def entrypoint_adapter_violations(root: Path = ROOT) -> list[str]:
    """Entrypoints (CLI, Lambda handlers) that import an adapter instead of a service."""
    return [
        f"{_relative(path, root)}:{item.line} imports {item.name}"
        for folder in ENTRYPOINTS
        for path in _modules(folder, root)
        for item in _all_imports(path)
        if _is_within(item.name, ["clarion.adapters"])
    ]


def development_only_violations(root: Path = ROOT) -> list[str]:
    """Product modules that import the development kit or the tests, or import them at
    module level where they may."""
    found = []
    for path in _modules("clarion", root):
        where = _relative(path, root)
        may_use = where.startswith(DEVELOPMENT_ONLY_USERS)
        for item in _all_imports(path):
            if _top(item.name) not in DEVELOPMENT_ONLY:
                continue
            if not may_use:
                found.append(f"{where}:{item.line} imports {item.name}")
            elif not item.lazy:
                found.append(f"{where}:{item.line} imports {item.name} at module level")
    return found


def library_home_violations(library: str, root: Path = ROOT) -> list[str]:
    """Modules of clarion/ and lambdas/ outside the library's home that import it."""
    home = LIBRARY_HOMES[library]
    return [
        f"{_relative(path, root)}:{item.line} imports {item.name}"
        for folder in ("clarion", "lambdas")
        for path in _modules(folder, root)
        if not _relative(path, root).startswith(home)
        and _relative(path, root) not in LIBRARY_EXCEPTIONS.get(library, ())
        for item in _all_imports(path)
        if _top(item.name) == library
    ]


def relative_import_violations(root: Path = ROOT) -> list[str]:
    """Relative imports (the rules read absolute ones, and the project writes those)."""
    return [
        f"{_relative(path, root)}:{node.lineno} imports relatively"
        for folder in ("clarion", "lambdas")
        for path in _modules(folder, root)
        for node, _ in _import_nodes(_parse(path))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runs_at_import(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported: those at module level and in class
    bodies, outside functions and ``if TYPE_CHECKING:`` blocks."""

    def visit(statements: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
        for statement in statements:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                yield statement
            elif isinstance(statement, ast.If):
                test = statement.test
                type_checking = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                    isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
                )
                if not type_checking:
                    yield from visit(statement.body)
                yield from visit(statement.orelse)
            elif isinstance(statement, ast.Try):
                for block in (statement.body, statement.orelse, statement.finalbody):
                    yield from visit(block)
                for handler in statement.handlers:
                    yield from visit(handler.body)
            elif isinstance(statement, ast.With | ast.ClassDef):
                yield from visit(statement.body)  # a class body runs at import; methods do not

    yield from visit(tree.body)


def import_graph(root: Path = ROOT, package: str = "clarion") -> dict[str, set[str]]:
    """Module -> the product modules it imports when it is imported."""
    paths = {_module_name(path, root): path for path in _modules(package, root)}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets: set[str] = set()
        for node in _runs_at_import(_parse(path)):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name in paths}
            elif node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if submodule in paths:
                        targets.add(submodule)
                    elif node.module in paths:
                        targets.add(node.module)
        graph[module] = targets - {module}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def import_cycles(root: Path = ROOT) -> list[str]:
    """Each group of product modules that import one another in a cycle, named."""
    return [
        "import cycle: " + " <-> ".join(component)
        for component in strongly_connected(import_graph(root))
        if len(component) > 1
    ]


def long_module_violations(root: Path = ROOT) -> list[str]:
    """Product modules over the line limit whose docstring does not say why."""
    found = []
    for path in _modules("clarion", root):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines <= MAX_MODULE_LINES:
            continue
        docstring = ast.get_docstring(_parse(path)) or ""
        if LONG_MODULE_REASON not in docstring:
            found.append(
                f"{_relative(path, root)} has {lines} lines and its docstring does not say "
                f"why it is over {LONG_MODULE_REASON}"
            )
    return found


def _defines_all(tree: ast.Module) -> bool:
    for statement in tree.body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            return True
    return False


def public_face_violations(root: Path = ROOT) -> list[str]:
    """Package ``__init__.py`` files of the domain, services and ports without ``__all__``."""
    return [
        f"{_relative(path, root)} does not define __all__"
        for layer in PUBLIC_FACE_LAYERS
        for path in sorted((root / layer).rglob("__init__.py"))
        if not _defines_all(_parse(path))
    ]


# -- the rules, on this project -----------------------------------------------------------


def test_domain_imports_no_io_library() -> None:
    assert _violations("clarion/domain", IO_LIBRARIES) == []


def test_domain_imports_nothing_outside_the_domain() -> None:
    bad = _violations(
        "clarion/domain",
        set(),
        prefixes=(
            "clarion.services",
            "clarion.adapters",
            "clarion.entrypoints",
            "clarion.bootstrap",
        ),
    )
    assert bad == []


def test_services_never_import_adapters_or_io_libraries() -> None:
    bad = _violations(
        "clarion/services",
        IO_LIBRARIES,
        prefixes=("clarion.adapters", "clarion.entrypoints", "clarion.bootstrap"),
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


def test_every_layer_holds_only_the_listed_features() -> None:
    assert layout_violations() == []


def test_services_import_only_the_domain_the_ports_and_other_services() -> None:
    assert service_import_violations() == []


def test_entrypoints_reach_adapters_only_through_the_bootstrap() -> None:
    assert entrypoint_adapter_violations() == []


def test_devkit_and_tests_only_lazily_in_the_cli_and_local_bootstrap() -> None:
    assert development_only_violations() == []


@pytest.mark.parametrize("library", sorted(LIBRARY_HOMES))
def test_each_library_is_imported_only_in_its_home(library: str) -> None:
    assert library_home_violations(library) == []


def test_imports_are_absolute() -> None:
    assert relative_import_violations() == []


def test_no_import_cycle_among_product_modules() -> None:
    graph = import_graph()
    assert "clarion.domain.templates.compiled" in graph  # the graph covers the product
    assert import_cycles() == []


def test_no_module_is_over_the_line_limit_without_saying_why() -> None:
    assert long_module_violations() == []


def test_domain_services_and_ports_packages_state_their_public_face() -> None:
    assert public_face_violations() == []


# -- each rule catches a violation --------------------------------------------------------


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    # The checker itself must be able to fail.
    sample = tmp_path / "bad.py"
    sample.write_text("import duckdb\nfrom boto3 import client\n")
    assert {"duckdb", "boto3"} <= _imports(sample)


def _write(root: Path, files: dict[str, str]) -> Path:
    """A small project tree: ``{"clarion/x.py": source}``; empty ``__init__.py`` files
    and the layers' folders are added."""
    for folder in (*FEATURE_FOLDER_LAYERS, PORTS_LAYER, "clarion/entrypoints", "lambdas"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for directory in [p for p in root.rglob("*") if p.is_dir()]:
        init = directory / "__init__.py"
        if not init.exists():
            init.write_text('"""A package."""\n\n__all__: list[str] = []\n', encoding="utf-8")
    return root


def test_the_layout_rule_catches_a_folder_outside_the_features(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "clarion/domain/audience/endpoint.py": "",
            "clarion/services/billing/service.py": "",
            "clarion/adapters/aws/helpers.py": "",
            "clarion/ports/audience.py": "",
            "clarion/ports/billing.py": "",
            "clarion/ports/extra/thing.py": "",
        },
    )
    assert layout_violations(root) == [
        "clarion/services/billing is not a feature",
        "clarion/adapters/aws/helpers.py is outside every feature folder",
        "clarion/ports/billing.py is not a feature",
        "clarion/ports/extra is a folder: ports are one module a feature",
    ]


def test_the_service_rule_catches_an_adapter_bootstrap_or_entrypoint_import(
    tmp_path: Path,
) -> None:
    root = _write(
        tmp_path,
        {
            "clarion/services/audience/service.py": (
                "from clarion.domain.audience import Endpoint\n"
                "from clarion.ports import ProfileStore\n"
                "from clarion.resources import read_text\n"
                "from clarion.adapters.local.audience import LocalProfileStore\n"
                "from clarion import bootstrap\n"
                "def later():\n"
                "    import clarion.entrypoints.cli\n"
            ),
        },
    )
    assert service_import_violations(root) == [
        "clarion/services/audience/service.py:4 imports clarion.adapters.local.audience",
        "clarion/services/audience/service.py:4 imports "
        "clarion.adapters.local.audience.LocalProfileStore",
        "clarion/services/audience/service.py:5 imports clarion.bootstrap",
        "clarion/services/audience/service.py:7 imports clarion.entrypoints.cli",
    ]


def test_the_entrypoint_rule_catches_an_adapter_import(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "lambdas/feed/handler.py": "from clarion.bootstrap import Bootstrap\n"
            "from clarion.adapters.aws.common.clients import make_client\n",
            "clarion/entrypoints/cli/main.py": "def run():\n    from clarion import adapters\n",
        },
    )
    assert entrypoint_adapter_violations(root) == [
        "clarion/entrypoints/cli/main.py:2 imports clarion.adapters",
        "lambdas/feed/handler.py:2 imports clarion.adapters.aws.common.clients",
        "lambdas/feed/handler.py:2 imports clarion.adapters.aws.common.clients.make_client",
    ]


def test_the_development_only_rule_catches_eager_and_misplaced_imports(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            # allowed: lazily, in the CLI and the local bootstrap
            "clarion/entrypoints/cli/endpoints.py": "def sample():\n"
            "    from clarion_devkit.samples import customers\n",
            "clarion/bootstrap/local.py": "class Local:\n    def simulator(self):\n"
            "        import clarion_devkit\n",
            # not allowed: at module level there, or anywhere else at all
            "clarion/entrypoints/cli/churn.py": "import clarion_devkit.samples\n",
            "clarion/bootstrap/aws.py": "def f():\n    from tests.fakes import thing\n",
            "clarion/domain/churn/model.py": "from clarion_devkit import reference\n",
            "clarion/services/sentiment/service.py": "import fakes.comprehend\n",
        },
    )
    assert development_only_violations(root) == [
        "clarion/bootstrap/aws.py:2 imports tests.fakes",
        "clarion/bootstrap/aws.py:2 imports tests.fakes.thing",
        "clarion/domain/churn/model.py:1 imports clarion_devkit",
        "clarion/domain/churn/model.py:1 imports clarion_devkit.reference",
        "clarion/entrypoints/cli/churn.py:1 imports clarion_devkit.samples at module level",
        "clarion/services/sentiment/service.py:1 imports fakes.comprehend",
    ]


@pytest.mark.parametrize("library", sorted(LIBRARY_HOMES))
def test_the_library_rule_catches_an_import_outside_its_home(library: str, tmp_path: Path) -> None:
    home = LIBRARY_HOMES[library]
    root = _write(
        tmp_path,
        {
            f"{home}events/sink.py": f"import {library}\n",
            "clarion/bootstrap/aws.py": "from typing import TYPE_CHECKING\n"
            f"if TYPE_CHECKING:\n    from {library} import thing\n",
            "lambdas/job/handler.py": f"def handler():\n    import {library}.sub\n",
        },
    )
    assert library_home_violations(library, root) == [
        f"clarion/bootstrap/aws.py:3 imports {library}",
        f"clarion/bootstrap/aws.py:3 imports {library}.thing",
        f"lambdas/job/handler.py:2 imports {library}.sub",
    ]


def test_the_absolute_import_rule_catches_a_relative_import(tmp_path: Path) -> None:
    root = _write(tmp_path, {"clarion/domain/audience/rows.py": "from .endpoint import Endpoint\n"})
    assert relative_import_violations(root) == [
        "clarion/domain/audience/rows.py:1 imports relatively"
    ]


def test_the_cycle_rule_names_the_modules_of_a_cycle(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "clarion/domain/audience/a.py": "from clarion.domain.audience.b import thing\n",
            "clarion/domain/audience/b.py": "from clarion.domain.audience import c\n",
            "clarion/domain/audience/c.py": "import clarion.domain.audience.a\n",
            # not cycles: a lazy import, a type-only import, a module importing itself
            "clarion/domain/audience/d.py": "from typing import TYPE_CHECKING\n"
            "import clarion.domain.audience.a\n"
            "if TYPE_CHECKING:\n    from clarion.domain.audience.e import E\n",
            "clarion/domain/audience/e.py": "import clarion.domain.audience.e\n"
            "def f():\n    import clarion.domain.audience.d\n",
        },
    )
    graph = import_graph(root)
    assert graph["clarion.domain.audience.b"] == {"clarion.domain.audience.c"}
    assert graph["clarion.domain.audience.d"] == {"clarion.domain.audience.a"}
    assert import_cycles(root) == [
        "import cycle: clarion.domain.audience.a <-> clarion.domain.audience.b <-> "
        "clarion.domain.audience.c"
    ]


def test_the_line_limit_rule_catches_a_long_module_that_does_not_say_why(
    tmp_path: Path,
) -> None:
    body = "x = 1\n" * MAX_MODULE_LINES
    root = _write(
        tmp_path,
        {
            "clarion/domain/events/long.py": f'"""Records."""\n{body}',
            "clarion/domain/events/explained.py": (
                f'"""Records.\n\nOne table of every code, over {LONG_MODULE_REASON} because '
                f'splitting it would scatter the table."""\n{body}'
            ),
            "clarion/domain/events/short.py": '"""Short."""\n' + "x = 1\n" * 10,
        },
    )
    assert long_module_violations(root) == [
        f"clarion/domain/events/long.py has {MAX_MODULE_LINES + 1} lines and its docstring "
        f"does not say why it is over {LONG_MODULE_REASON}"
    ]


def test_the_public_face_rule_catches_a_package_without_all(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "clarion/services/churn/__init__.py": '"""Churn."""\n',
            "clarion/ports/__init__.py": "from clarion.ports.churn import X\n__all__ = ['X']\n",
            "clarion/domain/churn/__init__.py": "__all__: list[str] = ['y']\n",
        },
    )
    assert public_face_violations(root) == [
        "clarion/services/churn/__init__.py does not define __all__"
    ]
