"""The Handlebars lexer: template text to tokens, with standalone-line and ``~``
whitespace control applied, and syntax errors that name the line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

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


# --------------------------------------------------------------------------- lexer


class TokenKind(IntEnum):
    """What a token is: text, or which kind of ``{{...}}`` tag."""

    TEXT = 0
    MUSTACHE = 1  # {{value}}
    RAW = 2  # {{{value}}} or {{& value}}
    COMMENT = 3  # {{! ...}} or {{!-- ... --}}
    OPEN = 4  # {{#block}}
    INLINE = 5  # {{#* inline "name"}}
    INVERSE = 6  # {{^block}}
    CLOSE = 7  # {{/block}}
    ELSE = 8  # {{else}}, {{else if ...}} or {{^}}
    PARTIAL = 9  # {{> name}}


# Tags that, alone on their line, take the whole line with them (Handlebars "standalone").
_STANDALONE_KINDS = frozenset(
    {
        TokenKind.COMMENT,
        TokenKind.OPEN,
        TokenKind.INLINE,
        TokenKind.INVERSE,
        TokenKind.CLOSE,
        TokenKind.ELSE,
        TokenKind.PARTIAL,
    }
)


@dataclass(slots=True)
class Token:
    """One piece of a template: text, or a tag with its inner text, where it starts
    (an offset into the source) and its ``~`` whitespace control.

    After whitespace control, ``standalone`` says the tag stood alone on its line (the
    line is gone), ``indent`` is the whitespace that line began with (kept for partial
    references, whose content takes it), and ``line_start`` says the token's remaining
    content begins a line of the source (where an indented partial adds its indent).
    """

    kind: TokenKind
    text: str
    offset: int
    strip_before: bool = False
    strip_after: bool = False
    standalone: bool = False
    indent: str = ""
    line_start: bool = False


def position(source: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``source``."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def syntax_error(source: str, offset: int, reason: str) -> TemplateSyntaxError:
    """The error for ``reason`` at ``offset`` in ``source``, with its line and column."""
    line, column = position(source, offset)
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


def tokenize(source: str) -> list[Token]:
    """The tokens of a template part, whitespace control applied.

    Raises
    ------
    TemplateSyntaxError
        When a tag is not closed or is empty.
    """
    tokens: list[Token] = []
    text_start = 0
    pos = 0
    while True:
        opening = source.find("{{", pos)
        if opening < 0:
            break
        if opening > 0 and source[opening - 1] == "\\":
            # \{{ is a literal "{{" in Handlebars.
            if opening - 1 > text_start:
                tokens.append(Token(TokenKind.TEXT, source[text_start : opening - 1], text_start))
            text_start = opening
            pos = opening + 2
            continue
        if opening > text_start:
            tokens.append(Token(TokenKind.TEXT, source[text_start:opening], text_start))
        index = opening + 2
        strip_before = source.startswith("~", index)
        if strip_before:
            index += 1
        if source.startswith("!--", index):
            end = source.find("--", index + 3)
            while end >= 0 and not re.match(r"--~?\}\}", source[end:]):
                end = source.find("--", end + 1)
            if end < 0:
                raise syntax_error(source, opening, "comment is not closed with --}}")
            close = source.find("}}", end)
            strip_after = source[close - 1] == "~"
            tokens.append(Token(TokenKind.COMMENT, "", opening, strip_before, strip_after))
            pos = close + 2
        elif source.startswith("{", index):
            match = re.compile(r"\}(~?)\}\}").search(source, index + 1)
            if match is None:
                raise syntax_error(source, opening, "{{{ is not closed with }}}")
            inner = source[index + 1 : match.start()]
            tokens.append(Token(TokenKind.RAW, inner, opening, strip_before, bool(match.group(1))))
            pos = match.end()
        else:
            close = _find_close(source, index, "}}")
            if close < 0:
                raise syntax_error(source, opening, "{{ is not closed with }}")
            inner = source[index:close]
            strip_after = inner.endswith("~")
            if strip_after:
                inner = inner[:-1]
            tokens.append(_classify(source, opening, inner, strip_before, strip_after))
            pos = close + 2
        text_start = pos
    if text_start < len(source):
        tokens.append(Token(TokenKind.TEXT, source[text_start:], text_start))
    _apply_whitespace_control(source, tokens)
    return tokens


def _classify(source: str, offset: int, inner: str, before: bool, after: bool) -> Token:
    stripped = inner.strip()
    if not stripped:
        raise syntax_error(source, offset, "empty {{ }}")
    lead = stripped[0]
    if lead == "=":
        raise syntax_error(
            source, offset, "set-delimiter tags ({{=<% %>=}}) are not supported: use {{ }}"
        )
    if lead == "*":
        raise syntax_error(
            source, offset, 'decorators other than {{#* inline "name"}} are not supported'
        )
    if lead == "!":
        return Token(TokenKind.COMMENT, "", offset, before, after)
    if lead == "&":
        return Token(TokenKind.RAW, stripped[1:], offset, before, after)
    if lead == "#":
        rest = stripped[1:].strip()
        if rest.startswith("*"):
            return Token(TokenKind.INLINE, rest[1:].strip(), offset, before, after)
        if rest.startswith(">"):
            raise syntax_error(source, offset, "partial blocks ({{#> }}) are not supported")
        return Token(TokenKind.OPEN, rest, offset, before, after)
    if lead == "^":
        rest = stripped[1:].strip()
        kind = TokenKind.ELSE if not rest else TokenKind.INVERSE
        return Token(kind, rest, offset, before, after)
    if lead == "/":
        return Token(TokenKind.CLOSE, stripped[1:].strip(), offset, before, after)
    if lead == ">":
        return Token(TokenKind.PARTIAL, stripped[1:].strip(), offset, before, after)
    if stripped == "else" or stripped.startswith(("else ", "else\t", "else\n")):
        return Token(TokenKind.ELSE, stripped[4:].strip(), offset, before, after)
    return Token(TokenKind.MUSTACHE, stripped, offset, before, after)


_LEADING_LINE_BREAK = re.compile(r"^[ \t]*(?:\r?\n|$)")
_LINE_BREAK_FIRST = re.compile(r"^[ \t]*\r?\n")


def _apply_whitespace_control(source: str, tokens: list[Token]) -> None:
    # Decide which tags stand alone on their line from the source as written, then trim.
    standalone = [
        token.kind in _STANDALONE_KINDS and _is_standalone(tokens, index)
        for index, token in enumerate(tokens)
    ]
    for token in tokens:
        token.line_start = token.offset == 0 or source[token.offset - 1] == "\n"
    for index, token in enumerate(tokens):
        if token.kind == TokenKind.TEXT:
            continue
        before = tokens[index - 1] if index > 0 else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if standalone[index]:
            token.standalone = True
            token.line_start = False  # its line is removed
            if before is not None:
                cut = before.text.rfind("\n") + 1
                token.indent = before.text[cut:]
                before.text = before.text[:cut]
            if after is not None:
                after.text = _LEADING_LINE_BREAK.sub("", after.text, count=1)
                after.line_start = True
        if token.strip_before:
            token.line_start = False
            if before is not None and before.kind == TokenKind.TEXT:
                before.text = before.text.rstrip()
        if token.strip_after and after is not None and after.kind == TokenKind.TEXT:
            after.text = after.text.lstrip()
            after.line_start = False


def _is_standalone(tokens: list[Token], index: int) -> bool:
    before = tokens[index - 1] if index > 0 else None
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if before is not None:
        if before.kind != TokenKind.TEXT:
            return False
        _, newline, tail = before.text.rpartition("\n")
        if tail.strip(" \t") or (not newline and index != 1):
            return False
    if after is None:
        return True
    if after.kind != TokenKind.TEXT:
        return False
    if index + 2 == len(tokens) and not after.text.strip(" \t"):
        return True
    return _LINE_BREAK_FIRST.match(after.text) is not None
