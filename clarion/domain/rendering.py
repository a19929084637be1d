"""Handlebars rendering of Pinpoint message templates.

Pinpoint templates are Handlebars (https://handlebarsjs.com) with the helpers listed in
Pinpoint's "Using message template helpers" guide, rendered against one endpoint in
Pinpoint JSON. This module is a small Handlebars engine with exactly those semantics:

* ``{{path}}`` is HTML-escaped in email HTML only; ``{{{path}}}`` and ``{{& path}}``
  never are. Subjects, text parts, SMS, push and voice are never escaped.
* Attribute values are lists. A one-element list renders as its element, a longer one
  as its elements joined by commas (what Handlebars.js prints for an array);
  ``.[0]`` takes the first element; ``[Plan Name]`` names a segment with spaces.
* A missing or empty value takes the message variable, then the template's
  DefaultSubstitutions entry, for the same variable path, else renders empty.
* Nothing raises at render time: an unknown helper, a helper given bad data, an
  unknown partial or an ``each`` over more than 15 items renders what it can (empty for
  a failed expression) and adds a warning to the result. Syntax errors are found when
  a template is compiled (at creation) and raised as :class:`TemplateSyntaxError`.

pybars4 was tried first and not used: its runtime raises on a missing nested value,
an out-of-range ``.[n]`` and an unknown helper (aborting the whole message), accepts an
unclosed ``{{#if}}`` silently, renders ``{{else if}}`` wrongly, rejects inline
partials, does not escape and prints lists as Python reprs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from clarion.domain.templates import TemplateVersion

MAX_EACH_ITEMS = 15
MAX_PARTIAL_DEPTH = 10
MAX_NUMBER_DECIMALS = 8

# --------------------------------------------------------------------------- errors


class TemplateSyntaxError(ValueError):
    """A template part is not valid Handlebars.

    Attributes
    ----------
    reason : str
        What is wrong.
    line, column : int
        Where, 1-based, in the part's source.
    """

    def __init__(self, reason: str, line: int, column: int) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(f"line {line}, column {column}: {reason}")


class _HelperError(Exception):
    """A helper could not produce a value from the data it was given."""


# --------------------------------------------------------------------------- lexer

_TEXT, _MUSTACHE, _RAW, _COMMENT, _OPEN, _INLINE, _INVERSE, _CLOSE, _ELSE, _PARTIAL = range(10)
# Tags that, alone on their line, take the whole line with them (Handlebars "standalone").
_STANDALONE_KINDS = frozenset({_COMMENT, _OPEN, _INLINE, _INVERSE, _CLOSE, _ELSE, _PARTIAL})


@dataclass(slots=True)
class _Token:
    kind: int
    text: str
    offset: int
    strip_before: bool = False
    strip_after: bool = False


def _position(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _syntax_error(source: str, offset: int, reason: str) -> TemplateSyntaxError:
    line, column = _position(source, offset)
    return TemplateSyntaxError(reason, line, column)


def _find_close(source: str, start: int, closer: str) -> int:
    """Offset of ``closer`` after ``start``, skipping [bracketed names] and quoted
    strings; -1 if none."""
    index = start
    length = len(source)
    while index < length:
        char = source[index]
        opens_string = char in "\"'" and (index == start or source[index - 1] in " \t\r\n(=")
        if char == "[" or opens_string:
            end = source.find("]" if char == "[" else char, index + 1)
            if end < 0:
                return -1
            index = end + 1
            continue
        if source.startswith(closer, index):
            return index
        index += 1
    return -1


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    text_start = 0
    pos = 0
    while True:
        opening = source.find("{{", pos)
        if opening < 0:
            break
        if opening > 0 and source[opening - 1] == "\\":
            # \{{ is a literal "{{" in Handlebars.
            if opening - 1 > text_start:
                tokens.append(_Token(_TEXT, source[text_start : opening - 1], text_start))
            text_start = opening
            pos = opening + 2
            continue
        if opening > text_start:
            tokens.append(_Token(_TEXT, source[text_start:opening], text_start))
        index = opening + 2
        strip_before = source.startswith("~", index)
        if strip_before:
            index += 1
        if source.startswith("!--", index):
            end = source.find("--", index + 3)
            while end >= 0 and not re.match(r"--~?\}\}", source[end:]):
                end = source.find("--", end + 1)
            if end < 0:
                raise _syntax_error(source, opening, "comment is not closed with --}}")
            close = source.find("}}", end)
            strip_after = source[close - 1] == "~"
            tokens.append(_Token(_COMMENT, "", opening, strip_before, strip_after))
            pos = close + 2
        elif source.startswith("{", index):
            match = re.compile(r"\}(~?)\}\}").search(source, index + 1)
            if match is None:
                raise _syntax_error(source, opening, "{{{ is not closed with }}}")
            inner = source[index + 1 : match.start()]
            tokens.append(_Token(_RAW, inner, opening, strip_before, bool(match.group(1))))
            pos = match.end()
        else:
            close = _find_close(source, index, "}}")
            if close < 0:
                raise _syntax_error(source, opening, "{{ is not closed with }}")
            inner = source[index:close]
            strip_after = inner.endswith("~")
            if strip_after:
                inner = inner[:-1]
            tokens.append(_classify(source, opening, inner, strip_before, strip_after))
            pos = close + 2
        text_start = pos
    if text_start < len(source):
        tokens.append(_Token(_TEXT, source[text_start:], text_start))
    _apply_whitespace_control(tokens)
    return tokens


def _classify(source: str, offset: int, inner: str, before: bool, after: bool) -> _Token:
    stripped = inner.strip()
    if not stripped:
        raise _syntax_error(source, offset, "empty {{ }}")
    lead = stripped[0]
    if lead == "!":
        return _Token(_COMMENT, "", offset, before, after)
    if lead == "&":
        return _Token(_RAW, stripped[1:], offset, before, after)
    if lead == "#":
        rest = stripped[1:].strip()
        if rest.startswith("*"):
            return _Token(_INLINE, rest[1:].strip(), offset, before, after)
        if rest.startswith(">"):
            raise _syntax_error(source, offset, "partial blocks ({{#> }}) are not supported")
        return _Token(_OPEN, rest, offset, before, after)
    if lead == "^":
        rest = stripped[1:].strip()
        kind = _ELSE if not rest else _INVERSE
        return _Token(kind, rest, offset, before, after)
    if lead == "/":
        return _Token(_CLOSE, stripped[1:].strip(), offset, before, after)
    if lead == ">":
        return _Token(_PARTIAL, stripped[1:].strip(), offset, before, after)
    if stripped == "else" or stripped.startswith(("else ", "else\t", "else\n")):
        return _Token(_ELSE, stripped[4:].strip(), offset, before, after)
    return _Token(_MUSTACHE, stripped, offset, before, after)


_LEADING_LINE_BREAK = re.compile(r"^[ \t]*(?:\r?\n|$)")
_LINE_BREAK_FIRST = re.compile(r"^[ \t]*\r?\n")


def _apply_whitespace_control(tokens: list[_Token]) -> None:
    # Decide which tags stand alone on their line from the source as written, then trim.
    standalone = [
        token.kind in _STANDALONE_KINDS and _is_standalone(tokens, index)
        for index, token in enumerate(tokens)
    ]
    for index, token in enumerate(tokens):
        if token.kind == _TEXT:
            continue
        before = tokens[index - 1] if index > 0 else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if standalone[index]:
            if before is not None:
                before.text = before.text[: before.text.rfind("\n") + 1]
            if after is not None:
                after.text = _LEADING_LINE_BREAK.sub("", after.text, count=1)
        if token.strip_before and before is not None and before.kind == _TEXT:
            before.text = before.text.rstrip()
        if token.strip_after and after is not None and after.kind == _TEXT:
            after.text = after.text.lstrip()


def _is_standalone(tokens: list[_Token], index: int) -> bool:
    before = tokens[index - 1] if index > 0 else None
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if before is not None:
        if before.kind != _TEXT:
            return False
        _, newline, tail = before.text.rpartition("\n")
        if tail.strip(" \t") or (not newline and index != 1):
            return False
    if after is None:
        return True
    if after.kind != _TEXT:
        return False
    if index + 2 == len(tokens) and not after.text.strip(" \t"):
        return True
    return _LINE_BREAK_FIRST.match(after.text) is not None


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class _Path:
    raw: str
    segments: tuple[str, ...]
    depth: int = 0
    data: bool = False  # @index, @root...

    @property
    def is_simple_name(self) -> bool:
        return not self.data and self.depth == 0 and len(self.segments) == 1


@dataclass(frozen=True, slots=True)
class _Literal:
    value: Any
    raw: str


@dataclass(frozen=True, slots=True)
class _Call:
    head: _Path | _Literal
    params: tuple[_Expr, ...]
    hash: tuple[tuple[str, _Expr], ...]
    raw: str


_Expr = _Path | _Literal | _Call

_EXPR_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<key>[A-Za-z_@][\w@-]*)=
    | (?P<path>(?:\[[^\]]*\]|[^\s()"'\[\]=])+)
    """,
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?$")
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "undefined": None}


