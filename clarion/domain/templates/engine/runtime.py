"""The Handlebars runtime: a parsed template compiled to closures and rendered
against one endpoint, with blocks, partials, the helper registry and the warnings a
render collects (nothing raises at render time). Name lookup is in ``lookup``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clarion.domain.templates.engine.lookup import (
    Resolution,
    Scope,
    enclosing_contexts,
)
from clarion.domain.templates.engine.parser import (
    Block,
    CallExpr,
    Expr,
    InlinePartial,
    LiteralExpr,
    Mustache,
    Node,
    PartialRef,
    PathExpr,
    head_name,
    indented_tokens,
    parse_template,
    parse_tokens,
)
from clarion.domain.templates.engine.values import HTML_ESCAPES, as_text, is_empty, is_truthy
from clarion.domain.templates.engine.warnings import RenderWarning, WarningKind

MAX_EACH_ITEMS = 15
MAX_PARTIAL_DEPTH = 10


# --------------------------------------------------------------------------- runtime


class RenderState:
    """What one render of one template part needs besides the template.

    ``missing`` collects the paths met without a value (no message variable, no
    default); the mustache that prints nothing because of them reports them.
    """

    __slots__ = (
        "escape",
        "missing",
        "now",
        "partial_depth",
        "root",
        "timezone",
        "variables",
        "warnings",
    )

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
        self.missing: list[str] = []

    def warn(self, kind: WarningKind, expression: str, message: str) -> None:
        """Note a problem, once per render (an ``each`` meets the same one per item)."""
        if message not in self.warnings:
            self.warnings.append(RenderWarning(message, kind, expression))


_Evaluator = Callable[[Scope, RenderState], Any]
_Renderer = Callable[[Scope, RenderState], str]


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
    scope: Scope
    state: RenderState
    is_block: bool = False
    program: Callable[[Scope], str] | None = None
    inverse_program: Callable[[Scope], str] | None = None

    def fn(self, value: Any, data: dict[str, Any] | None = None) -> str:
        if self.program is None:
            return ""
        return self.program(Scope(value, self.scope, data))

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
    def __init__(
        self,
        source: str,
        defaults: Mapping[str, str],
        partials: dict[str, InlinePartial],
        resolution: Resolution,
    ) -> None:
        self.source = source
        self.defaults = defaults
        self.partial_sources = partials
        self.resolution = resolution
        self.partials: dict[str, _Renderer] = {}
        # Partial bodies indented for a standalone reference, by (name, indent); made on
        # first use, so a template pays only for the indents it uses.
        self.indented: dict[tuple[str, str], _Renderer] = {}
        self.base_indent = ""

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

        def render(scope: Scope, state: RenderState) -> str:
            return "".join([p if p.__class__ is str else p(scope, state) for p in items])  # type: ignore[operator]

        return render

    def compile_partials(self) -> None:
        for name, partial in self.partial_sources.items():
            self.partials[name] = self.program(partial.nodes)

    def indented_partial(self, name: str, indent: str) -> _Renderer | None:
        """The partial ``name`` with ``indent`` before each of its lines (compiled once)."""
        key = (name, indent)
        found = self.indented.get(key)
        if found is None:
            partial = self.partial_sources.get(name)
            if partial is None:
                return None
            nodes, _ = parse_tokens(indented_tokens(partial.tokens, indent), self.source)
            outer, self.base_indent = self.base_indent, indent
            try:
                found = self.program(nodes)
            finally:
                self.base_indent = outer
            self.indented[key] = found
        return found

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
        find = self.resolution(node)
        key = node.raw
        base_key = re.sub(r"(?:\.\[\d+\])+$", "", key)
        default = self.defaults.get(key, self.defaults.get(base_key))
        lookup_keys = (key,) if base_key == key else (key, base_key)

        def lookup(scope: Scope, state: RenderState) -> Any:
            value = find(scope, state.root)
            if value is None or value == "" or (type(value) is list and is_empty(value)):
                variables = state.variables
                if variables:
                    for candidate in lookup_keys:
                        found = variables.get(candidate)
                        if found is not None and not is_empty(found):
                            return found
                if default is not None:
                    return default
                state.missing.append(key)
                return None  # missing or empty (["", ""] too): it renders empty
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

        def missing(scope: Scope, state: RenderState) -> Any:
            state.warn(WarningKind.UNKNOWN_HELPER, name, message)
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

        def invoke(scope: Scope, state: RenderState) -> Any:
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
        tag = f"{{{{{node.call.raw}}}}}"

        def render(scope: Scope, state: RenderState) -> str:
            missing = state.missing
            before = len(missing)
            try:
                value = evaluate(scope, state)
                if value.__class__ is list and len(value) == 1:
                    value = value[0]  # the common case: a one-value attribute
                text = value if value.__class__ is str else as_text(value)
            except Exception as exc:  # a send must never fail on one bad expression
                state.warn(WarningKind.HELPER_ERROR, tag, f"{tag}: {exc}; rendered empty")
                text = ""
            if len(missing) > before:
                # A name without a value made this print nothing: say which.
                if not text:
                    names = ", ".join(dict.fromkeys(missing[before:]))
                    state.warn(
                        WarningKind.MISSING_VALUE,
                        tag,
                        f"{tag}: no value for {names} and no default; rendered empty",
                    )
                del missing[before:]
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

            def inverted(scope: Scope, state: RenderState) -> str:
                if is_truthy(value(scope, state)):
                    return inverse(scope, state) if inverse is not None else ""
                return program(scope, state)

            return self._guard(inverted, source)
        if isinstance(head, PathExpr) and head.is_simple_name and head.segments[0] in HELPERS:
            invoke = self.helper_call(call, (program, inverse))

            def helper_block(scope: Scope, state: RenderState) -> str:
                return as_text(invoke(scope, state))

            return self._guard(helper_block, source)
        if call.params or call.hash:
            missing = self.unknown_helper(head.raw)

            def unknown(scope: Scope, state: RenderState) -> str:
                missing(scope, state)
                return ""

            return unknown
        value = self.call(call)

        def section(scope: Scope, state: RenderState) -> str:
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
            return program(Scope(current, scope, None), state)

        return self._guard(section, source)

    def partial(self, node: PartialRef) -> _Renderer:
        call = node.call
        head = call.head
        name = str(head.value) if isinstance(head, LiteralExpr) else head.raw
        context = self.expr(call.params[0]) if call.params else None
        overrides = tuple((k, self.expr(v)) for k, v in call.hash)
        indent = self.base_indent + node.indent if node.standalone else ""
        partials = self.partials
        tag = f"{{{{> {call.raw}}}}}"

        def render(scope: Scope, state: RenderState) -> str:
            body = self.indented_partial(name, indent) if indent else partials.get(name)
            if body is None:
                state.warn(
                    WarningKind.UNKNOWN_PARTIAL, tag, f"unknown partial {name!r}: rendered empty"
                )
                return ""
            if state.partial_depth >= MAX_PARTIAL_DEPTH:
                state.warn(
                    WarningKind.TOO_DEEP,
                    tag,
                    f"partial {name!r} nests deeper than {MAX_PARTIAL_DEPTH}",
                )
                return ""
            target = context(scope, state) if context is not None else scope.value
            if overrides:
                base = dict(target) if isinstance(target, Mapping) else {}
                base.update({k: v(scope, state) for k, v in overrides})
                target = base
            state.partial_depth += 1
            try:
                return body(Scope(target, scope, scope.data), state)
            finally:
                state.partial_depth -= 1

        return render

    @staticmethod
    def _guard(render: _Renderer, source: str) -> _Renderer:
        tag = f"{{{{#{source}}}}}"

        def guarded(scope: Scope, state: RenderState) -> str:
            missing = state.missing
            before = len(missing)
            try:
                return render(scope, state)
            except RecursionError:
                state.warn(WarningKind.TOO_DEEP, tag, f"{tag}: nested too deeply; rendered empty")
                return ""
            except Exception as exc:  # a send must never fail on one bad block
                state.warn(WarningKind.HELPER_ERROR, tag, f"{tag}: {exc}; rendered empty")
                return ""
            finally:
                # A block's condition may test a name that is missing: that is no warning.
                del missing[before:]

        return guarded


def render_items(
    items: Iterable[Any] | Mapping[str, Any],
    scope: Scope,
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
        tag = f"{{{{#{source}}}}}"
        state.warn(
            WarningKind.EACH_LIMIT,
            tag,
            f"{tag}: {len(pairs)} items; Pinpoint iterates at most "
            f"{MAX_EACH_ITEMS}, the rest were left out",
        )
        pairs = pairs[:MAX_EACH_ITEMS]
    last = len(pairs) - 1
    out = []
    for index, (key, item) in enumerate(pairs):
        data = {"index": index, "first": index == 0, "last": index == last}
        if key is not None:
            data["key"] = key
        out.append(program(Scope(item, scope, data), state))
    return "".join(out)


# --------------------------------------------------------------------------- compiled parts


class CompiledPart:
    """One template part (a subject, an HTML body...) compiled for fast rendering.

    Parameters
    ----------
    source : str
        The part's Handlebars text.
    defaults : Mapping, optional
        DefaultSubstitutions by variable path.
    resolution : callable, optional
        How a path is looked up (``lookup.Resolution``); handlebars.java's by default.
        Tests pass the reference model of an earlier resolution to compare against.

    Raises
    ------
    TemplateSyntaxError
        When ``source`` is not valid template syntax.
    """

    __slots__ = ("_render", "source")

    def __init__(
        self,
        source: str,
        defaults: Mapping[str, str] | None = None,
        *,
        resolution: Resolution = enclosing_contexts,
    ) -> None:
        self.source = source
        nodes, inline = parse_template(source)
        compiler = _Compiler(source, defaults or {}, inline, resolution)
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
            Receives one :class:`RenderWarning` per problem met; rendering itself never
            raises.
        """
        sink = warnings if warnings is not None else []
        state = RenderState(context, variables, escape, now, endpoint_timezone(context), sink)
        return self.render_in(state)

    def render_in(self, state: RenderState) -> str:
        """Render with a state shared by the parts of one message (warnings collect in
        it); never raises."""
        try:
            return self._render(Scope(state.root, None, None), state)
        except RecursionError:
            state.warn(WarningKind.TOO_DEEP, "", "template nests too deeply; rendered empty")
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
# Arguments a helper reads as a word when no value has that name (``inflect count apple
# apples``, ``tz=America/Los_Angeles``): positions and keys, by helper name. The template
# lint does not take them for variables.
WORD_ARGUMENTS: dict[str, tuple[frozenset[int], frozenset[str]]] = {}


def helper(
    *names: str, words: Iterable[int] = (), word_keys: Iterable[str] = ()
) -> Callable[[Helper], Helper]:
    """Register the decorated function as the helper called by each of ``names``;
    ``words`` and ``word_keys`` name the arguments it reads as words (WORD_ARGUMENTS)."""
    spec = (frozenset(words), frozenset(word_keys))

    def register(function: Helper) -> Helper:
        for name in names:
            HELPERS[name] = function
            if spec[0] or spec[1]:
                WORD_ARGUMENTS[name] = spec
        return function

    return register
