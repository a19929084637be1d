"""Names a package exports, imported on first use (PEP 562).

A Lambda handler that imports one module of a package runs the package's
``__init__`` first; eager re-exports there would import every sibling module and the
models they build. Each package keeps its public face (``__all__``, and the names under
``TYPE_CHECKING`` for type checkers) and hands this module the map of where each name
lives. The standard library has no helper for this (``importlib.util.LazyLoader`` defers
whole modules, not names), so these few lines are written once here.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    homes: Mapping[str, str],
    names: Sequence[str],
    *,
    submodules: bool = True,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    homes
        Each exported name and the module that defines it.
    names
        The package's ``__all__`` (what ``dir()`` lists).
    submodules
        Whether an attribute that is not an exported name may be a submodule, as an
        eagerly imported package would have it.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)``, to assign at the package's top level.
    """

    def module_getattr(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            if submodules:
                try:
                    return importlib.import_module(f"{package}.{name}")
                except ModuleNotFoundError:
                    pass
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(home), name)
        # Later lookups find the name in the package itself, without this function.
        setattr(sys.modules[package], name, value)
        return value

    def module_dir() -> list[str]:
        return sorted(names)

    return module_getattr, module_dir
