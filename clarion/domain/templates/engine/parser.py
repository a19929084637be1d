"""The Handlebars parser: tokens to a tree of text, mustaches, blocks and partial
references; expressions (paths, literals, sub-expressions, hash arguments) parsed once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from clarion.domain.templates.engine.lexer import (
    TemplateSyntaxError,
    Token,
    TokenKind,
    syntax_error,
    tokenize,
)

# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class PathExpr:
    """A name to look up: ``User.UserAttributes.FirstName``, ``../name``, ``@index``."""

    raw: str
    segments: tuple[str, ...]
    depth: int = 0
    data: bool = False  # @index, @root...
    local: bool = False  # this.name or ./name: the current context only, no fallback

    @property
    def is_simple_name(self) -> bool:
        return not self.data and not self.local and self.depth == 0 and len(self.segments) == 1


@dataclass(frozen=True, slots=True)
class LiteralExpr:
    """A string, number, boolean or null written in the template."""

    value: Any
    raw: str


@dataclass(frozen=True, slots=True)
class CallExpr:
    """A head (helper name, path or literal) with positional and ``key=value`` arguments;
    also a parenthesised sub-expression."""

    head: PathExpr | LiteralExpr
    params: tuple[Expr, ...]
    hash: tuple[tuple[str, Expr], ...]
    raw: str


Expr = PathExpr | LiteralExpr | CallExpr

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
        return syntax_error(self.source, self.offset, reason)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error("expression ends too early")
        self.index += 1
        return token

    def call(self, raw: str) -> CallExpr:
        head = self.operand()
        if isinstance(head, CallExpr):
            raise self.error("an expression cannot start with a subexpression")
        params: list[Expr] = []
        hash_args: list[tuple[str, Expr]] = []
        while (token := self.peek()) is not None and token[0] != "close":
            if token[0] == "key":
                self.take()
                hash_args.append((token[1], self.operand()))
            else:
                if hash_args:
                    raise self.error("positional arguments must come before key=value ones")
                params.append(self.operand())
        return CallExpr(head, tuple(params), tuple(hash_args), raw)

    def operand(self) -> Expr:
        kind, value = self.take()
        if kind == "open":
            start = self.index
            inner = self.call("")
            if self.take()[0] != "close":
                raise self.error("subexpression is not closed with )")
            raw = " ".join(v for _, v in self.tokens[start : self.index - 1])
            return CallExpr(inner.head, inner.params, inner.hash, raw)
        if kind == "string":
            body = value[1:-1]
            return LiteralExpr(re.sub(r"\\(.)", r"\1", body), body)
        if kind == "path":
            if _NUMBER.match(value):
                number = float(value)
                return LiteralExpr(int(number) if number.is_integer() else number, value)
            if value in _KEYWORDS:
                return LiteralExpr(_KEYWORDS[value], value)
            return _parse_path(value, self)
        raise self.error(f"unexpected {value!r}")


_SEGMENT = re.compile(r"\[([^\]]*)\]|([^./\[\]]+)")


def _parse_path(raw: str, parser: _ExprParser) -> PathExpr:
    text = raw
    data = text.startswith("@")
    if data:
        text = text[1:]
    depth = 0
    local = False
    if text.startswith("./"):
        text = text[2:]
        local = True
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
            local = True  # "this" names the current context: no fallback outwards
        elif first and bracketed is None and segment == "." and not data:
            pass
        else:
            segments.append(segment)
        pos = match.end()
        first = False
    return PathExpr(raw, tuple(segments), depth, data, local and bool(segments))


def _parse_expression(text: str, source: str, offset: int) -> CallExpr:
    parser = _ExprParser(text, source, offset)
    if not parser.tokens:
        raise parser.error("empty expression")
    call = parser.call(text)
    if parser.peek() is not None:
        raise parser.error("unbalanced )")
    return call


# --------------------------------------------------------------------------- tree


@dataclass(slots=True)
class Mustache:
    """``{{expression}}`` (``escape``) or ``{{{expression}}}``; ``offset`` is where the
    tag starts in the part's source."""

    call: CallExpr
    escape: bool
    offset: int = 0


@dataclass(slots=True)
class Block:
    """``{{#name ...}}program{{else}}inverse{{/name}}``; ``inverted`` for ``{{^name}}``."""

    call: CallExpr
    name: str
    program: list[Node] = field(default_factory=list)
    inverse: list[Node] | None = None
    inverted: bool = False
    offset: int = 0


@dataclass(slots=True)
class PartialRef:
    """``{{> name context key=value}}``; ``standalone`` when it stood alone on its line,
    whose leading whitespace (``indent``) then indents each line of the partial."""

    call: CallExpr
    offset: int = 0
    standalone: bool = False
    indent: str = ""


Node = str | Mustache | Block | PartialRef


@dataclass(slots=True)
class InlinePartial:
    """A ``{{#* inline "name"}}`` body: its tree, and its tokens (after whitespace
    control) to build an indented copy from when a standalone reference asks for one."""

    nodes: list[Node]
    tokens: list[Token]


@dataclass(slots=True)
class _Frame:
    """An open block while parsing: where its nodes go."""

    block: Block | None
    nodes: list[Node]
    offset: int
    inline_name: str | None = None
    chained: bool = False  # opened by {{else if ...}}: closes with its parent
    first_token: int = 0  # inline partials: where the body's tokens start


