"""What a template refers to, found without rendering it: every variable path (and the
endpoint field it reads, through blocks and partials, by the engine's own lookup rules),
every helper and every partial it calls, with the part, line and column of each.

The template lint (``lint``) checks these against what the project knows; the campaign
dry run counts, for the printed variables, the endpoints of a segment that lack them.

The endpoint's shape is Pinpoint's (the Endpoint model's fields): fixed fields, the
objects ``User``, ``Demographic`` and ``Location``, and the three maps whose names are
the project's own (``Attributes``, ``User.UserAttributes``, ``Metrics``). A name inside
a block is looked up as the engine does (``engine.lookup``): the innermost context
where it can exist wins; in a map that means a name some endpoint has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field

from clarion.domain.audience.endpoint import Demographic, Endpoint, EndpointUser, Location
from clarion.domain.templates.engine.lexer import position
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
from clarion.domain.templates.engine.runtime import HELPERS, WORD_ARGUMENTS


def _aliases(model: type[Endpoint | Demographic | Location | EndpointUser]) -> frozenset[str]:
    return frozenset(f.alias or name for name, f in model.model_fields.items())


# The endpoint's own fields, as Pinpoint's EndpointResponse names them.
ROOT_FIELDS = _aliases(Endpoint)
OBJECT_FIELDS: Mapping[tuple[str, ...], frozenset[str]] = {
    ("User",): _aliases(EndpointUser),
    ("Demographic",): _aliases(Demographic),
    ("Location",): _aliases(Location),
}
# Maps whose names are the project's (the per-project attribute-name registry).
MAPS = frozenset({("Attributes",), ("User", "UserAttributes"), ("Metrics",)})

# Helpers whose arguments are tested, not printed: a missing value there is handled.
TESTING_HELPERS = frozenset(
    {"if", "unless", "eq", "neq", "gt", "gte", "lt", "lte", "and", "or", "not", "yesno"}
    | {"each", "with", "lookup", "log"}
)
# Partials called inside themselves are followed this deep.
_MAX_PARTIAL_NESTING = 3
_INDEX = re.compile(r"(?:\.\[\d+\])+$")


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a template: the part (``HtmlPart``, ``Body``, ``GCM.Title``...) and the
    1-based line and column of the tag."""

    part: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.part} line {self.line}, column {self.column}"


@dataclass(frozen=True, slots=True)
class VariableUse:
    """One variable path as the template writes it.

    Attributes
    ----------
    written : str
        The path as written (``City``, ``User.UserAttributes.FirstName.[0]``).
    field : tuple of str, or None
        The endpoint field it reads (``("Location", "City")``), when it reads one.
    resolved : bool
        Whether the name is found somewhere (an endpoint field or attribute some
        endpoint has, a block's own value, a partial's hash argument); False when it
        can only come from a message variable or a default.
    scopes : tuple of tuple of str
        The endpoint objects (innermost first) the name was looked for in, for
        suggestions.
    printed : bool
        Printed (a mustache's value or a printing helper's argument), not only tested.
    guarded : bool
        Printed only inside a block that tests the same field (``{{#if X}}{{X}}``).
    has_default : bool
        The template's DefaultSubstitutions has an entry for it.
    """

    where: Where
    written: str
    field: tuple[str, ...] | None
    resolved: bool
    scopes: tuple[tuple[str, ...], ...]
    printed: bool
    guarded: bool
    has_default: bool

    @property
    def field_path(self) -> str | None:
        """The endpoint field as a variable path (``Location.City``), if any."""
        return _dotted(self.field) if self.field is not None else None


@dataclass(frozen=True, slots=True)
class HelperUse:
    """A call of something not a known helper: ``name`` as written."""

    where: Where
    name: str


@dataclass(frozen=True, slots=True)
class PartialUse:
    """A ``{{> name}}`` whose partial the template does not declare."""

    where: Where
    name: str
    declared: tuple[str, ...]


@dataclass
class References:
    """Everything a template refers to (see :func:`template_references`)."""

    variables: list[VariableUse] = field(default_factory=list)
    unknown_helpers: list[HelperUse] = field(default_factory=list)
    unknown_partials: list[PartialUse] = field(default_factory=list)


