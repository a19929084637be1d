"""How template values behave: truthiness and emptiness as Handlebars.js has them,
the text a value prints as (lists joined by commas, numbers without trailing zeros),
numbers read from text, and HTML escaping."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_NUMBER_DECIMALS = 8


class HelperError(Exception):
    """A helper could not produce a value from the data it was given."""


# --------------------------------------------------------------------------- values


def is_empty(value: Any) -> bool:
    """Whether a value is missing for substitution: None, "", or a list of only those."""
    if value is None or value == "":
        return True
    if type(value) is list:
        if len(value) == 1:
            only = value[0]
            return only is None or only == ""
        return all(item is None or item == "" for item in value)
    return False


def is_truthy(value: Any) -> bool:
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
        raise HelperError(f"{number} is not a finite number")
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = f"{number:.{MAX_NUMBER_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def as_text(value: Any) -> str:
    """Text for a value; lists join with commas, as Handlebars.js prints an array."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is list or kind is tuple:
        if len(value) == 1:
            return as_text(value[0])
        return ",".join(as_text(item) for item in value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return format_number(value)
    if isinstance(value, Mapping):
        raise HelperError("an object has no text form; name one of its fields")
    return str(value)


def as_scalar(value: Any) -> Any:
    """A one-item list's item (attribute values are lists); any other value as is."""
    if type(value) is list and len(value) == 1:
        return value[0]
    return value


def as_number(value: Any) -> float:
    """A value as a number (numbers, and text that reads as one).

    Raises
    ------
    HelperError
        When the value is not a number.
    """
    value = as_scalar(value)
    if isinstance(value, bool) or value is None:
        raise HelperError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise HelperError(f"{as_text(value)!r} is not a number") from None


def number_or_none(value: Any) -> float | None:
    """A value as a number, or None when it is not one."""
    try:
        return as_number(value)
    except HelperError:
        return None


# What Handlebars.js escapes in ``{{value}}``, as a ``str.translate`` table.
HTML_ESCAPES = str.maketrans(
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
    return text.translate(HTML_ESCAPES)
