"""The name resolution Clarion's template engine had before handlebars.java's: a path
is looked up in the block's own context only (``../`` and ``@root`` to reach others),
and ``@index`` and the other @data names only in the block that set them.

Kept as a reference for the property tests: where this resolution finds every name, the
engine's (``clarion.domain.templates.engine.lookup.enclosing_contexts``) must render the
same text. ``missing`` counts the names it found no value for, so a test can keep to
templates where it found them all.
"""

from __future__ import annotations

from typing import Any

from clarion.domain.templates.engine.lookup import Lookup, Scope, child_value
from clarion.domain.templates.engine.parser import PathExpr


class BlockLocalResolution:
    """A ``Resolution`` for ``CompiledPart(..., resolution=...)``: block-local lookup,
    counting the lookups that found nothing in ``misses``."""

    def __init__(self) -> None:
        self.misses = 0

    def __call__(self, path: PathExpr) -> Lookup:
        segments = path.segments
        depth = path.depth

        if path.data:
            name = segments[0] if segments else ""

            def data(scope: Scope, root: Any) -> Any:
                if name == "root":
                    value = root
                else:
                    for _ in range(depth):
                        scope = scope.parent or scope
                    value = scope.data.get(name) if scope.data else None
                for segment in segments[1:]:
                    value = child_value(value, segment)
                return self._seen(value)

            return data

        def lookup(scope: Scope, root: Any) -> Any:
            for _ in range(depth):
                scope = scope.parent or scope
            value = scope.value
            for segment in segments:
                value = child_value(value, segment)
                if value is None:
                    break
            return self._seen(value)

        return lookup

    def _seen(self, value: Any) -> Any:
        if value is None:
            self.misses += 1
        return value