class _ExprParser:
    def __init__(self, text: str, source: str, offset: int) -> None:
        self.source = source
        self.offset = offset
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _EXPR_TOKEN.match(text, pos)
            if match is None:
                raise self.error(f"unexpected {text[pos : pos + 10]!r}")
            kind = match.lastgroup or ""
            if kind != "space":
                value = match.group("key") if kind == "key" else match.group(0)
                self.tokens.append((kind, value))
            pos = match.end()
        self.index = 0

    def error(self, reason: str) -> TemplateSyntaxError:
        return _syntax_error(self.source, self.offset, reason)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error("expression ends too early")
        self.index += 1
        return token

    def call(self, raw: str) -> _Call:
        head = self.operand()
        if isinstance(head, _Call):
            raise self.error("an expression cannot start with a subexpression")
        params: list[_Expr] = []
        hash_args: list[tuple[str, _Expr]] = []
        while (token := self.peek()) is not None and token[0] != "close":
            if token[0] == "key":
                self.take()
                hash_args.append((token[1], self.operand()))
            else:
                if hash_args:
                    raise self.error("positional arguments must come before key=value ones")
                params.append(self.operand())
        return _Call(head, tuple(params), tuple(hash_args), raw)

    def operand(self) -> _Expr:
        kind, value = self.take()
        if kind == "open":
            start = self.index
            inner = self.call("")
            if self.take()[0] != "close":
                raise self.error("subexpression is not closed with )")
            raw = " ".join(v for _, v in self.tokens[start : self.index - 1])
            return _Call(inner.head, inner.params, inner.hash, raw)
        if kind == "string":
            body = value[1:-1]
            return _Literal(re.sub(r"\\(.)", r"\1", body), body)
        if kind == "path":
            if _NUMBER.match(value):
                number = float(value)
                return _Literal(int(number) if number.is_integer() else number, value)
            if value in _KEYWORDS:
                return _Literal(_KEYWORDS[value], value)
            return _parse_path(value, self)
        raise self.error(f"unexpected {value!r}")


_SEGMENT = re.compile(r"\[([^\]]*)\]|([^./\[\]]+)")


def _parse_path(raw: str, parser: _ExprParser) -> _Path:
    text = raw
    data = text.startswith("@")
    if data:
        text = text[1:]
    depth = 0
    if text.startswith("./"):
        text = text[2:]
    while text.startswith("../"):
        depth += 1
        text = text[3:]
    segments: list[str] = []
    pos = 0
    first = True
    while pos < len(text):
        if not first:
            if text[pos] not in "./":
                raise parser.error(f"bad path {raw!r}")
            pos += 1
        match = _SEGMENT.match(text, pos)
        if match is None:
            if first and text[pos] == "." and pos + 1 == len(text):
                break  # "." alone: the current context
            raise parser.error(f"bad path {raw!r}")
        bracketed = match.group(1)
        segment = bracketed if bracketed is not None else match.group(2)
        if first and bracketed is None and segment == "this":
            pass  # "this" only names the current context
        elif first and bracketed is None and segment == "." and not data:
            pass
        else:
            segments.append(segment)
        pos = match.end()
        first = False
    return _Path(raw, tuple(segments), depth, data)


def _parse_expression(text: str, source: str, offset: int) -> _Call:
    parser = _ExprParser(text, source, offset)
    if not parser.tokens:
        raise parser.error("empty expression")
    call = parser.call(text)
    if parser.peek() is not None:
        raise parser.error("unbalanced )")
    return call


# --------------------------------------------------------------------------- tree


@dataclass(slots=True)
class _Mustache:
    call: _Call
    escape: bool


@dataclass(slots=True)
class _Block:
    call: _Call
    name: str
    program: list[_Node] = field(default_factory=list)
    inverse: list[_Node] | None = None
    inverted: bool = False


@dataclass(slots=True)
class _PartialRef:
    call: _Call


