"""JSON text from outside (a file, a request body, a line of a file), parsed with the
checks :func:`json.loads` leaves to its caller.

Why not plain ``json.loads``: it raises ``UnicodeDecodeError`` on bytes that are not
UTF-8 and ``RecursionError`` on deeply nested arrays (``[[[[...``), neither of them a
``JSONDecodeError``, so every reader that caught only that one let a traceback through.
And a document that parses may still nest deeper than the validators and writers that
walk it recursively can follow. One function, used by every reader of outside JSON
(the CLI's files, the API's bodies, the line readers of imports, events and posts),
turns all of these into :class:`JsonInputError`, whose message says what is wrong
without quoting the input (it may hold personal data).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonInputError", "json_depth", "parse_json"]

# Pinpoint's deepest request bodies (a journey's conditional split over a segment group's
# dimensions) nest about a dozen levels; sixty-four leaves room and stays far from the
# interpreter's recursion limit for everything that walks the document afterwards.
MAX_JSON_DEPTH = 64


class JsonInputError(ValueError):
    """Outside input that is not the JSON it should be; the message says why."""


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep ``value`` nests (a scalar is 0, ``[]`` is 1), counted without recursion,
    stopping early once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((child, depth) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of ``data`` (bytes are read as UTF-8, a leading BOM skipped).

    Raises
    ------
    JsonInputError
        When the input is empty, not UTF-8, not JSON, or nests deeper than ``max_depth``.
    """
    if isinstance(data, bytes | bytearray):
        raw = bytes(data)
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError(
                f"is not UTF-8 text (byte {exc.start} cannot be decoded)"
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if not text.strip():
        raise JsonInputError("is empty")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise JsonInputError(f"nests deeper than {max_depth} levels") from None
    if json_depth(value, max_depth) > max_depth:
        raise JsonInputError(f"nests deeper than {max_depth} levels")
    return value
