"""CampaignHooks on AWS: the Lambda function invoked synchronously (RequestResponse)
with the JSON payload, as Pinpoint invoked it, or an HTTP POST to the WebUrl."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any

from clarion.ports.campaigns import HookTarget

TIMEOUT_SECONDS = 30


def post_json(url: str, payload: Mapping[str, Any]) -> Any:
    """POST ``payload`` as JSON to an https:// ``url``; the decoded answer."""
    if not url.startswith("https://"):
        raise ValueError(f"hook URL {url!r}: https:// only on AWS")
    request = urllib.request.Request(  # noqa: S310 (https checked above)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        body = response.read()
    return json.loads(body) if body.strip() else {}


class LambdaCampaignHook:
    """CampaignHookInvoker with a boto3 Lambda client."""

    def __init__(self, lambda_client: Any) -> None:
        self._lambda = lambda_client

    def invoke(self, target: HookTarget, payload: Mapping[str, Any]) -> dict[str, Any]:
        if target.lambda_function_name:
            response = self._lambda.invoke(
                FunctionName=target.lambda_function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(payload).encode(),
            )
            body = response["Payload"].read()
            if response.get("FunctionError"):
                raise RuntimeError(
                    f"campaign hook {target.lambda_function_name}: {response['FunctionError']}: "
                    f"{body[:500]!r}"
                )
            answer = json.loads(body) if body.strip() else {}
        else:
            answer = post_json(str(target.web_url), payload)
        return dict(answer) if isinstance(answer, Mapping) else {}
