"""CampaignHooks called locally: an HTTP POST of the JSON payload to the hook's
WebUrl (``https://``, or ``http://`` on loopback for a hook running beside Clarion).
A hook given only as a Lambda function cannot run locally: the call says so."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any

from clarion.ports.campaigns import HookTarget

TIMEOUT_SECONDS = 30


def post_json(url: str, payload: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> Any:
    """POST ``payload`` as JSON to ``url``; the decoded answer (``{}`` when empty).

    Raises
    ------
    ValueError
        For a URL that is not https:// (or http:// on loopback).
    OSError
        When the call fails or answers a status other than 2xx.
    """
    loopback = url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    if not (url.startswith("https://") or loopback):
        raise ValueError(f"hook URL {url!r}: https:// only (plain http:// only on loopback)")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body = response.read()
    return json.loads(body) if body.strip() else {}


class WebhookCampaignHook:
    """CampaignHookInvoker for the local backend (module docstring)."""

    def invoke(self, target: HookTarget, payload: Mapping[str, Any]) -> dict[str, Any]:
        if not target.web_url:
            raise ValueError(
                f"the hook's Lambda function {target.lambda_function_name!r} runs on AWS only: "
                "give the hook a WebUrl for local runs"
            )
        answer = post_json(target.web_url, payload)
        return dict(answer) if isinstance(answer, Mapping) else {}
