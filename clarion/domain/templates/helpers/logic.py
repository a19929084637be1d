"""Pinpoint's conditional and iteration helpers: if, unless, eq, neq, gt, gte, lt,
lte, and, or, not, each, with, lookup, log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarion.domain.templates.engine.lookup import child_value
from clarion.domain.templates.engine.runtime import HelperCall, helper, render_items
from clarion.domain.templates.engine.values import (
    HelperError,
    as_scalar,
    as_text,
    is_truthy,
    number_or_none,
)


def _condition(call: HelperCall, result: bool) -> Any:
    """Pinpoint's conditional helpers: a block picks a branch; inline, ``yes=``/``no=``
    pick a string, and with neither the result is the boolean itself (for nesting)."""
    if call.is_block:
        return call.fn_this() if result else call.inverse()
    if "yes" in call.hash or "no" in call.hash:
        return call.hash.get("yes", "") if result else call.hash.get("no", "")
    return result


def _compare(left: Any, right: Any) -> int:
    a, b = number_or_none(left), number_or_none(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    text_a, text_b = as_text(as_scalar(left)), as_text(as_scalar(right))
    return (text_a > text_b) - (text_a < text_b)


def two_args(call: HelperCall) -> tuple[Any, Any]:
    """The first two arguments of a comparison.

    Raises
    ------
    HelperError
        When fewer were given.
    """
    if len(call.params) < 2:
        raise HelperError(f"{call.name} needs two values")
    return call.params[0], call.params[1]


@helper("if")
def _if(call: HelperCall) -> Any:
    return _condition(call, is_truthy(call.param(0)))


@helper("unless")
def _unless(call: HelperCall) -> Any:
    return _condition(call, not is_truthy(call.param(0)))


@helper("eq")
def _eq(call: HelperCall) -> Any:
    return _condition(call, _compare(*two_args(call)) == 0)


@helper("neq")
def _neq(call: HelperCall) -> Any:
    return _condition(call, _compare(*two_args(call)) != 0)


@helper("gt")
def _gt(call: HelperCall) -> Any:
    return _condition(call, _compare(*two_args(call)) > 0)


@helper("gte")
def _gte(call: HelperCall) -> Any:
    return _condition(call, _compare(*two_args(call)) >= 0)


@helper("lt")
def _lt(call: HelperCall) -> Any:
    return _condition(call, _compare(*two_args(call)) < 0)


@helper("lte")
def _lte(call: HelperCall) -> Any:
    return _condition(call, _compare(*two_args(call)) <= 0)


@helper("and")
def _and(call: HelperCall) -> Any:
    return _condition(call, bool(call.params) and all(is_truthy(p) for p in call.params))


@helper("or")
def _or(call: HelperCall) -> Any:
    return _condition(call, any(is_truthy(p) for p in call.params))


@helper("not")
def _not(call: HelperCall) -> Any:
    return _condition(call, not is_truthy(call.param(0)))


@helper("each")
def _each(call: HelperCall) -> Any:
    items = call.param(0)
    if not call.is_block:
        raise HelperError("each is a block helper: {{#each}}...{{/each}}")
    if items is None or items == [] or items == "":
        return call.inverse()
    if not isinstance(items, list | tuple | Mapping):
        items = [items]  # a single value (such as a default) is a one-item list
    program = call.program
    assert program is not None  # a block always has a program
    return render_items(
        items, call.scope, call.state, lambda s, _: program(s), f"each {call.raw_params[0]}"
    )


@helper("with")
def _with(call: HelperCall) -> Any:
    value = call.param(0)
    if not call.is_block:
        raise HelperError("with is a block helper: {{#with}}...{{/with}}")
    return call.fn(value) if is_truthy(value) else call.inverse()


@helper("lookup")
def _lookup(call: HelperCall) -> Any:
    if len(call.params) < 2:
        raise HelperError("lookup needs an object and a key")
    return child_value(call.param(0), as_text(call.param(1)))


@helper("log")
def _log(call: HelperCall) -> Any:
    return ""
