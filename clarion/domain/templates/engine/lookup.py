"""Name lookup: the context stack a render walks, and how a path resolves against it.

handlebars.java (the engine behind Pinpoint's templates) looks a name up in the current
context and, when it is not there, in each enclosing context out to the root. The
nearest context holding the path's *first* segment wins and the rest of the path is
read from there (the Mustache spec's "context precedence": a nearer ``User`` that lacks
``UserAttributes`` does not fall through to the root's). ``this.name`` and ``./name``
stay in the current context; ``../name`` starts one context out and then falls back
like any name. ``@index``, ``@key``, ``@first`` and ``@last`` are the nearest block's
(a ``with`` inside an ``each`` still sees the item's ``@index``); ``@root`` is the
endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from clarion.domain.templates.engine.parser import PathExpr


class Scope:
    """One level of context: the value ``this`` names, its parent (the enclosing
    context), and @data variables (``@index``, ``@key``...)."""

    __slots__ = ("data", "parent", "value")

    def __init__(self, value: Any, parent: Scope | None, data: dict[str, Any] | None) -> None:
        self.value = value
        self.parent = parent
        self.data = data


def child_value(value: Any, segment: str) -> Any:
    """The field ``segment`` of an object, the item at index ``segment`` of a list, or a
    list's ``length``; None when there is none."""
    kind = type(value)
    if kind is dict:
        return value.get(segment)
    if kind is list or kind is tuple:
        if segment.isdigit():
            index = int(segment)
            return value[index] if index < len(value) else None
        if segment == "length":
            return len(value)
        return None
    if isinstance(value, Mapping):
        return value.get(segment)
    return None


# A compiled lookup: the value of one path in a scope; the root is given for @root.
Lookup = Callable[[Scope, Any], Any]
# Builds the lookup of a path (the engine's own, or a reference model's in tests).
Resolution = Callable[[PathExpr], Lookup]


def enclosing_contexts(path: PathExpr) -> Lookup:
    """The lookup of ``path`` as handlebars.java resolves it (module docstring)."""
    segments = path.segments
    depth = path.depth
    if path.data:
        return _data_lookup(path)
    if not segments:  # this, ., ../

        def this(scope: Scope, root: Any) -> Any:
            for _ in range(depth):
                scope = scope.parent or scope
            return scope.value

        return this
    head, rest = segments[0], segments[1:]
    local = path.local

    def lookup(scope: Scope, root: Any) -> Any:
        for _ in range(depth):
            scope = scope.parent or scope
        value = scope.value
        # Endpoints are plain dicts: skip the slower generic lookup for them.
        found = value.get(head) if type(value) is dict else child_value(value, head)
        if found is None and not local:
            outer = scope.parent
            while outer is not None:
                value = outer.value
                found = value.get(head) if type(value) is dict else child_value(value, head)
                if found is not None:
                    break
                outer = outer.parent
        for segment in rest:
            if found is None:
                return None
            found = found.get(segment) if type(found) is dict else child_value(found, segment)
        return found

    return lookup


def _data_lookup(path: PathExpr) -> Lookup:
    segments = path.segments
    depth = path.depth
    name = segments[0] if segments else ""
    rest = segments[1:]

    def data(scope: Scope, root: Any) -> Any:
        if name == "root":
            value = root
        else:
            for _ in range(depth):
                scope = scope.parent or scope
            value = None
            current: Scope | None = scope
            while current is not None:
                if current.data and name in current.data:
                    value = current.data[name]
                    break
                current = current.parent
        for segment in rest:
            value = child_value(value, segment)
        return value

    return data
