"""The ASGI application: every operation of botocore's ``pinpoint`` model routed, each
request read and checked against the model, one function called, and the answer or the
error written in Pinpoint's shapes.

Built on Starlette, the ASGI toolkit FastAPI itself is made of. The routes, parameters
and validation come from the service model, not from Python signatures, so FastAPI's
own layer (pydantic request models, OpenAPI) would add nothing here, and importing it
costs more than a second of a Lambda cold start (bench/bench_api.py measures the
import). The console mounts beside these routes later (``/console/``).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from clarion.domain.common.errors import (
    ImportFileError,
    InUseError,
    InvalidRecordError,
    NotFoundError,
    ProtectedError,
)
from clarion.domain.common.ids import id_problem
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.entrypoints.api.access import authorize, console_user
from clarion.entrypoints.api.context import Api, Call
from clarion.entrypoints.api.errors import (
    ApiError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InternalServerError,
    NotOfferedError,
    PayloadTooLargeError,
    ResourceNotFoundError,
    TooManyRequestsError,
    error_body,
)
from clarion.entrypoints.api.extensions import EXTENSIONS, PATH_MEMBERS, Download, Extension
from clarion.entrypoints.api.extensions import parse_body as parse_extension_body
from clarion.entrypoints.api.model import (
    OperationSpec,
    RequestShapeError,
    query_value,
    routes_in_match_order,
    validate_input,
    validate_output,
)
from clarion.entrypoints.api.registry import NOT_OFFERED, handlers

if TYPE_CHECKING:
    from clarion.bootstrap import Bootstrap

__all__ = ["MAX_BODY_BYTES", "TOKEN_HEADER", "RateLimit", "create_app"]

logger = logging.getLogger("clarion.api")

# API Gateway's own limit is 10 MB and a synchronous Lambda payload 6 MB (the body and
# the event around it): 5 MiB leaves room for the rest of the event.
MAX_BODY_BYTES = 5 * 1024 * 1024
_JSON = "application/json"
# The optional local token (``clarion serve --token``) travels in this header, beside
# botocore's own SigV4 Authorization header.
TOKEN_HEADER = "x-clarion-token"  # noqa: S105 - a header name, not a secret


class RateLimit:
    """A token bucket per caller (the access key of the SigV4 Authorization header, else
    the client address): ``rate`` requests a second, bursts of ``burst``. On AWS, API
    Gateway and WAF throttle instead; locally ``clarion serve --rate-limit`` sets one."""

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, caller: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[caller] = (tokens - 1.0 if allowed else tokens, now)
        return allowed


def caller_of(request: Request) -> str:
    """Who is calling: the access key id of a SigV4 ``Authorization`` header, else the
    client's address."""
    authorization = request.headers.get("authorization", "")
    marker = "Credential="
    if marker in authorization:
        return authorization.split(marker, 1)[1].split("/", 1)[0]
    client = request.client
    return client.host if client else "unknown"


def _json_response(
    status: int, body: Any, request_id: str, headers: Mapping[str, str] | None = None
) -> Response:
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return Response(
        content,
        status_code=status,
        media_type=_JSON if body is not None else None,
        headers={"x-amzn-RequestId": request_id, **(headers or {})},
    )


def error_response(error: ApiError, request_id: str) -> Response:
    return _json_response(
        error.status,
        error_body(error, request_id),
        request_id,
        {"X-Amzn-ErrorType": error.code},
    )


