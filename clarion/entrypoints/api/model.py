"""Pinpoint's REST API as botocore's ``pinpoint`` service model describes it: each
operation's method, path, where its input members travel (path labels, query string,
the JSON payload), its status code and its output payload, and server-side validation
of requests against the operation's input shape.

The model is read from botocore's own data files (the package every AWS client already
carries), so the routes, names and shapes are exactly those the boto3 ``pinpoint``
client sends and parses. This is the one module of the API that imports botocore: it
reads the service description and never builds a client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

SERVICE = "pinpoint"
_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class Member:
    """One input member that travels outside the body: its name in the shape, its name
    on the wire and its type (``string``, ``boolean``, ``list``, ``timestamp``)."""

    name: str
    wire_name: str
    type_name: str


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """What the API needs to route, read and answer one operation."""

    name: str
    method: str
    uri: str
    status: int
    path_members: tuple[Member, ...]
    query_members: tuple[Member, ...]
    payload: str | None  # the input member holding the JSON body
    output_payload: str | None  # the output member the response body is
    required: tuple[str, ...]
    documentation: str

    @property
    def route(self) -> str:
        """The path with Starlette's parameter syntax; a label holding an ARN matches
        slashes too (botocore escapes them, but proxies may not)."""

        def label(match: re.Match[str]) -> str:
            name = match.group(1).rstrip("+")
            key = _python_name(name)
            return "{" + key + (":path}" if name == "resource-arn" else "}")

        return _LABEL.sub(label, self.uri)

    @property
    def static_parts(self) -> int:
        return sum(1 for part in self.uri.split("/") if part and not part.startswith("{"))


def _python_name(label: str) -> str:
    return label.replace("-", "_")


@cache
def service_model() -> ServiceModel:
    """botocore's ``pinpoint`` model (2016-12-01), read once."""
    loader = Loader()
    return ServiceModel(loader.load_service_model(SERVICE, "service-2"), SERVICE)


def _members(shape: StructureShape | None, location: str) -> tuple[Member, ...]:
    if shape is None:
        return ()
    return tuple(
        Member(name, member.serialization.get("name", name), member.type_name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == location
    )


def _spec(operation: OperationModel) -> OperationSpec:
    shape = operation.input_shape
    output = operation.output_shape
    return OperationSpec(
        name=operation.name,
        method=operation.http["method"],
        uri=operation.http["requestUri"],
        status=int(operation.http.get("responseCode", 200)),
        path_members=_members(shape, "uri"),
        query_members=_members(shape, "querystring"),
        payload=shape.serialization.get("payload") if shape is not None else None,
        output_payload=output.serialization.get("payload") if output is not None else None,
        required=tuple(shape.required_members) if shape is not None else (),
        documentation=_first_sentence(operation.documentation),
    )


def _first_sentence(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html or "").strip()
    return text.split(". ")[0].rstrip(".") + "." if text else ""


@cache
def operation_specs() -> dict[str, OperationSpec]:
    """Every operation of the model, by name."""
    model = service_model()
    return {name: _spec(model.operation_model(name)) for name in model.operation_names}


def routes_in_match_order() -> Iterator[OperationSpec]:
    """The operations ordered so that a path with more fixed segments is tried before
    one with a label in the same place (``/jobs/export`` before ``/{segment-id}``)."""
    specs = operation_specs().values()
    yield from sorted(specs, key=lambda s: (-s.uri.count("/"), -s.static_parts, s.uri, s.method))


def error_shapes() -> dict[str, int]:
    """Pinpoint's error codes and their HTTP statuses."""
    model = service_model()
    return {
        shape.name: int(shape.metadata["error"]["httpStatusCode"]) for shape in model.error_shapes
    }


# -- reading a request's members ---------------------------------------------------------


class RequestShapeError(ValueError):
    """A request does not fit its operation's input shape; the message says where."""


def _timestamp(value: str, wire_name: str) -> datetime:
    text = value.strip()
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RequestShapeError(f"{wire_name}: {value!r} is not an ISO-8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def query_value(member: Member, values: list[str]) -> Any:
    """A query-string member as the input shape types it."""
    if member.type_name == "list":
        return list(values)
    value = values[-1]
    if member.type_name == "boolean":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise RequestShapeError(f"{member.wire_name}: {value!r} is not true or false")
        return lowered == "true"
    if member.type_name == "timestamp":
        return _timestamp(value, member.wire_name)
    if member.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise RequestShapeError(f"{member.wire_name}: {value!r} is not an integer") from None
    return value


def validate_input(operation: str, params: Mapping[str, Any]) -> list[str]:
    """Problems of ``params`` against the operation's input shape (botocore's own
    checks: required members, types, lengths and ranges), one line each."""
    shape = service_model().operation_model(operation).input_shape
    return _report(params, shape)


def validate_output(operation: str, body: Mapping[str, Any] | None) -> list[str]:
    """Problems of a response payload against the operation's output payload shape
    (the tests check every response with it)."""
    output = service_model().operation_model(operation).output_shape
    if output is None:
        return [] if body is None else ["the operation answers no body"]
    payload = output.serialization.get("payload")
    if payload is None:
        return []
    return _report({payload: body} if body is not None else {}, output)


def _report(params: Mapping[str, Any], shape: Shape | None) -> list[str]:
    if shape is None:
        return []
    report = ParamValidator().validate(dict(params), shape)
    if not report.has_errors():
        return []
    lines = report.generate_report().splitlines()
    return [line for line in lines if line and not line.startswith("Parameter validation")]
