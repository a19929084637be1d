"""The Handlebars runtime: a parsed template compiled to closures and rendered
against one endpoint, with name lookup, blocks, partials, the helper registry and the
warnings a render collects (nothing raises at render time)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clarion.domain.templates.engine.parser import (
    Block,
    CallExpr,
    Expr,
    LiteralExpr,
    Mustache,
    Node,
    PartialRef,
    PathExpr,
    head_name,
    parse_template,
)
from clarion.domain.templates.engine.values import HTML_ESCAPES, as_text, is_empty, is_truthy

MAX_EACH_ITEMS = 15
MAX_PARTIAL_DEPTH = 10


# --------------------------------------------------------------------------- runtime


class RenderState:
    """What one render of one template part needs besides the template."""

    __slots__ = ("escape", "now", "partial_depth", "root", "timezone", "variables", "warnings")

    def __init__(
        self,
        root: Any,
        variables: Mapping[str, Any] | None,
        escape: bool,
        now: datetime | None,
        timezone: str | None,
        warnings: list[str],
    ) -> None:
        self.root = root
        self.variables = variables
        self.escape = escape
        self.now = now
        self.timezone = timezone
        self.warnings = warnings
        self.partial_depth = 0

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


class _Scope:
    """One level of context: the value ``this`` names, its parent, @data variables."""

    __slots__ = ("data", "parent", "value")

    def __init__(self, value: Any, parent: _Scope | None, data: dict[str, Any] | None) -> None:
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


_Evaluator = Callable[[_Scope, RenderState], Any]
_Renderer = Callable[[_Scope, RenderState], str]


@dataclass(slots=True)
class HelperCall:
    """What a helper receives: evaluated arguments, and for a block its branches.

    Attributes
    ----------
    name : str
        The helper's name.
    params : list
        Positional arguments, evaluated.
    hash : dict
        ``key=value`` arguments, evaluated.
    raw_params, raw_hash :
        The source text of each argument; helpers such as ``now`` take an unquoted
        time zone (``tz=America/Los_Angeles``), which reads as a path.
    is_block : bool
        Whether called as ``{{#name}}``.
    """

    name: str
    params: list[Any]
    hash: dict[str, Any]
    raw_params: list[str]
    raw_hash: dict[str, str]
    scope: _Scope
    state: RenderState
    is_block: bool = False
    program: Callable[[_Scope], str] | None = None
    inverse_program: Callable[[_Scope], str] | None = None

    def fn(self, value: Any, data: dict[str, Any] | None = None) -> str:
        if self.program is None:
            return ""
        return self.program(_Scope(value, self.scope, data))

    def inverse(self) -> str:
        if self.inverse_program is None:
            return ""
        return self.inverse_program(self.scope)

    def fn_this(self) -> str:
        return self.program(self.scope) if self.program is not None else ""

    def param(self, index: int, default: Any = None) -> Any:
        return self.params[index] if index < len(self.params) else default

    def literal_or_value(self, value: Any, raw: str | None) -> Any:
        """The value, or when an unquoted word resolved to nothing, the word itself."""
        if value is None and raw is not None and not raw.startswith(("@", ".")):
            return raw
        return value


Helper = Callable[[HelperCall], Any]


class _Compiler:
    def __init__(self, defaults: Mapping[str, str], partials: dict[str, list[Node]]) -> None:
        self.defaults = defaults
        self.partial_sources = partials
        self.partials: dict[str, _Renderer] = {}

    # ---- programs

    def program(self, nodes: Sequence[Node]) -> _Renderer:
        parts: list[str | _Renderer] = []
        for node in nodes:
            if isinstance(node, str):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += node
                else:
                    parts.append(node)
            elif isinstance(node, Mustache):
                parts.append(self.mustache(node))
            elif isinstance(node, Block):
                parts.append(self.block(node))
            else:
                parts.append(self.partial(node))
        items = tuple(parts)
        if len(items) == 1 and isinstance(items[0], str):
            constant = items[0]
            return lambda scope, state: constant
        if not items:
            return lambda scope, state: ""

        def render(scope: _Scope, state: RenderState) -> str:
            return "".join([p if p.__class__ is str else p(scope, state) for p in items])  # type: ignore[operator]

        return render

    def compile_partials(self) -> None:
        for name, nodes in self.partial_sources.items():
            self.partials[name] = self.program(nodes)

    # ---- expressions

    def expr(self, node: Expr) -> _Evaluator:
        if isinstance(node, LiteralExpr):
            constant = node.value
            return lambda scope, state: constant
        if isinstance(node, PathExpr):
            if node.is_simple_name and node.segments[0] in HELPERS:
                return self.helper_call(CallExpr(node, (), (), node.raw), None)
            return self.path(node)
        return self.call(node)

    def path(self, node: PathExpr) -> _Evaluator:
        segments = node.segments
        depth = node.depth
        key = node.raw
        base_key = re.sub(r"(?:\.\[\d+\])+$", "", key)
        default = self.defaults.get(key, self.defaults.get(base_key))
        lookup_keys = (key,) if base_key == key else (key, base_key)

        if node.data:
            name = segments[0] if segments else ""
            rest = segments[1:]

            def data(scope: _Scope, state: RenderState) -> Any:
                if name == "root":
                    value = state.root
                else:
                    for _ in range(depth):
                        scope = scope.parent or scope
                    value = scope.data.get(name) if scope.data else None
                for segment in rest:
                    value = child_value(value, segment)
                return value

            return data

        def lookup(scope: _Scope, state: RenderState) -> Any:
            for _ in range(depth):
                scope = scope.parent or scope
            value = scope.value
            for segment in segments:
                # Endpoints are plain dicts: skip the slower generic lookup for them.
                value = value.get(segment) if type(value) is dict else child_value(value, segment)
                if value is None:
                    break
            if value is None or value == "" or (type(value) is list and is_empty(value)):
                variables = state.variables
                if variables:
                    for candidate in lookup_keys:
                        found = variables.get(candidate)
                        if found is not None and not is_empty(found):
                            return found
                if default is not None:
                    return default
            return value

        return lookup

    def call(self, node: CallExpr) -> _Evaluator:
        head = node.head
        if isinstance(head, LiteralExpr):
            if node.params or node.hash:
                return self.unknown_helper(head.raw)
            constant = head.value
            return lambda scope, state: constant
        if head.is_simple_name and (head.segments[0] in HELPERS or node.params or node.hash):
            return self.helper_call(node, None)
        if node.params or node.hash:
            return self.unknown_helper(head.raw)
        return self.path(head)

    def unknown_helper(self, name: str) -> _Evaluator:
        message = f"unknown helper {name!r}: rendered empty"

        def missing(scope: _Scope, state: RenderState) -> Any:
            state.warn(message)
            return None

        return missing

    def helper_call(
        self,
        node: CallExpr,
        block: tuple[_Renderer | None, _Renderer | None] | None,
    ) -> _Evaluator:
        name = head_name(node)
        function = HELPERS.get(name)
        if function is None:
            return self.unknown_helper(name)
        params = tuple(self.expr(p) for p in node.params)
        hash_args = tuple((k, self.expr(v)) for k, v in node.hash)
        raw_params = [p.raw for p in node.params]
        raw_hash = {k: v.raw for k, v in node.hash}
        program, inverse = block if block is not None else (None, None)
        is_block = block is not None

        def invoke(scope: _Scope, state: RenderState) -> Any:
            call = HelperCall(
                name,
                [p(scope, state) for p in params],
                {k: v(scope, state) for k, v in hash_args},
                raw_params,
                raw_hash,
                scope,
                state,
                is_block,
                (lambda s: program(s, state)) if program is not None else None,
                (lambda s: inverse(s, state)) if inverse is not None else None,
            )
            return function(call)

        return invoke

    # ---- nodes

    def mustache(self, node: Mustache) -> _Renderer:
        evaluate = self.call(node.call)
        escape = node.escape
        source = node.call.raw

        def render(scope: _Scope, state: RenderState) -> str:
            try:
                value = evaluate(scope, state)
                if value.__class__ is list and len(value) == 1:
                    value = value[0]  # the common case: a one-value attribute
                text = value if value.__class__ is str else as_text(value)
            except Exception as exc:  # a send must never fail on one bad expression
                state.warn(f"{{{{{source}}}}}: {exc}; rendered empty")
                return ""
            if escape and state.escape:
                return text.translate(HTML_ESCAPES)
            return text

        return render

    def block(self, node: Block) -> _Renderer:
        program = self.program(node.program)
        inverse = self.program(node.inverse) if node.inverse is not None else None
        source = node.call.raw
        call = node.call
        head = call.head
        if node.inverted:
            value = self.call(call)

            def inverted(scope: _Scope, state: RenderState) -> str:
                if is_truthy(value(scope, state)):
                    return inverse(scope, state) if inverse is not None else ""
                return program(scope, state)

            return self._guard(inverted, source)
        if isinstance(head, PathExpr) and head.is_simple_name and head.segments[0] in HELPERS:
            invoke = self.helper_call(call, (program, inverse))

            def helper_block(scope: _Scope, state: RenderState) -> str:
                return as_text(invoke(scope, state))

            return self._guard(helper_block, source)
        if call.params or call.hash:
            missing = self.unknown_helper(head.raw)

            def unknown(scope: _Scope, state: RenderState) -> str:
                missing(scope, state)
                return ""

            return unknown
        value = self.call(call)

        def section(scope: _Scope, state: RenderState) -> str:
            # A block named after a value: iterate a list, enter an object, test the rest.
            current = value(scope, state)
            if type(current) is list:
                if not current:
                    return inverse(scope, state) if inverse is not None else ""
                return render_items(current, scope, state, program, source)
            if not is_truthy(current):
                return inverse(scope, state) if inverse is not None else ""
            if current is True:
                return program(scope, state)
            return program(_Scope(current, scope, None), state)

        return self._guard(section, source)

    def partial(self, node: PartialRef) -> _Renderer:
        call = node.call
        head = call.head
        name = str(head.value) if isinstance(head, LiteralExpr) else head.raw
        context = self.expr(call.params[0]) if call.params else None
        overrides = tuple((k, self.expr(v)) for k, v in call.hash)
        partials = self.partials

        def render(scope: _Scope, state: RenderState) -> str:
            body = partials.get(name)
            if body is None:
                state.warn(f"unknown partial {name!r}: rendered empty")
                return ""
            if state.partial_depth >= MAX_PARTIAL_DEPTH:
                state.warn(f"partial {name!r} nests deeper than {MAX_PARTIAL_DEPTH}")
                return ""
            target = context(scope, state) if context is not None else scope.value
            if overrides:
                base = dict(target) if isinstance(target, Mapping) else {}
                base.update({k: v(scope, state) for k, v in overrides})
                target = base
            state.partial_depth += 1
            try:
                return body(_Scope(target, scope, scope.data), state)
            finally:
                state.partial_depth -= 1

        return render

    @staticmethod
    def _guard(render: _Renderer, source: str) -> _Renderer:
        def guarded(scope: _Scope, state: RenderState) -> str:
            try:
                return render(scope, state)
            except RecursionError:
                state.warn(f"{{{{#{source}}}}}: nested too deeply; rendered empty")
                return ""
            except Exception as exc:  # a send must never fail on one bad block
                state.warn(f"{{{{#{source}}}}}: {exc}; rendered empty")
                return ""

        return guarded


def render_items(
    items: Iterable[Any] | Mapping[str, Any],
    scope: _Scope,
    state: RenderState,
    program: _Renderer,
    source: str,
) -> str:
    """``program`` rendered once per item (a mapping's values, with ``@key``), with
    ``@index``, ``@first`` and ``@last`` set; at most MAX_EACH_ITEMS items, as Pinpoint,
    with a warning naming ``source`` when there were more."""
    pairs: list[tuple[Any, Any]] = (
        list(items.items()) if isinstance(items, Mapping) else [(None, item) for item in items]
    )
    if len(pairs) > MAX_EACH_ITEMS:
        state.warn(
            f"{{{{#{source}}}}}: {len(pairs)} items; Pinpoint iterates at most "
            f"{MAX_EACH_ITEMS}, the rest were left out"
        )
        pairs = pairs[:MAX_EACH_ITEMS]
    last = len(pairs) - 1
    out = []
    for index, (key, item) in enumerate(pairs):
        data = {"index": index, "first": index == 0, "last": index == last}
        if key is not None:
            data["key"] = key
        out.append(program(_Scope(item, scope, data), state))
    return "".join(out)


# --------------------------------------------------------------------------- compiled parts


class CompiledPart:
    """One template part (a subject, an HTML body...) compiled for fast rendering."""

    __slots__ = ("_render", "source")

    def __init__(self, source: str, defaults: Mapping[str, str] | None = None) -> None:
        self.source = source
        nodes, inline = parse_template(source)
        compiler = _Compiler(defaults or {}, inline)
        compiler.compile_partials()
        self._render = compiler.program(nodes)

    def render(
        self,
        context: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        escape: bool = False,
        now: datetime | None = None,
        warnings: list[str] | None = None,
    ) -> str:
        """Render against ``context`` (an endpoint in Pinpoint JSON).

        Parameters
        ----------
        context : Mapping
            The root of variable paths.
        variables : Mapping, optional
            Message variables by variable path; they fill values the context lacks.
        escape : bool
            HTML-escape ``{{value}}`` output (email HTML only).
        now : datetime, optional
            The time ``now`` prints (UTC when naive); the current time by default.
        warnings : list, optional
            Receives one message per problem met; rendering itself never raises.
        """
        sink = warnings if warnings is not None else []
        state = RenderState(context, variables, escape, now, endpoint_timezone(context), sink)
        return self.render_in(state)

    def render_in(self, state: RenderState) -> str:
        """Render with a state shared by the parts of one message (warnings collect in
        it); never raises."""
        try:
            return self._render(_Scope(state.root, None, None), state)
        except RecursionError:
            state.warn("template nests too deeply; rendered empty")
            return ""


def check_syntax(source: str) -> None:
    """Raise :class:`TemplateSyntaxError` when ``source`` is not valid template syntax."""
    parse_template(source)


def endpoint_timezone(context: Any) -> str | None:
    """The endpoint's ``Demographic.Timezone``, when it names one."""
    if isinstance(context, Mapping):
        demographic = context.get("Demographic")
        if isinstance(demographic, Mapping):
            zone = demographic.get("Timezone")
            return zone if isinstance(zone, str) else None
    return None


# --------------------------------------------------------------------------- helpers

HELPERS: dict[str, Helper] = {}


def helper(*names: str) -> Callable[[Helper], Helper]:
    """Register the decorated function as the helper called by each of ``names``."""

    def register(function: Helper) -> Helper:
        for name in names:
            HELPERS[name] = function
        return function

    return register