_Node = str | _Mustache | _Block | _PartialRef


@dataclass(slots=True)
class _Frame:
    """An open block while parsing: where its nodes go."""

    block: _Block | None
    nodes: list[_Node]
    offset: int
    inline_name: str | None = None
    chained: bool = False  # opened by {{else if ...}}: closes with its parent


def _parse(source: str) -> tuple[list[_Node], dict[str, list[_Node]]]:
    root: list[_Node] = []
    inline_partials: dict[str, list[_Node]] = {}
    stack = [_Frame(None, root, 0)]
    for token in _tokenize(source):
        top = stack[-1]
        kind = token.kind
        if kind == _TEXT:
            if token.text:
                top.nodes.append(token.text)
        elif kind == _COMMENT:
            continue
        elif kind in (_MUSTACHE, _RAW):
            call = _parse_expression(token.text, source, token.offset)
            top.nodes.append(_Mustache(call, escape=kind == _MUSTACHE))
        elif kind == _PARTIAL:
            top.nodes.append(_PartialRef(_parse_expression(token.text, source, token.offset)))
        elif kind in (_OPEN, _INVERSE):
            call = _parse_expression(token.text, source, token.offset)
            block = _Block(call, _head_name(call), inverted=kind == _INVERSE)
            top.nodes.append(block)
            stack.append(_Frame(block, block.program, token.offset))
        elif kind == _INLINE:
            call = _parse_expression(token.text, source, token.offset)
            if _head_name(call) != "inline" or len(call.params) != 1:
                raise _syntax_error(source, token.offset, 'expected {{#* inline "name"}}')
            name_expr = call.params[0]
            name = name_expr.value if isinstance(name_expr, _Literal) else name_expr.raw
            body: list[_Node] = []
            stack.append(_Frame(None, body, token.offset, inline_name=str(name)))
        elif kind == _ELSE:
            owner = top.block
            if owner is None or owner.inverse is not None:
                raise _syntax_error(source, token.offset, "{{else}} outside a block")
            owner.inverse = []
            if token.text:
                # {{else if x}}: a nested block that ends with the enclosing {{/if}}.
                call = _parse_expression(token.text, source, token.offset)
                chained = _Block(call, _head_name(call))
                owner.inverse.append(chained)
                stack.append(_Frame(chained, chained.program, token.offset, chained=True))
            else:
                top.nodes = owner.inverse
        elif kind == _CLOSE:
            name = token.text
            while True:
                if len(stack) == 1:
                    raise _syntax_error(source, token.offset, f"{{{{/{name}}}}} closes nothing")
                frame = stack.pop()
                expected = "inline" if frame.inline_name is not None else _frame_name(frame)
                if not frame.chained and expected != name:
                    raise _syntax_error(
                        source, token.offset, f"{{{{/{name}}}}} does not close {{{{#{expected}}}}}"
                    )
                if frame.inline_name is not None:
                    inline_partials[frame.inline_name] = frame.nodes
                if not frame.chained:
                    break
    if len(stack) > 1:
        frame = stack[-1]
        raise _syntax_error(source, frame.offset, f"{{{{#{_frame_name(frame)}}}}} is not closed")
    return root, inline_partials


def _frame_name(frame: _Frame) -> str:
    if frame.inline_name is not None:
        return "* inline"
    return frame.block.name if frame.block is not None else ""


def _head_name(call: _Call) -> str:
    return call.head.raw


# --------------------------------------------------------------------------- values


def _is_empty(value: Any) -> bool:
    if value is None or value == "":
        return True
    if type(value) is list:
        if len(value) == 1:
            only = value[0]
            return only is None or only == ""
        return all(item is None or item == "" for item in value)
    return False


def _truthy(value: Any) -> bool:
    """Handlebars truthiness: undefined, null, false, 0, "" and [] are false."""
    if type(value) is list:
        return len(value) > 0
    if isinstance(value, Mapping):
        return True
    return bool(value)


