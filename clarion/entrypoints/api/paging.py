"""Pinpoint's pagination: ``page-size`` and ``token`` (``next-token`` for KPIs) in the
query string, ``NextToken`` in the list response.

Tokens are opaque to callers: the base64 of the offset into the list, ordered by id,
so a page is stable while nothing is added or removed before it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from clarion.entrypoints.api.errors import BadRequestError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_T = TypeVar("_T")


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequestError(f"Token: {token!r} is not a token this API gave") from None
    if kind != "o" or offset < 0:
        raise BadRequestError(f"Token: {token!r} is not a token this API gave")
    return offset


def page_size(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise BadRequestError(f"PageSize: {value!r} is not a whole number") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequestError(f"PageSize: must be 1 to {MAX_PAGE_SIZE}, not {size}")
    return size


def page(items: Sequence[_T], size: Any, token: Any) -> tuple[list[_T], str | None]:
    """One page of ``items`` and the token of the next (None on the last page)."""
    count = page_size(size)
    start = decode_token(str(token)) if token else 0
    chosen = list(items[start : start + count])
    following = start + count
    return chosen, (encode_token(following) if following < len(items) else None)


def listing(items: Sequence[dict[str, Any]], size: Any, token: Any) -> dict[str, Any]:
    """``{"Item": [...], "NextToken": ...}``: the shape of every Pinpoint list."""
    chosen, next_token = page(items, size, token)
    body: dict[str, Any] = {"Item": chosen}
    if next_token:
        body["NextToken"] = next_token
    return body
