"""Pinpoint's string helpers (upper, lower, capitalize, abbreviate, center, cut,
replace, join, slugify, stripTags, substring, inflect, ordinalize, yesno, ...)."""

from __future__ import annotations

import re
from typing import Any

from clarion.domain.templates.engine.runtime import HelperCall, helper
from clarion.domain.templates.engine.values import (
    HelperError,
    as_number,
    as_scalar,
    as_text,
    format_number,
    is_truthy,
)

# ---- strings


def text_arg(call: HelperCall, index: int = 0) -> str:
    """The text of positional argument ``index`` ("" when missing)."""
    return as_text(call.param(index))


def _int_arg(call: HelperCall, value: Any, what: str) -> int:
    number = as_number(value)
    if not number.is_integer() or number < 0:
        raise HelperError(f"{what} must be a whole number, 0 or more")
    return int(number)


@helper("upper")
def _upper(call: HelperCall) -> Any:
    return text_arg(call).upper()


@helper("lower")
def _lower(call: HelperCall) -> Any:
    return text_arg(call).lower()


@helper("capitalizeFirst")
def _capitalize_first(call: HelperCall) -> Any:
    text = text_arg(call)
    return text[:1].upper() + text[1:]


@helper("capitalize")
def _capitalize(call: HelperCall) -> Any:
    fully = is_truthy(call.hash.get("fully"))
    words = re.split(r"(\s+)", text_arg(call))
    return "".join(
        w[:1].upper() + (w[1:].lower() if fully else w[1:]) if w and not w.isspace() else w
        for w in words
    )


@helper("abbreviate")
def _abbreviate(call: HelperCall) -> Any:
    text = text_arg(call)
    width = _int_arg(call, call.param(1), "abbreviate's length")
    if len(text) <= width:
        return text
    if width < 4:
        raise HelperError("abbreviate needs a length of 4 or more")
    return text[: width - 3] + "..."


def _size_and_pad(call: HelperCall) -> tuple[int, str]:
    size_value = call.hash.get("size", call.param(1))
    size = _int_arg(call, size_value, f"{call.name}'s size")
    pad = as_text(call.hash.get("pad", " ")) or " "
    return size, pad[0]


@helper("center")
def _center(call: HelperCall) -> Any:
    text = text_arg(call)
    size, pad = _size_and_pad(call)
    padding = size - len(text)
    if padding <= 0:
        return text
    left = padding // 2
    return pad * left + text + pad * (padding - left)


@helper("ljust")
def _ljust(call: HelperCall) -> Any:
    text = text_arg(call)
    size, pad = _size_and_pad(call)
    return text + pad * max(0, size - len(text))


@helper("rjust")
def _rjust(call: HelperCall) -> Any:
    text = text_arg(call)
    size, pad = _size_and_pad(call)
    return pad * max(0, size - len(text)) + text


@helper("cut")
def _cut(call: HelperCall) -> Any:
    remove = as_text(call.param(1, " ")) or " "
    return text_arg(call).replace(remove, "")


@helper("replace")
def _replace(call: HelperCall) -> Any:
    if len(call.params) < 3:
        raise HelperError("replace needs a value, the text to replace and its replacement")
    return text_arg(call).replace(text_arg(call, 1), text_arg(call, 2))


@helper("join")
def _join(call: HelperCall) -> Any:
    items = call.param(0)
    if items is None:
        items = []
    elif not isinstance(items, list | tuple):
        items = [items]
    separator = as_text(call.param(1, ","))
    prefix = as_text(call.hash.get("prefix", ""))
    suffix = as_text(call.hash.get("suffix", ""))
    return prefix + separator.join(as_text(item) for item in items) + suffix


@helper("slugify")
def _slugify(call: HelperCall) -> Any:
    text = re.sub(r"[^\w\s-]", "", text_arg(call)).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


@helper("stripTags")
def _strip_tags(call: HelperCall) -> Any:
    return re.sub(r"<[^>]*>", "", text_arg(call))


@helper("substring")
def _substring(call: HelperCall) -> Any:
    text = text_arg(call)
    start = _int_arg(call, call.param(1, 0), "substring's startOffset")
    end_value = call.param(2)
    end = len(text) if end_value is None else _int_arg(call, end_value, "substring's endOffset")
    return text[start:end]


@helper("inflect", words=(1, 2))
def _inflect(call: HelperCall) -> Any:
    count = as_number(call.param(0))
    singular = call.literal_or_value(call.param(1), _raw(call, 1))
    plural = call.literal_or_value(call.param(2), _raw(call, 2))
    word = as_text(singular if count == 1 else plural)
    if (
        is_truthy(call.hash.get("includeCount"))
        and as_text(call.hash.get("includeCount")) != "false"
    ):
        return f"{format_number(count)} {word}"
    return word


def _raw(call: HelperCall, index: int) -> str | None:
    return call.raw_params[index] if index < len(call.raw_params) else None


@helper("ordinalize")
def _ordinalize(call: HelperCall) -> Any:
    number = as_number(call.param(0))
    if not number.is_integer():
        raise HelperError("ordinalize needs a whole number")
    value = int(number)
    last_two = abs(value) % 100
    suffix = "th" if 11 <= last_two <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(last_two % 10, "th")
    return f"{value}{suffix}"


@helper("yesno")
def _yesno(call: HelperCall) -> Any:
    value = as_scalar(call.param(0))
    yes = as_text(call.hash.get("yes", "yes"))
    no = as_text(call.hash.get("no", "no"))
    maybe = as_text(call.hash.get("maybe", "maybe"))
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
    return yes if is_truthy(value) else no