def format_number(number: float) -> str:
    """Render a number the way Pinpoint's examples show: integers without a decimal
    point, others with at most 8 decimals and no trailing zeros."""
    if isinstance(number, bool):
        return "true" if number else "false"
    if isinstance(number, int):
        return str(number)
    if not math.isfinite(number):
        raise _HelperError(f"{number} is not a finite number")
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = f"{number:.{MAX_NUMBER_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: Any) -> str:
    """Text for a value; lists join with commas, as Handlebars.js prints an array."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is list or kind is tuple:
        if len(value) == 1:
            return _text(value[0])
        return ",".join(_text(item) for item in value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return format_number(value)
    if isinstance(value, Mapping):
        raise _HelperError("an object has no text form; name one of its fields")
    return str(value)


def _scalar(value: Any) -> Any:
    if type(value) is list and len(value) == 1:
        return value[0]
    return value


def _number(value: Any) -> float:
    value = _scalar(value)
    if isinstance(value, bool) or value is None:
        raise _HelperError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise _HelperError(f"{_text(value)!r} is not a number") from None


def _maybe_number(value: Any) -> float | None:
    try:
        return _number(value)
    except _HelperError:
        return None


_HTML_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        "`": "&#x60;",
        "=": "&#x3D;",
    }
)


def escape_html(text: str) -> str:
    """Escape text for HTML the way Handlebars.js does for ``{{value}}``."""
    return text.translate(_HTML_ESCAPES)


# --------------------------------------------------------------------------- runtime


class _State:
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


def _child(value: Any, segment: str) -> Any:
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


_Evaluator = Callable[[_Scope, _State], Any]
_Renderer = Callable[[_Scope, _State], str]


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
    state: _State
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
    def __init__(self, defaults: Mapping[str, str], partials: dict[str, list[_Node]]) -> None:
        self.defaults = defaults
        self.partial_sources = partials
        self.partials: dict[str, _Renderer] = {}

    # ---- programs

    def program(self, nodes: Sequence[_Node]) -> _Renderer:
        parts: list[str | _Renderer] = []
        for node in nodes:
            if isinstance(node, str):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += node
                else:
                    parts.append(node)
            elif isinstance(node, _Mustache):
                parts.append(self.mustache(node))
            elif isinstance(node, _Block):
                parts.append(self.block(node))
            else:
                parts.append(self.partial(node))
        items = tuple(parts)
        if len(items) == 1 and isinstance(items[0], str):
            constant = items[0]
            return lambda scope, state: constant
        if not items:
            return lambda scope, state: ""

        def render(scope: _Scope, state: _State) -> str:
            return "".join([p if p.__class__ is str else p(scope, state) for p in items])  # type: ignore[operator]

        return render

    def compile_partials(self) -> None:
        for name, nodes in self.partial_sources.items():
            self.partials[name] = self.program(nodes)

    # ---- expressions

    def expr(self, node: _Expr) -> _Evaluator:
        if isinstance(node, _Literal):
            constant = node.value
            return lambda scope, state: constant
        if isinstance(node, _Path):
            if node.is_simple_name and node.segments[0] in HELPERS:
                return self.helper_call(_Call(node, (), (), node.raw), None)
            return self.path(node)
        return self.call(node)

    def path(self, node: _Path) -> _Evaluator:
        segments = node.segments
        depth = node.depth
        key = node.raw
        base_key = re.sub(r"(?:\.\[\d+\])+$", "", key)
        default = self.defaults.get(key, self.defaults.get(base_key))
        lookup_keys = (key,) if base_key == key else (key, base_key)

        if node.data:
            name = segments[0] if segments else ""
            rest = segments[1:]

            def data(scope: _Scope, state: _State) -> Any:
                if name == "root":
                    value = state.root
                else:
                    for _ in range(depth):
                        scope = scope.parent or scope
                    value = scope.data.get(name) if scope.data else None
                for segment in rest:
                    value = _child(value, segment)
                return value

            return data

        def lookup(scope: _Scope, state: _State) -> Any:
            for _ in range(depth):
                scope = scope.parent or scope
            value = scope.value
            for segment in segments:
                # Endpoints are plain dicts: skip the slower generic lookup for them.
                value = value.get(segment) if type(value) is dict else _child(value, segment)
                if value is None:
                    break
            if value is None or value == "" or (type(value) is list and _is_empty(value)):
                variables = state.variables
                if variables:
                    for candidate in lookup_keys:
                        found = variables.get(candidate)
                        if found is not None and not _is_empty(found):
                            return found
                if default is not None:
                    return default
            return value

        return lookup

    def call(self, node: _Call) -> _Evaluator:
        head = node.head
        if isinstance(head, _Literal):
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

        def missing(scope: _Scope, state: _State) -> Any:
            state.warn(message)
            return None

        return missing

    def helper_call(
        self,
        node: _Call,
        block: tuple[_Renderer | None, _Renderer | None] | None,
    ) -> _Evaluator:
        name = _head_name(node)
        helper = HELPERS.get(name)
        if helper is None:
            return self.unknown_helper(name)
        params = tuple(self.expr(p) for p in node.params)
        hash_args = tuple((k, self.expr(v)) for k, v in node.hash)
        raw_params = [p.raw for p in node.params]
        raw_hash = {k: v.raw for k, v in node.hash}
        program, inverse = block if block is not None else (None, None)
        is_block = block is not None

        def invoke(scope: _Scope, state: _State) -> Any:
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
            return helper(call)

        return invoke

    # ---- nodes

    def mustache(self, node: _Mustache) -> _Renderer:
        evaluate = self.call(node.call)
        escape = node.escape
        source = node.call.raw

        def render(scope: _Scope, state: _State) -> str:
            try:
                value = evaluate(scope, state)
                if value.__class__ is list and len(value) == 1:
                    value = value[0]  # the common case: a one-value attribute
                text = value if value.__class__ is str else _text(value)
            except Exception as exc:  # a send must never fail on one bad expression
                state.warn(f"{{{{{source}}}}}: {exc}; rendered empty")
                return ""
            if escape and state.escape:
                return text.translate(_HTML_ESCAPES)
            return text

        return render

    def block(self, node: _Block) -> _Renderer:
        program = self.program(node.program)
        inverse = self.program(node.inverse) if node.inverse is not None else None
        source = node.call.raw
        call = node.call
        head = call.head
        if node.inverted:
            value = self.call(call)

            def inverted(scope: _Scope, state: _State) -> str:
                if _truthy(value(scope, state)):
                    return inverse(scope, state) if inverse is not None else ""
                return program(scope, state)

            return self._guard(inverted, source)
        if isinstance(head, _Path) and head.is_simple_name and head.segments[0] in HELPERS:
            invoke = self.helper_call(call, (program, inverse))

            def helper_block(scope: _Scope, state: _State) -> str:
                return _text(invoke(scope, state))

            return self._guard(helper_block, source)
        if call.params or call.hash:
            missing = self.unknown_helper(head.raw)

            def unknown(scope: _Scope, state: _State) -> str:
                missing(scope, state)
                return ""

            return unknown
        value = self.call(call)

        def section(scope: _Scope, state: _State) -> str:
            # A block named after a value: iterate a list, enter an object, test the rest.
            current = value(scope, state)
            if type(current) is list:
                if not current:
                    return inverse(scope, state) if inverse is not None else ""
                return _iterate(current, scope, state, program, source)
            if not _truthy(current):
                return inverse(scope, state) if inverse is not None else ""
            if current is True:
                return program(scope, state)
            return program(_Scope(current, scope, None), state)

        return self._guard(section, source)

    def partial(self, node: _PartialRef) -> _Renderer:
        call = node.call
        head = call.head
        name = str(head.value) if isinstance(head, _Literal) else head.raw
        context = self.expr(call.params[0]) if call.params else None
        overrides = tuple((k, self.expr(v)) for k, v in call.hash)
        partials = self.partials

        def render(scope: _Scope, state: _State) -> str:
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
        def guarded(scope: _Scope, state: _State) -> str:
            try:
                return render(scope, state)
            except RecursionError:
                state.warn(f"{{{{#{source}}}}}: nested too deeply; rendered empty")
                return ""
            except Exception as exc:  # a send must never fail on one bad block
                state.warn(f"{{{{#{source}}}}}: {exc}; rendered empty")
                return ""

        return guarded


def _iterate(
    items: Iterable[Any] | Mapping[str, Any],
    scope: _Scope,
    state: _State,
    program: _Renderer,
    source: str,
) -> str:
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
        nodes, inline = _parse(source)
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
        state = _State(context, variables, escape, now, _endpoint_timezone(context), sink)
        return self._render_in(state)

    def _render_in(self, state: _State) -> str:
        try:
            return self._render(_Scope(state.root, None, None), state)
        except RecursionError:
            state.warn("template nests too deeply; rendered empty")
            return ""


def check_syntax(source: str) -> None:
    """Raise :class:`TemplateSyntaxError` when ``source`` is not valid template syntax."""
    _parse(source)


def _endpoint_timezone(context: Any) -> str | None:
    if isinstance(context, Mapping):
        demographic = context.get("Demographic")
        if isinstance(demographic, Mapping):
            zone = demographic.get("Timezone")
            return zone if isinstance(zone, str) else None
    return None


# --------------------------------------------------------------------------- helpers

HELPERS: dict[str, Helper] = {}


def _helper(*names: str) -> Callable[[Helper], Helper]:
    def register(function: Helper) -> Helper:
        for name in names:
            HELPERS[name] = function
        return function

    return register


def _condition(call: HelperCall, result: bool) -> Any:
    """Pinpoint's conditional helpers: a block picks a branch; inline, ``yes=``/``no=``
    pick a string, and with neither the result is the boolean itself (for nesting)."""
    if call.is_block:
        return call.fn_this() if result else call.inverse()
    if "yes" in call.hash or "no" in call.hash:
        return call.hash.get("yes", "") if result else call.hash.get("no", "")
    return result


def _compare(left: Any, right: Any) -> int:
    a, b = _maybe_number(left), _maybe_number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    text_a, text_b = _text(_scalar(left)), _text(_scalar(right))
    return (text_a > text_b) - (text_a < text_b)


def _two(call: HelperCall) -> tuple[Any, Any]:
    if len(call.params) < 2:
        raise _HelperError(f"{call.name} needs two values")
    return call.params[0], call.params[1]


@_helper("if")
def _if(call: HelperCall) -> Any:
    return _condition(call, _truthy(call.param(0)))


@_helper("unless")
def _unless(call: HelperCall) -> Any:
    return _condition(call, not _truthy(call.param(0)))


@_helper("eq")
def _eq(call: HelperCall) -> Any:
    return _condition(call, _compare(*_two(call)) == 0)


@_helper("neq")
def _neq(call: HelperCall) -> Any:
    return _condition(call, _compare(*_two(call)) != 0)


@_helper("gt")
def _gt(call: HelperCall) -> Any:
    return _condition(call, _compare(*_two(call)) > 0)


@_helper("gte")
def _gte(call: HelperCall) -> Any:
    return _condition(call, _compare(*_two(call)) >= 0)


@_helper("lt")
def _lt(call: HelperCall) -> Any:
    return _condition(call, _compare(*_two(call)) < 0)


@_helper("lte")
def _lte(call: HelperCall) -> Any:
    return _condition(call, _compare(*_two(call)) <= 0)


@_helper("and")
def _and(call: HelperCall) -> Any:
    return _condition(call, bool(call.params) and all(_truthy(p) for p in call.params))


@_helper("or")
def _or(call: HelperCall) -> Any:
    return _condition(call, any(_truthy(p) for p in call.params))


@_helper("not")
def _not(call: HelperCall) -> Any:
    return _condition(call, not _truthy(call.param(0)))


@_helper("each")
def _each(call: HelperCall) -> Any:
    items = call.param(0)
    if not call.is_block:
        raise _HelperError("each is a block helper: {{#each}}...{{/each}}")
    if items is None or items == [] or items == "":
        return call.inverse()
    if not isinstance(items, list | tuple | Mapping):
        items = [items]  # a single value (such as a default) is a one-item list
    program = call.program
    assert program is not None  # a block always has a program
    return _iterate(
        items, call.scope, call.state, lambda s, _: program(s), f"each {call.raw_params[0]}"
    )


@_helper("with")
def _with(call: HelperCall) -> Any:
    value = call.param(0)
    if not call.is_block:
        raise _HelperError("with is a block helper: {{#with}}...{{/with}}")
    return call.fn(value) if _truthy(value) else call.inverse()


@_helper("lookup")
def _lookup(call: HelperCall) -> Any:
    if len(call.params) < 2:
        raise _HelperError("lookup needs an object and a key")
    return _child(call.param(0), _text(call.param(1)))


@_helper("log")
def _log(call: HelperCall) -> Any:
    return ""


# ---- strings


def _str_arg(call: HelperCall, index: int = 0) -> str:
    return _text(call.param(index))


def _int_arg(call: HelperCall, value: Any, what: str) -> int:
    number = _number(value)
    if not number.is_integer() or number < 0:
        raise _HelperError(f"{what} must be a whole number, 0 or more")
    return int(number)


@_helper("upper")
def _upper(call: HelperCall) -> Any:
    return _str_arg(call).upper()


@_helper("lower")
def _lower(call: HelperCall) -> Any:
    return _str_arg(call).lower()


@_helper("capitalizeFirst")
def _capitalize_first(call: HelperCall) -> Any:
    text = _str_arg(call)
    return text[:1].upper() + text[1:]


@_helper("capitalize")
def _capitalize(call: HelperCall) -> Any:
    fully = _truthy(call.hash.get("fully"))
    words = re.split(r"(\s+)", _str_arg(call))
    return "".join(
        w[:1].upper() + (w[1:].lower() if fully else w[1:]) if w and not w.isspace() else w
        for w in words
    )


@_helper("abbreviate")
def _abbreviate(call: HelperCall) -> Any:
    text = _str_arg(call)
    width = _int_arg(call, call.param(1), "abbreviate's length")
    if len(text) <= width:
        return text
    if width < 4:
        raise _HelperError("abbreviate needs a length of 4 or more")
    return text[: width - 3] + "..."


def _size_and_pad(call: HelperCall) -> tuple[int, str]:
    size_value = call.hash.get("size", call.param(1))
    size = _int_arg(call, size_value, f"{call.name}'s size")
    pad = _text(call.hash.get("pad", " ")) or " "
    return size, pad[0]


@_helper("center")
def _center(call: HelperCall) -> Any:
    text = _str_arg(call)
    size, pad = _size_and_pad(call)
    padding = size - len(text)
    if padding <= 0:
        return text
    left = padding // 2
    return pad * left + text + pad * (padding - left)


@_helper("ljust")
def _ljust(call: HelperCall) -> Any:
    text = _str_arg(call)
    size, pad = _size_and_pad(call)
    return text + pad * max(0, size - len(text))


@_helper("rjust")
def _rjust(call: HelperCall) -> Any:
    text = _str_arg(call)
    size, pad = _size_and_pad(call)
    return pad * max(0, size - len(text)) + text


@_helper("cut")
def _cut(call: HelperCall) -> Any:
    remove = _text(call.param(1, " ")) or " "
    return _str_arg(call).replace(remove, "")


@_helper("replace")
def _replace(call: HelperCall) -> Any:
    if len(call.params) < 3:
        raise _HelperError("replace needs a value, the text to replace and its replacement")
    return _str_arg(call).replace(_str_arg(call, 1), _str_arg(call, 2))


@_helper("join")
def _join(call: HelperCall) -> Any:
    items = call.param(0)
    if items is None:
        items = []
    elif not isinstance(items, list | tuple):
        items = [items]
    separator = _text(call.param(1, ","))
    prefix = _text(call.hash.get("prefix", ""))
    suffix = _text(call.hash.get("suffix", ""))
    return prefix + separator.join(_text(item) for item in items) + suffix


@_helper("slugify")
def _slugify(call: HelperCall) -> Any:
    text = re.sub(r"[^\w\s-]", "", _str_arg(call)).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


@_helper("stripTags")
def _strip_tags(call: HelperCall) -> Any:
    return re.sub(r"<[^>]*>", "", _str_arg(call))


@_helper("substring")
def _substring(call: HelperCall) -> Any:
    text = _str_arg(call)
    start = _int_arg(call, call.param(1, 0), "substring's startOffset")
    end_value = call.param(2)
    end = len(text) if end_value is None else _int_arg(call, end_value, "substring's endOffset")
    return text[start:end]


@_helper("inflect")
def _inflect(call: HelperCall) -> Any:
    count = _number(call.param(0))
    singular = call.literal_or_value(call.param(1), _raw(call, 1))
    plural = call.literal_or_value(call.param(2), _raw(call, 2))
    word = _text(singular if count == 1 else plural)
    if _truthy(call.hash.get("includeCount")) and _text(call.hash.get("includeCount")) != "false":
        return f"{format_number(count)} {word}"
    return word


def _raw(call: HelperCall, index: int) -> str | None:
    return call.raw_params[index] if index < len(call.raw_params) else None


@_helper("ordinalize")
def _ordinalize(call: HelperCall) -> Any:
    number = _number(call.param(0))
    if not number.is_integer():
        raise _HelperError("ordinalize needs a whole number")
    value = int(number)
    last_two = abs(value) % 100
    suffix = "th" if 11 <= last_two <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(last_two % 10, "th")
    return f"{value}{suffix}"


@_helper("yesno")
def _yesno(call: HelperCall) -> Any:
    value = _scalar(call.param(0))
    yes = _text(call.hash.get("yes", "yes"))
    no = _text(call.hash.get("no", "no"))
    maybe = _text(call.hash.get("maybe", "maybe"))
    if value is None or value == "":
        return maybe
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return yes
        if lowered == "false":
            return no
        if lowered in ("null", "none"):
            return maybe
    return yes if _truthy(value) else no


# ---- dates

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# Pinpoint's examples abbreviate September as "Sept"; the other months take three letters.
_MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DATE_STYLES = {
    "full": "EEEE, MMMM d, yyyy",
    "long": "MMMM d, yyyy",
    "medium": "MMM d, yyyy",
    "short": "M/d/yy",
}
_PATTERN_TOKEN = re.compile(r"'([^']*)'|([A-Za-z])\2*|(.)", re.DOTALL)


def _offset_text(moment: datetime, colon: bool, z_for_utc: bool) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    if z_for_utc and minutes == 0:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


def format_java_date(moment: datetime, pattern: str) -> str:
    """Format a datetime with a java.text.SimpleDateFormat pattern (Pinpoint's)."""
    out: list[str] = []
    for match in _PATTERN_TOKEN.finditer(pattern):
        quoted, letter, other = match.groups()
        if quoted is not None:
            out.append(quoted if quoted else "'")
            continue
        if other is not None:
            out.append(other)
            continue
        width = len(match.group(0))
        out.append(_format_field(moment, letter, width))
    return "".join(out)


def _format_field(moment: datetime, letter: str, width: int) -> str:
    hour = moment.hour
    simple = {
        "d": moment.day,
        "H": hour,
        "k": hour or 24,
        "K": hour % 12,
        "h": hour % 12 or 12,
        "m": moment.minute,
        "s": moment.second,
        "D": moment.timetuple().tm_yday,
        "u": moment.isoweekday(),
        "w": moment.isocalendar()[1],
        "F": (moment.day - 1) // 7 + 1,
    }
    if letter in simple:
        return str(simple[letter]).zfill(width)
    if letter in "yY":
        return f"{moment.year % 100:02d}" if width == 2 else str(moment.year).zfill(width)
    if letter in "ML":
        if width >= 4:
            return _MONTHS[moment.month - 1]
        if width == 3:
            return _MONTH_ABBREVIATIONS[moment.month - 1]
        return str(moment.month).zfill(width)
    if letter == "E":
        day = _DAYS[moment.weekday()]
        return day if width >= 4 else day[:3]
    if letter == "a":
        return "AM" if hour < 12 else "PM"
    if letter == "S":
        return str(moment.microsecond // 1000).zfill(width)
    if letter == "G":
        return "AD"
    if letter == "z":
        zone = moment.tzinfo
        if width >= 4 and isinstance(zone, ZoneInfo):
            return zone.key
        return moment.tzname() or ""
    if letter == "Z":
        return _offset_text(moment, colon=False, z_for_utc=False)
    if letter == "X":
        text = _offset_text(moment, colon=width >= 3, z_for_utc=True)
        return text[:3] if width == 1 and text != "Z" else text
    raise _HelperError(f"date pattern letter {letter!r} is not supported")


_STRPTIME = {
    "yyyy": "%Y", "yy": "%y", "y": "%Y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "%m",
    "dd": "%d", "d": "%d", "HH": "%H", "H": "%H", "hh": "%I", "h": "%I", "mm": "%M",
    "m": "%M", "ss": "%S", "s": "%S", "SSS": "%f", "a": "%p", "EEEE": "%A", "EEE": "%a",
    "E": "%a", "Z": "%z", "X": "%z", "XX": "%z", "XXX": "%z",
}  # fmt: skip


def _parse_java_date(text: str, pattern: str) -> datetime:
    parts: list[str] = []
    for match in _PATTERN_TOKEN.finditer(pattern):
        quoted, _, other = match.groups()
        if quoted is not None:
            parts.append((quoted or "'").replace("%", "%%"))
        elif other is not None:
            parts.append(other.replace("%", "%%"))
        else:
            directive = _STRPTIME.get(match.group(0))
            if directive is None:
                raise _HelperError(f"inputFormat {match.group(0)!r} is not supported")
            parts.append(directive)
    value = text.replace("Sept", "Sep")
    try:
        return datetime.strptime(value, "".join(parts))  # the zone is applied by the caller
    except ValueError:
        raise _HelperError(f"{text!r} does not match inputFormat {pattern!r}") from None


def _parse_date(value: Any, input_format: str | None) -> datetime:
    text = _text(_scalar(value)).strip()
    if not text:
        raise _HelperError("no date to format")
    if input_format:
        return _parse_java_date(text, input_format)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _HelperError(f"{text!r} is not an ISO-8601 date; give inputFormat") from None
    return datetime(day.year, day.month, day.day)  # the zone is applied by the caller


def _zone(call: HelperCall) -> tzinfo:
    raw = call.raw_hash.get("tz")
    name = call.literal_or_value(call.hash.get("tz"), raw) if raw is not None else None
    name = name or call.state.timezone or "UTC"
    try:
        return ZoneInfo(_text(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise _HelperError(f"{_text(name)!r} is not a tz database time zone") from None


def _format_in_style(moment: datetime, style: str | None) -> str:
    chosen = style or "medium"
    return format_java_date(moment, _DATE_STYLES.get(chosen, chosen))


def _in_zone(moment: datetime, zone: tzinfo) -> datetime:
    # A date or time without an offset is taken as wall time where it will be read.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


@_helper("dateFormat", "formatDate")
def _date_format(call: HelperCall) -> Any:
    input_format = call.hash.get("inputFormat")
    output = call.hash.get("outputFormat", call.hash.get("format", call.param(1)))
    moment = _parse_date(call.param(0), _text(input_format) if input_format else None)
    return _format_in_style(_in_zone(moment, _zone(call)), _text(output) if output else None)


@_helper("now")
def _now(call: HelperCall) -> Any:
    current = call.state.now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    style = call.param(0, call.hash.get("format"))
    return _format_in_style(current.astimezone(_zone(call)), _text(style) if style else None)


# ---- numbers and encoding


def _numbers(call: HelperCall) -> tuple[float, float]:
    left, right = _two(call)
    return _number(left), _number(right)


@_helper("add")
def _add(call: HelperCall) -> Any:
    a, b = _numbers(call)
    return a + b


@_helper("subtract")
def _subtract(call: HelperCall) -> Any:
    a, b = _numbers(call)
    return a - b


@_helper("multiply")
def _multiply(call: HelperCall) -> Any:
    a, b = _numbers(call)
    return a * b


@_helper("divide")
def _divide(call: HelperCall) -> Any:
    a, b = _numbers(call)
    if b == 0:
        raise _HelperError("division by zero")
    return a / b


@_helper("modulo")
def _modulo(call: HelperCall) -> Any:
    a, b = _numbers(call)
    if b == 0:
        raise _HelperError("modulo by zero")
    return math.fmod(a, b)  # the sign follows the dividend, as in Java and JavaScript


@_helper("ceiling")
def _ceiling(call: HelperCall) -> Any:
    return math.ceil(_number(call.param(0)))


@_helper("floor")
def _floor(call: HelperCall) -> Any:
    return math.floor(_number(call.param(0)))


@_helper("round")
def _round(call: HelperCall) -> Any:
    return math.floor(_number(call.param(0)) + 0.5)  # halves go up, as Java's Math.round


@_helper("encode64")
def _encode64(call: HelperCall) -> Any:
    return base64.b64encode(_str_arg(call).encode()).decode("ascii")


@_helper("decode64")
def _decode64(call: HelperCall) -> Any:
    try:
        return base64.b64decode(_str_arg(call), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _HelperError("not Base64-encoded UTF-8 text") from None


@_helper("md5")
def _md5(call: HelperCall) -> Any:
    return hashlib.md5(_str_arg(call).encode(), usedforsecurity=False).hexdigest()


@_helper("sha256")
def _sha256(call: HelperCall) -> Any:
    return hashlib.sha256(_str_arg(call).encode()).hexdigest()


@_helper("sha512")
def _sha512(call: HelperCall) -> Any:
    return hashlib.sha512(_str_arg(call).encode()).hexdigest()


@_helper("uuid")
def _uuid(call: HelperCall) -> Any:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    html: str | None
    text: str | None
    headers: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    channel: str = "EMAIL"


@dataclass(frozen=True, slots=True)
class RenderedSms:
    body: str
    warnings: tuple[str, ...] = ()
    channel: str = "SMS"


@dataclass(frozen=True, slots=True)
class RenderedVoice:
    body: str
    language_code: str | None
    voice_id: str | None
    warnings: tuple[str, ...] = ()
    channel: str = "VOICE"


@dataclass(frozen=True, slots=True)
class RenderedPushPlatform:
    """One push platform's message; field names follow the Pinpoint template's."""

    action: str | None = None
    title: str | None = None
    body: str | None = None
    url: str | None = None
    sound: str | None = None
    image_url: str | None = None
    image_icon_url: str | None = None
    small_image_icon_url: str | None = None
    media_url: str | None = None
    raw_content: str | None = None


PUSH_PLATFORMS = ("ADM", "APNS", "Baidu", "GCM")


@dataclass(frozen=True, slots=True)
class RenderedPush:
    """Push content: ``default`` plus each platform the template sets.

    Use :meth:`for_platform` for what one endpoint's channel should receive.
    """

    default: RenderedPushPlatform
    platforms: Mapping[str, RenderedPushPlatform]
    warnings: tuple[str, ...] = ()
    channel: str = "PUSH"

    def for_platform(self, channel_type: str) -> RenderedPushPlatform:
        """Content for an endpoint ChannelType (APNS_SANDBOX uses APNS, and so on):
        each field of the platform's template, else the Default template's."""
        key = {"APNS_SANDBOX": "APNS", "APNS_VOIP": "APNS", "APNS_VOIP_SANDBOX": "APNS"}.get(
            channel_type, channel_type
        )
        key = "Baidu" if key == "BAIDU" else key
        specific = self.platforms.get(key)
        if specific is None:
            return self.default
        merged = {
            name: getattr(specific, name)
            if getattr(specific, name) is not None
            else getattr(self.default, name, None)
            for name in RenderedPushPlatform.__slots__
        }
        return RenderedPushPlatform(**merged)


RenderedMessage = RenderedEmail | RenderedSms | RenderedPush | RenderedVoice

_PUSH_FIELDS = {
    "Action": "action",
    "Title": "title",
    "Body": "body",
    "Url": "url",
    "Sound": "sound",
    "ImageUrl": "image_url",
    "ImageIconUrl": "image_icon_url",
    "SmallImageIconUrl": "small_image_icon_url",
    "MediaUrl": "media_url",
    "RawContent": "raw_content",
}
# Settings, not content: passed through as written.
_LITERAL_PUSH_FIELDS = frozenset({"Action", "Sound"})


def _parse_defaults(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): v for k, v in parsed.items() if isinstance(v, str)}


class CompiledTemplate:
    """A stored template version compiled once, to render for many endpoints.

    Parameters
    ----------
    template : TemplateVersion
        From :mod:`clarion.domain.templates`.

    Raises
    ------
    TemplateSyntaxError
        When a part is not valid (templates are checked at creation, so only for
        versions stored before that check existed).
    """

    def __init__(self, template: TemplateVersion) -> None:
        self.template_name = template.template_name
        self.template_type = str(template.template_type)
        self.version = template.version
        body = template.body.to_pinpoint()
        self._body = body
        defaults = _parse_defaults(body.get("DefaultSubstitutions"))
        self._parts: dict[str, CompiledPart] = {}
        for key, source in _template_parts(self.template_type, body):
            self._parts[key] = CompiledPart(source, defaults)

    def _render(self, key: str, state: _State, escape: bool = False) -> str | None:
        part = self._parts.get(key)
        if part is None:
            return None
        warnings = state.warnings
        before = len(warnings)
        state.escape = escape
        text = part._render_in(state)
        for index in range(before, len(warnings)):
            warnings[index] = f"{key}: {warnings[index]}"
        return text

    def render(
        self,
        endpoint: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> RenderedMessage:
        """Render every part for one endpoint (Pinpoint JSON, as ``Endpoint.to_pinpoint()``).

        Never raises for the endpoint's data: problems are listed in ``warnings``.
        """
        warnings: list[str] = []
        # One state for every part of the message (only the escaping differs).
        state = _State(endpoint, variables, False, now, _endpoint_timezone(endpoint), warnings)
        args = (state,)
        if self.template_type == "EMAIL":
            headers = tuple(
                (str(h.get("Name", "")), self._render(f"Headers.{i}", *args) or "")
                for i, h in enumerate(self._body.get("Headers") or [])
            )
            return RenderedEmail(
                subject=self._render("Subject", *args) or "",
                html=self._render("HtmlPart", *args, escape=True),
                text=self._render("TextPart", *args),
                headers=headers,
                warnings=tuple(warnings),
            )
        if self.template_type == "SMS":
            return RenderedSms(self._render("Body", *args) or "", tuple(warnings))
        if self.template_type == "VOICE":
            return RenderedVoice(
                self._render("Body", *args) or "",
                self._body.get("LanguageCode"),
                self._body.get("VoiceId"),
                tuple(warnings),
            )
        default = self._push_platform("Default", args)
        platforms = {
            name: self._push_platform(name, args) for name in PUSH_PLATFORMS if name in self._body
        }
        return RenderedPush(default, platforms, tuple(warnings))

    def _push_platform(self, platform: str, args: tuple[Any, ...]) -> RenderedPushPlatform:
        settings = self._body.get(platform) or {}
        values: dict[str, str | None] = {}
        for key, attribute in _PUSH_FIELDS.items():
            if key not in settings:
                continue
            if key in _LITERAL_PUSH_FIELDS:
                values[attribute] = settings[key]
            else:
                values[attribute] = self._render(f"{platform}.{key}", *args)
        raw = values.get("raw_content")
        if raw is not None:
            try:
                json.loads(raw)
            except ValueError:
                args[0].warnings.append(
                    f"{platform}.RawContent: the rendered payload is not valid JSON"
                )
        return RenderedPushPlatform(**values)


def _template_parts(template_type: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every Handlebars part of a template body in Pinpoint JSON, keyed by field path."""
    parts: list[tuple[str, str]] = []
    if template_type == "EMAIL":
        for key in ("Subject", "HtmlPart", "TextPart"):
            if isinstance(body.get(key), str):
                parts.append((key, body[key]))
        for index, header in enumerate(body.get("Headers") or []):
            if isinstance(header.get("Value"), str):
                parts.append((f"Headers.{index}", header["Value"]))
    elif template_type in ("SMS", "VOICE"):
        if isinstance(body.get("Body"), str):
            parts.append(("Body", body["Body"]))
    elif template_type == "PUSH":
        for platform in ("Default", *PUSH_PLATFORMS):
            settings = body.get(platform)
            if not isinstance(settings, Mapping):
                continue
            for key in _PUSH_FIELDS:
                if key not in _LITERAL_PUSH_FIELDS and isinstance(settings.get(key), str):
                    parts.append((f"{platform}.{key}", settings[key]))
    return parts


def template_syntax_problems(template_type: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field path, reason) for each part of a body in Pinpoint JSON that does not parse."""
    problems = []
    for key, source in _template_parts(template_type, body):
        try:
            check_syntax(source)
        except TemplateSyntaxError as exc:
            problems.append((key, f"not valid Handlebars: {exc}"))
    return problems


_CACHE_LIMIT = 256
_cache: dict[tuple[str, str, int, str], CompiledTemplate] = {}
_cache_lock = threading.Lock()


def compile_template(template: TemplateVersion) -> CompiledTemplate:
    """The compiled form of a template version, compiled once and cached.

    The cache key is name, type, version and LastModifiedDate, because Pinpoint lets
    the latest version be overwritten in place.
    """
    key = (
        template.template_name,
        str(template.template_type),
        template.version,
        template.last_modified_date,
    )
    compiled = _cache.get(key)
    if compiled is None:
        compiled = CompiledTemplate(template)
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.pop(next(iter(_cache)))
            _cache[key] = compiled
    return compiled


def render_template(
    template: TemplateVersion,
    endpoint: Mapping[str, Any],
    variables: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> RenderedMessage:
    """Render a stored template version for one endpoint.

    Parameters
    ----------
    template : TemplateVersion
        The version to send (usually the active one).
    endpoint : Mapping
        The endpoint in Pinpoint JSON (``Endpoint.to_pinpoint()``).
    variables : Mapping, optional
        Message variables by variable path (``{"Coupon": "SAVE10"}``); they fill what
        the endpoint lacks, before DefaultSubstitutions.
    now : datetime, optional
        The time ``now`` prints; the current time by default.

    Returns
    -------
    RenderedMessage
        RenderedEmail, RenderedSms, RenderedPush or RenderedVoice, with ``warnings``.
    """
    return compile_template(template).render(endpoint, variables, now=now)