# --------------------------------------------------------------------------- scopes


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a context is, as far as the template tells: an endpoint object (``path``),
    a value (list items, text, numbers: ``value``), a partial's hash (``keys``, over
    ``base``), or something unknown."""

    path: tuple[str, ...] | None = None
    value: bool = False
    keys: frozenset[str] = frozenset()
    base: _Scope | None = None


_ROOT = _Scope(path=())
_VALUE = _Scope(value=True)
_UNKNOWN = _Scope()


def _dotted(segments: tuple[str, ...]) -> str:
    """A field as a variable path: ``Attributes.[Plan Name].[0]``."""
    return ".".join(
        f"[{s}]" if s.isdigit() or not re.fullmatch(r"[\w-]+", s) else s for s in segments
    )


def field_name(field: tuple[str, ...]) -> str:
    """A field's name as the attribute-name registry writes it: dotted, no brackets
    (``Attributes.Plan Name``), without list indexes."""
    while field and field[-1].isdigit():
        field = field[:-1]
    return ".".join(field)


class _Walker:
    def __init__(
        self,
        part: str,
        source: str,
        partials: Mapping[str, list[Node]],
        known: Set[str],
        defaults: Set[str],
        out: References,
    ) -> None:
        self.part = part
        self.source = source
        self.partials = partials
        self.known = known
        self.defaults = defaults
        self.out = out
        self.called: set[str] = set()
        self.partial_depth = 0

    def where(self, offset: int) -> Where:
        line, column = position(self.source, offset)
        return Where(self.part, line, column)

    # ---- the endpoint's shape

    def exists(self, path: tuple[str, ...], name: str) -> bool:
        """Whether field ``name`` can exist in the endpoint object at ``path``."""
        if path == ():
            return name in ROOT_FIELDS
        if path in OBJECT_FIELDS:
            return name in OBJECT_FIELDS[path]
        if path in MAPS:
            return field_name((*path, name)) in self.known
        return False

    def scope_of(self, found: tuple[str, ...] | None, resolved: bool, iterate: bool) -> _Scope:
        """The context a block enters for a value at endpoint field ``found``: an object
        (``with``, a section), or its items (``each``)."""
        if found is None:
            return _VALUE if resolved else _UNKNOWN
        if found == () or found in OBJECT_FIELDS or found in MAPS:
            return _VALUE if iterate else _Scope(path=found)
        return _VALUE

    # ---- lookup

    def resolve(
        self, path: PathExpr, stack: list[_Scope]
    ) -> tuple[tuple[str, ...] | None, bool, tuple[tuple[str, ...], ...]]:
        """(endpoint field read, whether the name is found at all, objects searched)."""
        segments = path.segments
        if path.data:
            if segments and segments[0] == "root":
                rest = segments[1:]
                return (rest, True, ((),)) if rest else (None, True, ())
            return None, True, ()  # @index, @key...: a block's own
        if not segments:
            return None, True, ()  # this
        scopes = stack[: max(1, len(stack) - path.depth)]
        searched: list[tuple[str, ...]] = []
        order = [scopes[-1]] if path.local else list(reversed(scopes))
        head = segments[0]
        for scope in order:
            while scope.keys:
                if head in scope.keys:
                    return None, True, tuple(searched)
                scope = scope.base or _UNKNOWN
            if scope.path is not None:
                searched.append(scope.path)
                if self.exists(scope.path, head):
                    return (*scope.path, *segments), True, tuple(searched)
            elif scope.value:
                if head == "length" or head.isdigit():
                    return None, True, tuple(searched)
            else:
                return None, True, tuple(searched)  # unknown: it may be there
        return None, False, tuple(searched)

    # ---- the tree

    def nodes(self, nodes: list[Node], stack: list[_Scope], guards: frozenset[str]) -> None:
        for node in nodes:
            if isinstance(node, Mustache):
                self.call(node.call, stack, guards, printed=True, offset=node.offset)
            elif isinstance(node, Block):
                self.block(node, stack, guards)
            elif isinstance(node, PartialRef):
                self.partial(node, stack, guards)

    def variable(
        self,
        path: PathExpr,
        stack: list[_Scope],
        guards: frozenset[str],
        printed: bool,
        offset: int,
    ) -> tuple[tuple[str, ...] | None, bool]:
        found, resolved, searched = self.resolve(path, stack)
        if not path.segments or (path.data and path.segments[0] != "root"):
            return found, resolved
        base = _INDEX.sub("", path.raw)
        field_path = _dotted(found) if found is not None else None
        guarded = field_path is not None and _INDEX.sub("", field_path) in guards
        self.out.variables.append(
            VariableUse(
                where=self.where(offset),
                written=path.raw,
                field=found,
                resolved=resolved,
                scopes=searched,
                printed=printed,
                guarded=guarded,
                has_default=path.raw in self.defaults or base in self.defaults,
            )
        )
        return found, resolved

    def expr(
        self, node: Expr, stack: list[_Scope], guards: frozenset[str], printed: bool, offset: int
    ) -> None:
        if isinstance(node, LiteralExpr):
            return
        if isinstance(node, PathExpr):
            if node.is_simple_name and node.segments[0] in HELPERS:
                return  # a helper called without arguments (``{{now}}``)
            self.variable(node, stack, guards, printed, offset)
            return
        self.call(node, stack, guards, printed, offset)

    def call(
        self,
        node: CallExpr,
        stack: list[_Scope],
        guards: frozenset[str],
        printed: bool,
        offset: int,
    ) -> None:
        head = node.head
        if isinstance(head, LiteralExpr):
            return
        is_helper = head.is_simple_name and head.segments[0] in HELPERS
        if not is_helper and not (node.params or node.hash):
            self.variable(head, stack, guards, printed, offset)
            return
        name = head_name(node)
        if not is_helper:
            # Reported as such; its arguments are most often the rest of a mistyped path.
            self.out.unknown_helpers.append(HelperUse(self.where(offset), name))
            return
        words, word_keys = WORD_ARGUMENTS.get(name, (frozenset(), frozenset()))
        prints = printed and name not in TESTING_HELPERS
        for index, param in enumerate(node.params):
            if index not in words:
                self.expr(param, stack, guards, prints, offset)
        for key, value in node.hash:
            if key not in word_keys:
                self.expr(value, stack, guards, prints, offset)

    def block(self, node: Block, stack: list[_Scope], guards: frozenset[str]) -> None:
        call = node.call
        head = call.head
        name = node.name
        tested: tuple[str, ...] | None = None
        resolved = True
        if isinstance(head, PathExpr) and head.is_simple_name and name in HELPERS:
            self.call(call, stack, guards, printed=False, offset=node.offset)
            target = call.params[0] if call.params else None
            if isinstance(target, PathExpr):
                tested, resolved = self.resolve(target, stack)[:2]
        elif isinstance(head, PathExpr) and not (call.params or call.hash):
            tested, resolved = self.variable(head, stack, guards, False, node.offset)
            name = "section"
        else:
            self.call(call, stack, guards, printed=False, offset=node.offset)
            return
        tested_path = _INDEX.sub("", _dotted(tested)) if tested else None
        inner = stack
        program_guards = inverse_guards = guards
        if name in ("with", "each", "section") and not node.inverted:
            inner = [*stack, self.scope_of(tested, resolved, iterate=name != "with")]
        if tested_path is not None:
            if node.inverted or name == "unless":
                inverse_guards = guards | {tested_path}
            elif name in ("if", "with", "each", "section"):
                program_guards = guards | {tested_path}
        self.nodes(node.program, inner, program_guards)
        if node.inverse is not None:
            self.nodes(node.inverse, stack, inverse_guards)

    def partial(self, node: PartialRef, stack: list[_Scope], guards: frozenset[str]) -> None:
        call = node.call
        head = call.head
        name = str(head.value) if isinstance(head, LiteralExpr) else head.raw
        body = self.partials.get(name)
        for key_value in call.hash:
            self.expr(key_value[1], stack, guards, False, node.offset)
        if body is None:
            self.out.unknown_partials.append(
                PartialUse(self.where(node.offset), name, tuple(self.partials))
            )
            return
        target = stack[-1]
        if call.params:
            param = call.params[0]
            if isinstance(param, PathExpr):
                found, resolved = self.variable(param, stack, guards, False, node.offset)
                target = self.scope_of(found, resolved, iterate=False)
            else:
                target = _UNKNOWN
        if call.hash:
            target = _Scope(keys=frozenset(k for k, _ in call.hash), base=target)
        if self.partial_depth >= _MAX_PARTIAL_NESTING:
            return
        self.called.add(name)
        self.partial_depth += 1
        try:
            self.nodes(body, [*stack, target], guards)
        finally:
            self.partial_depth -= 1


def part_references(
    part: str,
    source: str,
    known: Set[str],
    defaults: Set[str] = frozenset(),
    out: References | None = None,
) -> References:
    """The references of one template part (its Handlebars text).

    Parameters
    ----------
    part : str
        The part's field path (``HtmlPart``), for the places reported.
    source : str
        The part's text (valid syntax: templates are checked at creation).
    known : set of str
        The project's attribute names (``Attributes.X``, ``User.UserAttributes.X``,
        ``Metrics.X``), which decide where a name inside a block resolves.
    defaults : set of str
        The DefaultSubstitutions keys.
    """
    references = out if out is not None else References()
    nodes, inline = parse_template(source)
    bodies = {name: partial.nodes for name, partial in inline.items()}
    walker = _Walker(part, source, bodies, known, defaults, references)
    walker.nodes(nodes, [_ROOT], frozenset())
    # A partial nobody calls is still checked, at the endpoint's level.
    for name, body in bodies.items():
        if name not in walker.called:
            walker.nodes(body, [_ROOT], frozenset())
    return references


def template_references(
    parts: list[tuple[str, str]], known: Set[str], defaults: Set[str] = frozenset()
) -> References:
    """The references of every part of a template (``syntax.template_parts``)."""
    references = References()
    for part, source in parts:
        part_references(part, source, known, defaults, references)
    return references


def iter_printed_fields(references: References) -> Iterator[VariableUse]:
    """The variables a message prints unguarded and without a default, that read an
    endpoint field: what goes blank on an endpoint without the field."""
    for use in references.variables:
        if use.printed and not use.guarded and not use.has_default and use.field is not None:
            yield use
