"""Pinpoint's arithmetic, encoding and hashing helpers (add, subtract, multiply,
divide, modulo, ceiling, floor, round, encode64, decode64, md5, sha256, sha512, uuid)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import uuid
from typing import Any

from clarion.domain.templates.engine.runtime import HelperCall, helper
from clarion.domain.templates.engine.values import HelperError, as_number
from clarion.domain.templates.helpers.logic import two_args
from clarion.domain.templates.helpers.strings import text_arg

# ---- numbers and encoding


def _numbers(call: HelperCall) -> tuple[float, float]:
    left, right = two_args(call)
    return as_number(left), as_number(right)


@helper("add")
def _add(call: HelperCall) -> Any:
    a, b = _numbers(call)
    return a + b


@helper("subtract")
def _subtract(call: HelperCall) -> Any:
    a, b = _numbers(call)
    return a - b


@helper("multiply")
def _multiply(call: HelperCall) -> Any:
    a, b = _numbers(call)
    return a * b


@helper("divide")
def _divide(call: HelperCall) -> Any:
    a, b = _numbers(call)
    if b == 0:
        raise HelperError("division by zero")
    return a / b


@helper("modulo")
def _modulo(call: HelperCall) -> Any:
    a, b = _numbers(call)
    if b == 0:
        raise HelperError("modulo by zero")
    return math.fmod(a, b)  # the sign follows the dividend, as in Java and JavaScript


@helper("ceiling")
def _ceiling(call: HelperCall) -> Any:
    return math.ceil(as_number(call.param(0)))


@helper("floor")
def _floor(call: HelperCall) -> Any:
    return math.floor(as_number(call.param(0)))


@helper("round")
def _round(call: HelperCall) -> Any:
    return math.floor(as_number(call.param(0)) + 0.5)  # halves go up, as Java's Math.round


@helper("encode64")
def _encode64(call: HelperCall) -> Any:
    return base64.b64encode(text_arg(call).encode()).decode("ascii")


@helper("decode64")
def _decode64(call: HelperCall) -> Any:
    try:
        return base64.b64decode(text_arg(call), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise HelperError("not Base64-encoded UTF-8 text") from None


@helper("md5")
def _md5(call: HelperCall) -> Any:
    return hashlib.md5(text_arg(call).encode(), usedforsecurity=False).hexdigest()


@helper("sha256")
def _sha256(call: HelperCall) -> Any:
    return hashlib.sha256(text_arg(call).encode()).hexdigest()


@helper("sha512")
def _sha512(call: HelperCall) -> Any:
    return hashlib.sha512(text_arg(call).encode()).hexdigest()


@helper("uuid")
def _uuid(call: HelperCall) -> Any:
    return str(uuid.uuid4())
