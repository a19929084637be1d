"""Using boto3's own ``pinpoint`` client with Clarion's API.

Locally (``clarion serve``) nothing is needed but ``endpoint_url``; no request is signed
with anything the server checks::

    pinpoint = boto3.client("pinpoint", endpoint_url="http://127.0.0.1:8080")

On AWS the API sits behind API Gateway with IAM authorisation, which checks SigV4
signatures made for the ``execute-api`` service, where Pinpoint's own endpoint took
``mobiletargeting``. One line after making the client switches its signing::

    pinpoint = boto3.client("pinpoint", endpoint_url=PINPOINT_API_URL)  # the stack output
    clarion_client.sign_for_api_gateway(pinpoint)

or :func:`pinpoint_client` does both. Nothing else changes: every operation, shape and
error class is botocore's own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXECUTE_API", "pinpoint_client", "sign_for_api_gateway"]

EXECUTE_API = "execute-api"


def _sign_as_execute_api(request: Any, **_: Any) -> None:
    # botocore signs with request.context["signing"]["signing_name"] when it is set.
    request.context.setdefault("signing", {})["signing_name"] = EXECUTE_API


def sign_for_api_gateway(client: Any) -> Any:
    """Make ``client`` (boto3's pinpoint client) sign its requests for API Gateway
    (``execute-api``) instead of Pinpoint (``mobiletargeting``); returns it."""
    client.meta.events.register("before-sign.pinpoint.*", _sign_as_execute_api)
    return client


def pinpoint_client(api_url: str, *, session: Any = None, **client_kwargs: Any) -> Any:
    """boto3's pinpoint client for a deployed Clarion API (the ``PinpointApiUrl`` output),
    signing for API Gateway. ``session`` is a ``boto3.Session`` (the default one when
    None); other keyword arguments go to ``session.client``."""
    import boto3

    maker = session or boto3.session.Session()
    return sign_for_api_gateway(maker.client("pinpoint", endpoint_url=api_url, **client_kwargs))
