"""API calls per 1,000 messages through the AWS DeliveryChannel, beside the minimum.

Sends N personalised emails (SES v2 under moto), N SMS, N pushes (half APNS, half GCM)
and N custom messages to a Lambda function through ``AwsDeliveryChannel``, and counts
every API call with botocore's ``before-parameter-build`` event (one per call, whatever
answers it). End User Messaging, Pinpoint and Lambda, which moto lacks or cannot run
here, are answered in process after botocore has validated and serialised each request.

The baseline is the minimum each API allows for N personalised messages:

* email: N SendEmail. SendBulkEmail takes 50 destinations a call but only with an SES
  stored template and per-destination replacement data, not Clarion-rendered MIME.
* SMS: N SendTextMessage (End User Messaging has no batch send).
* push: ceil(N / 100) SendMessages (100 addresses a request).
* custom (Lambda): ceil(N / 100) Invoke, payloads permitting (256 KB each).

    python -m bench.bench_api_calls [--count N]

Prints a JSON result and writes it to bench/out/api_calls.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
REGION = "us-east-1"


def _fake_credentials() -> None:
    # Nothing here may reach a real account.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ.pop("AWS_PROFILE", None)


class CallCounter:
    """Counts API calls per (service, operation) on the clients it watches."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def watch(self, client: Any) -> None:
        service = client.meta.service_model.service_name

        def count(model: Any, **_: Any) -> None:
            with self._lock:
                self.counts[f"{service}:{model.name}"] += 1

        client.meta.events.register("before-parameter-build", count)

    def take(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self.counts)
            self.counts.clear()
        return counts


def answer_in_process(client: Any, answer: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
    """Answer ``client``'s calls after validation and serialisation (as Stubber does)."""
    from botocore.awsrequest import AWSResponse

    def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = copy.deepcopy(params)

    def respond(model: Any, context: dict[str, Any], **_: Any) -> Any:
        parsed = answer(model.name, context["bench_params"])
        parsed["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return AWSResponse(None, 200, {}, None), parsed

    client.meta.events.register("before-parameter-build", keep)
    client.meta.events.register_first("before-call", respond)


def _answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    if operation == "SendMessages":
        return {
            "MessageResponse": {
                "ApplicationId": params["ApplicationId"],
                "Result": {
                    address: {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200}
                    for address in params["MessageRequest"]["Addresses"]
                },
            }
        }
    if operation == "Invoke":
        return {"StatusCode": 202}
    return {"MessageId": f"m-{params.get('DestinationPhoneNumber')}"}


def messages(kind: str, count: int) -> list[Any]:
    from clarion.domain.audience.endpoint import ChannelType
    from clarion.domain.events.records import MessageContext
    from clarion.domain.messaging.delivery import CustomContent, OutboundMessage, SenderIdentity
    from clarion.domain.templates.rendered import (
        RenderedEmail,
        RenderedPush,
        RenderedPushPlatform,
        RenderedSms,
    )

    out = []
    for n in range(count):
        context = MessageContext(campaign_id="camp-1", treatment_id="0", endpoint_id=f"ep-{n}")
        message_id = f"{kind}-{n:06d}"
        if kind == "email":
            content: Any = RenderedEmail(
                f"Hello #{n}", f"<p>Hi <b>friend {n}</b></p>", f"Hi friend {n}"
            )
            out.append(
                OutboundMessage(
                    message_id, ChannelType.EMAIL, f"u{n}@example.net", content, context
                )
            )
        elif kind == "sms":
            out.append(
                OutboundMessage(
                    message_id,
                    ChannelType.SMS,
                    f"+1415{n:07d}",
                    RenderedSms(f"Code {n}"),
                    context,
                )
            )
        elif kind == "push":
            channel = ChannelType.APNS if n % 2 else ChannelType.GCM
            content = RenderedPush(
                RenderedPushPlatform(action="OPEN_APP", title=f"Hi {n}", body=f"Offer {n}"), {}
            )
            out.append(OutboundMessage(message_id, channel, f"token-{n}", content, context))
        else:
            arn = f"arn:aws:lambda:{REGION}:123456789012:function:clarion-custom"
            out.append(
                OutboundMessage(
                    message_id,
                    ChannelType.CUSTOM,
                    f"contact-{n}",
                    CustomContent({"n": n}),
                    context,
                    SenderIdentity(custom_target=arn),
                )
            )
    return out


def run(count: int) -> dict[str, Any]:
    _fake_credentials()
    import boto3
    from moto import mock_aws

    from clarion.adapters.aws.common.clients import RETRY_CONFIG
    from clarion.adapters.aws.messaging.delivery_channel import AwsDeliveryChannel
    from clarion.bootstrap.settings import AwsSettings

    minimum = {
        "email": count,
        "sms": count,
        "push": math.ceil(count / 100),
        "custom": math.ceil(count / 100),
    }
    naive = {"email": count, "sms": count, "push": count, "custom": count}
    results: dict[str, Any] = {}
    with mock_aws():
        clients = {
            name: boto3.client(name, region_name=REGION, config=RETRY_CONFIG)
            for name in ("sesv2", "pinpoint-sms-voice-v2", "pinpoint", "lambda", "secretsmanager")
        }
        boto3.client("ses", region_name=REGION).verify_domain_identity(Domain="example.com")
        counter = CallCounter()
        for name, client in clients.items():
            counter.watch(client)
            if name in ("pinpoint-sms-voice-v2", "pinpoint", "lambda"):
                answer_in_process(client, _answer)
        settings = AwsSettings(
            region=REGION,
            ses_configuration_set="clarion-email",
            from_address="news@example.com",
            sms_configuration_set="clarion-sms",
            sms_origination_identity="+12065550100",
            pinpoint_app_id="app-1",
        )
        channel = AwsDeliveryChannel(
            clients["sesv2"],
            clients["pinpoint-sms-voice-v2"],
            clients["pinpoint"],
            clients["lambda"],
            clients["secretsmanager"],
            settings,
        )
        for kind in ("email", "sms", "push", "custom"):
            batch = messages(kind, count)
            started = time.perf_counter()
            delivered = channel.deliver(batch)
            seconds = time.perf_counter() - started
            calls = counter.take()
            ok = sum(1 for r in delivered if r.delivered)
            results[kind] = {
                "messages": count,
                "delivered": ok,
                "api_calls": sum(calls.values()),
                "by_operation": calls,
                "minimum_api_calls": minimum[kind],
                "one_call_per_message": naive[kind],
                "seconds_in_process": round(seconds, 3),
            }
    return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    result = {
        "benchmark": "api_calls",
        "count": args.count,
        "python": platform.python_version(),
        "channels": run(args.count),
        "note": (
            "API calls counted with botocore before-parameter-build hooks; SES v2 under moto, "
            "End User Messaging, Pinpoint and Lambda answered in process after validation. "
            "seconds_in_process measures the adapter and the fakes, not AWS latency."
        ),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "api_calls.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