def parse_template(source: str) -> tuple[list[Node], dict[str, InlinePartial]]:
    """The tree of a template part, and its inline partials by name.

    Raises
    ------
    TemplateSyntaxError
        When the part is not valid Handlebars (the message names line and column).
    """
    return parse_tokens(tokenize(source), source)


def parse_tokens(
    tokens: Sequence[Token], source: str
) -> tuple[list[Node], dict[str, InlinePartial]]:
    """The tree of a token list (:func:`parse_template` after tokenizing; also an
    indented partial body, whose tokens came from the same ``source``)."""
    root: list[Node] = []
    inline_partials: dict[str, InlinePartial] = {}
    stack = [_Frame(None, root, 0)]
    for position, token in enumerate(tokens):
        top = stack[-1]
        kind = token.kind
        if kind == TokenKind.TEXT:
            if token.text:
                top.nodes.append(token.text)
        elif kind == TokenKind.COMMENT:
            continue
        elif kind in (TokenKind.MUSTACHE, TokenKind.RAW):
            call = _parse_expression(token.text, source, token.offset)
            top.nodes.append(Mustache(call, kind == TokenKind.MUSTACHE, token.offset))
        elif kind == TokenKind.PARTIAL:
            call = _parse_expression(token.text, source, token.offset)
            top.nodes.append(PartialRef(call, token.offset, token.standalone, token.indent))
        elif kind in (TokenKind.OPEN, TokenKind.INVERSE):
            call = _parse_expression(token.text, source, token.offset)
            _refuse_block_params(call, source, token.offset)
            block = Block(
                call, head_name(call), inverted=kind == TokenKind.INVERSE, offset=token.offset
            )
            top.nodes.append(block)
            stack.append(_Frame(block, block.program, token.offset))
        elif kind == TokenKind.INLINE:
            call = _parse_expression(token.text, source, token.offset)
            if head_name(call) != "inline" or len(call.params) != 1:
                raise syntax_error(source, token.offset, 'expected {{#* inline "name"}}')
            name_expr = call.params[0]
            name = name_expr.value if isinstance(name_expr, LiteralExpr) else name_expr.raw
            body: list[Node] = []
            stack.append(
                _Frame(None, body, token.offset, inline_name=str(name), first_token=position + 1)
            )
        elif kind == TokenKind.ELSE:
            owner = top.block
            if owner is None or owner.inverse is not None:
                raise syntax_error(source, token.offset, "{{else}} outside a block")
            owner.inverse = []
            if token.text:
                # {{else if x}}: a nested block that ends with the enclosing {{/if}}.
                call = _parse_expression(token.text, source, token.offset)
                chained = Block(call, head_name(call), offset=token.offset)
                owner.inverse.append(chained)
                stack.append(_Frame(chained, chained.program, token.offset, chained=True))
            else:
                top.nodes = owner.inverse
        elif kind == TokenKind.CLOSE:
            name = token.text
            while True:
                if len(stack) == 1:
                    raise syntax_error(source, token.offset, f"{{{{/{name}}}}} closes nothing")
                frame = stack.pop()
                expected = "inline" if frame.inline_name is not None else _frame_name(frame)
                if not frame.chained and expected != name:
                    raise syntax_error(
                        source, token.offset, f"{{{{/{name}}}}} does not close {{{{#{expected}}}}}"
                    )
                if frame.inline_name is not None:
                    inline_partials[frame.inline_name] = InlinePartial(
                        frame.nodes, list(tokens[frame.first_token : position])
                    )
                if not frame.chained:
                    break
    if len(stack) > 1:
        frame = stack[-1]
        raise syntax_error(source, frame.offset, f"{{{{#{_frame_name(frame)}}}}} is not closed")
    return root, inline_partials


def indented_tokens(tokens: Sequence[Token], indent: str) -> list[Token]:
    """A partial body's tokens with ``indent`` at the start of each of its source lines,
    as if the body's text had been indented before it was parsed (what handlebars.java
    and the Mustache spec do for a standalone partial): lines of the partial's own text
    are indented, text that values print is not. Lines that whitespace control removed
    (standalone tags) take no indent, and no indent follows the body's last line break.
    """
    out: list[Token] = []
    at_start = True  # the partial's first content begins a line
    for token in tokens:
        copy = replace(token)
        if token.kind == TokenKind.TEXT:
            if not token.text:
                continue
            text = token.text
            body, last_break, tail = text.rpartition("\n")
            if last_break:
                # Every line break followed by more of this text gets the indent.
                text = body.replace("\n", "\n" + indent) + "\n" + (indent + tail if tail else "")
            if at_start or token.line_start:
                text = indent + text
            copy.text = text
            at_start = False
        elif not token.standalone:
            if at_start or token.line_start:
                out.append(Token(TokenKind.TEXT, indent, token.offset))
            at_start = False
        out.append(copy)
    return out


def _refuse_block_params(call: CallExpr, source: str, offset: int) -> None:
    # ``{{#each list as |item index|}}``: handlebars.java's block parameters.
    raws = [p.raw for p in call.params if isinstance(p, PathExpr)]
    for first, second in pairwise(raws):
        if first == "as" and second.startswith("|"):
            raise syntax_error(
                source,
                offset,
                "block parameters (as |name|) are not supported: use this, @index, @key "
                "and ../ inside the block",
            )


def _frame_name(frame: _Frame) -> str:
    if frame.inline_name is not None:
        return "* inline"
    return frame.block.name if frame.block is not None else ""


def head_name(call: CallExpr) -> str:
    """The name a call is made by, as written (a helper's name, or a path)."""
    return call.head.raw
