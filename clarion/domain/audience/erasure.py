"""Erasing a person: who is erased (their endpoint ids, user id and addresses), how a
stored value is recognised as theirs, how a record is scrubbed, and the receipt.

Matching is exact for ids (an id must stand alone: ``ep-1`` never matches inside
``ep-10``) and by containment for addresses (an address is long and distinctive, and
appears inside headers such as ``Zoë <zoe@example.com>``). A scrubbed record keeps its
shape: values that were the person's become one irreversible token (random, never
derived from the value, so it cannot be reversed by hashing guesses), and list items
or map entries that were the person's are dropped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ERASED_PREFIX",
    "ErasedItem",
    "ErasureReceipt",
    "ErasureSubject",
    "erasure_token",
]

ERASED_PREFIX = "erased-"
# Characters that may continue an id: a match must not be next to one of these.
_ID_CHARACTERS = r"A-Za-z0-9_\-"
_ID_CHARACTER = f"[{_ID_CHARACTERS}]"


def erasure_token() -> str:
    """A new irreversible token (random: it carries nothing of what it replaces)."""
    return ERASED_PREFIX + uuid.uuid4().hex


@dataclass(frozen=True)
class ErasureSubject:
    """The person being erased, as every store may hold them.

    Parameters
    ----------
    endpoint_ids
        Their endpoint ids.
    user_ids
        Their user ids (``User.UserId``), when known.
    addresses
        Their endpoints' addresses (email addresses, phone numbers, device tokens).
    """

    endpoint_ids: tuple[str, ...]
    user_ids: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        endpoint_ids: Iterable[str],
        user_ids: Iterable[str] = (),
        addresses: Iterable[str] = (),
    ) -> ErasureSubject:
        """A subject with duplicates and empty values removed (sorted, for stable SQL)."""
        return cls(
            tuple(sorted({i for i in endpoint_ids if i})),
            tuple(sorted({u for u in user_ids if u})),
            tuple(sorted({a for a in addresses if a})),
        )

    @property
    def ids(self) -> tuple[str, ...]:
        """Endpoint and user ids: the values matched exactly."""
        return tuple(sorted(set(self.endpoint_ids) | set(self.user_ids)))

    @property
    def values(self) -> tuple[str, ...]:
        """Every value of the person (ids and addresses)."""
        return tuple(sorted(set(self.ids) | set(self.addresses)))

    @property
    def empty(self) -> bool:
        return not self.values

    def pattern(self) -> re.Pattern[str]:
        """A regex finding the person in text: an id standing alone, or an address
        anywhere (longest first, so an address is replaced whole)."""
        parts = [
            rf"(?<!{_ID_CHARACTER}){re.escape(value)}(?!{_ID_CHARACTER})" for value in self.ids
        ] + [re.escape(address) for address in self.addresses]
        parts.sort(key=len, reverse=True)
        return re.compile("|".join(parts) if parts else r"(?!x)x")

    def matches(self, text: str) -> bool:
        """True when ``text`` holds the person's id or address."""
        return bool(self.pattern().search(text))

    def scrub_text(self, text: str, token: str) -> str:
        """``text`` with each of the person's values replaced by ``token``."""
        return self.pattern().sub(token, text)

    def scrub(self, value: Any, token: str) -> Any:
        """A JSON value with the person taken out: strings that hold them scrubbed,
        list items and map entries that are theirs (an id as a key, an object naming
        them) dropped."""
        if isinstance(value, str):
            return self.scrub_text(value, token)
        if isinstance(value, Mapping):
            return {
                str(key): self.scrub(item, token)
                for key, item in value.items()
                if not self.matches(str(key))
            }
        if isinstance(value, list):
            return [self.scrub(item, token) for item in value if not self._holds(item)]
        return value

    def _holds(self, value: Any) -> bool:
        if isinstance(value, str):
            return self.matches(value)
        if isinstance(value, Mapping):
            return any(self.matches(str(k)) or self._holds(v) for k, v in value.items())
        if isinstance(value, list):
            return any(self._holds(item) for item in value)
        return False


@dataclass(frozen=True)
class ErasedItem:
    """What one store gave up: ``action`` is ``deleted`` (records or files removed),
    ``rewritten`` (records kept with the person replaced by the token, or a file
    written again without them), ``found`` (held the person, left as it is) or
    ``scheduled`` (an asynchronous erase started: ``location`` names it, ``count`` says
    how many datasets it covers)."""

    store: str
    location: str
    action: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "Store": self.store,
            "Location": self.location,
            "Action": self.action,
            "Count": self.count,
        }


@dataclass
class ErasureReceipt:
    """What an erase removed where: the receipt answered to the caller (never stored:
    it names the erased endpoints only by count)."""

    requested: str
    endpoints: int
    token: str
    items: list[ErasedItem] = field(default_factory=list)
    erased_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "Requested": self.requested,
            "EndpointsErased": self.endpoints,
            "Token": self.token,
            "ErasedAt": self.erased_at,
            "Removed": [item.to_json() for item in self.items],
        }


def merge_items(items: Sequence[ErasedItem]) -> list[ErasedItem]:
    """Items with nothing removed dropped, in store then location order."""
    return sorted((i for i in items if i.count), key=lambda i: (i.store, i.location))