async def _read_params(spec: OperationSpec, request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    path = request.path_params
    for member in spec.path_members:
        key = member.wire_name.replace("-", "_")
        if key in path:
            params[member.name] = path[key]
    grouped: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        grouped.setdefault(key, []).append(value)
    for member in spec.query_members:
        if member.wire_name in grouped:
            params[member.name] = query_value(member, grouped[member.wire_name])
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"the request body is over {MAX_BODY_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"the request body is over {MAX_BODY_BYTES} bytes")
    if spec.payload is not None and raw.strip():
        try:
            params[spec.payload] = parse_json(raw)
        except JsonInputError as exc:
            raise BadRequestError(f"the request body ({spec.payload}) {exc}") from None
    return params


def _check_path_ids(spec: OperationSpec, params: Mapping[str, Any]) -> list[str]:
    """Problems of the ids in the path: each is a key or a file name below (the id rule,
    clarion.domain.common.ids); an ARN is not an id."""
    problems = []
    for member in spec.path_members:
        value = params.get(member.name)
        if member.wire_name == "resource-arn" or value is None:
            continue
        reason = id_problem(value)
        if reason is not None:
            problems.append(f"{member.name}: {reason}")
    return problems


def _run(function: Callable[[Call], Any], call: Call) -> Any:
    try:
        return function(call)
    except ApiError:
        raise
    except NotFoundError as exc:
        raise ResourceNotFoundError(str(exc)) from None
    except InvalidRecordError as exc:
        raise BadRequestError.of(exc.problems) from None
    except InUseError as exc:
        raise ConflictError(str(exc)) from None
    except ProtectedError as exc:
        raise ForbiddenError(str(exc)) from None
    except ImportFileError as exc:
        raise BadRequestError(str(exc)) from None


class Guard:
    """Checks done before any operation: a console user's group (access.py), the
    caller's rate and, when one is set, the local token (``clarion serve --token``)."""

    def __init__(self, rate_limit: RateLimit | None, token: str | None) -> None:
        self.rate_limit = rate_limit
        self.token = token

    def check(self, request: Request, operation: str) -> None:
        authorize(console_user(request.scope), operation)
        if self.token is not None:
            given = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                raise ForbiddenError(f"this server asks for its token in the {TOKEN_HEADER} header")
        if self.rate_limit is not None and not self.rate_limit.allow(caller_of(request)):
            raise TooManyRequestsError("Too many requests: slow down and retry")


class _ExtensionEndpoint:
    """The Starlette endpoint of one Clarion extension operation (``/clarion/...``)."""

    def __init__(self, spec: Extension, api: Api, guard: Guard) -> None:
        self.spec = spec
        self.api = api
        self.guard = guard

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            self.guard.check(request, self.spec.name)
            params: dict[str, Any] = {
                PATH_MEMBERS[key]: value for key, value in request.path_params.items()
            }
            wrong = [
                f"{name}: {reason}"
                for name, value in params.items()
                if (reason := id_problem(value)) is not None
            ]
            if wrong:
                raise BadRequestError.of(wrong)
            params["Query"] = dict(request.query_params)
            user = console_user(request.scope)
            params["Identity"] = user.to_identity() if user else None
            raw = await request.body()
            if len(raw) > MAX_BODY_BYTES:
                raise PayloadTooLargeError(f"the request body is over {MAX_BODY_BYTES} bytes")
            if self.spec.raw_body:
                params["Raw"] = raw
            else:
                params["Body"] = parse_extension_body(raw)
            call = Call(self.spec.name, params, request_id, self.api)
            body = await run_in_threadpool(_run, self.spec.function, call)
        except ApiError as error:
            return error_response(error, request_id)
        except Exception:
            logger.exception("extension %s failed", self.spec.name)
            return error_response(InternalServerError("Internal server error"), request_id)
        if isinstance(body, Download):
            return Response(
                body.content,
                media_type=body.media_type,
                headers={
                    "x-amzn-RequestId": request_id,
                    "Content-Disposition": f'attachment; filename="{body.filename}"',
                },
            )
        return _json_response(self.spec.status, body, request_id)


class _Endpoint:
    """The Starlette endpoint of one operation."""

    def __init__(
        self,
        spec: OperationSpec,
        api: Api,
        *,
        validate_responses: bool,
        guard: Guard,
    ) -> None:
        self.spec = spec
        self.api = api
        self.validate_responses = validate_responses
        self.guard = guard

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        spec = self.spec
        try:
            self.guard.check(request, spec.name)
            function = handlers().get(spec.name)
            if function is None:
                reason = NOT_OFFERED.get(spec.name, "it is not offered")
                raise NotOfferedError(f"{spec.name} is not offered by Clarion: {reason}")
            try:
                params = await _read_params(spec, request)
            except RequestShapeError as exc:
                raise BadRequestError(str(exc)) from None
            problems = _check_path_ids(spec, params) or validate_input(spec.name, params)
            if problems:
                raise BadRequestError.of(problems)
            call = Call(spec.name, params, request_id, self.api)
            body = await run_in_threadpool(_run, function, call)
        except ApiError as error:
            return error_response(error, request_id)
        except Exception:
            # Only the operation and the error type: the input may hold personal data.
            logger.exception("operation %s failed", spec.name)
            return error_response(InternalServerError("Internal server error"), request_id)
        if self.validate_responses:
            wrong = validate_output(spec.name, body)
            if wrong:
                raise AssertionError(f"{spec.name} answered outside its shape: {wrong}")
        return _json_response(spec.status, body, request_id)


def routes(
    api: Api, *, validate_responses: bool = False, guard: Guard | None = None
) -> list[BaseRoute]:
    """One route per operation of the model, in match order, then the extensions."""
    guard = guard or Guard(None, None)
    modelled: list[BaseRoute] = [
        Route(
            spec.route,
            _Endpoint(spec, api, validate_responses=validate_responses, guard=guard).handle,
            methods=[spec.method],
            name=spec.name,
        )
        for spec in routes_in_match_order()
    ]
    extensions: list[BaseRoute] = [
        Route(
            spec.route,
            _ExtensionEndpoint(spec, api, guard).handle,
            methods=[spec.method],
            name=spec.name,
        )
        for spec in EXTENSIONS
    ]
    return modelled + extensions


async def _http_error(request: Request, exc: Exception) -> Response:
    request_id = str(uuid.uuid4())
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        error: ApiError = NotOfferedError(f"{request.method} is not a method of {request.url.path}")
    elif status == 404:
        error = ResourceNotFoundError(
            f"no Pinpoint operation at {request.method} {request.url.path}"
        )
    else:
        error = InternalServerError("Internal server error")
    return error_response(error, request_id)


def create_app(
    bootstrap: Bootstrap | Callable[[], Bootstrap],
    *,
    validate_responses: bool = False,
    rate_limit: RateLimit | None = None,
    token: str | None = None,
    console: bool = True,
) -> Starlette:
    """The Pinpoint REST API on ``bootstrap``'s services.

    Parameters
    ----------
    bootstrap
        The root composition root, or a function making it on first use.
    validate_responses
        Check every answer against the operation's output shape (tests), raising when
        one does not fit.
    rate_limit
        Throttle each caller (``TooManyRequestsException``); None for no limit.
    token
        When set, every operation asks for it in the ``x-clarion-token`` header
        (``ForbiddenException`` otherwise); the console's pages ask for it once.
    console
        Serve the console's pages at ``/console/`` (docs/console.md).
    """
    from clarion.entrypoints.console import console_routes

    api = Api(bootstrap)
    guard = Guard(rate_limit, token)
    served = routes(api, validate_responses=validate_responses, guard=guard)
    if console:
        served += console_routes(token_required=token is not None)
    app = Starlette(routes=served, exception_handlers={HTTPException: _http_error})
    app.state.api = api
    return app
