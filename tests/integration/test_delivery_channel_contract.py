"""The DeliveryChannel contract, run on the local outbox and on the AWS adapter.

On ``aws``, SES v2 and Secrets Manager are moto; End User Messaging, Pinpoint and Lambda
(which moto lacks or cannot run here) answer in process after botocore has validated and
serialised each request against the real service model (a ``before-call`` responder, as
Stubber works, but answering by content so thread-pool order does not matter). Tests of
exact requests use Stubber itself; retry tests answer at the HTTP layer so botocore's
real retry handler runs.
"""

from __future__ import annotations

import copy
import email
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from clarion.adapters.aws.messaging.channels.custom import MAX_CUSTOM_PAYLOAD_BYTES
from clarion.adapters.aws.messaging.channels.errors import ChannelConfigurationError
from clarion.adapters.aws.messaging.channels.webhooks import (
    BATCH_ID_HEADER,
    SIGNATURE_HEADER,
    sign_webhook_body,
    urllib_post,
    verify_webhook_signature,
)
from clarion.adapters.aws.messaging.delivery_channel import AwsDeliveryChannel
from clarion.adapters.local.messaging.delivery_channel import OutboxChannel
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.audience.endpoint import ChannelType
from clarion.domain.events.records import EventRecord, MessageContext
from clarion.domain.messaging.delivery import (
    CustomContent,
    DeliveryResult,
    DeliveryStatus,
    OutboundMessage,
    SenderIdentity,
    message_id_for,
)
from clarion.domain.templates.rendered import (
    RenderedEmail,
    RenderedPush,
    RenderedPushPlatform,
    RenderedSms,
    RenderedVoice,
)
from clarion.ports.messaging import DeliveryChannel

REGION = "us-east-1"
SENDER = "Clarion Team <news@example.com>"
LAMBDA_ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:clarion-custom"
WEBHOOK_URL = "https://hooks.example.com/clarion"
SECRET_VALUE = "test-webhook-secret-not-real"
# Each receiving host has its own signing secret (the webhook secret is host → secret).
LOCAL_SECRET_VALUE = "test-local-webhook-secret-not-real"
OTHER_SECRET_VALUE = "test-other-webhook-secret-not-real"
WEBHOOK_SECRETS = {
    "hooks.example.com": SECRET_VALUE,
    "127.0.0.1": LOCAL_SECRET_VALUE,
    "crm.example.org": OTHER_SECRET_VALUE,
}
SETTINGS = AwsSettings(
    region=REGION,
    ses_configuration_set="clarion-email",
    from_address=SENDER,
    sms_configuration_set="clarion-sms",
    sms_origination_identity="+12065550100",
    pinpoint_app_id="app-123",
    webhook_secret_arn="",  # set per test from the moto secret
    webhook_allowed_hosts="hooks.example.com, 127.0.0.1, *.example.org, nosecret.example.com",
)
CONTEXT = MessageContext(
    app_id="app-123",
    campaign_id="camp-1",
    treatment_id="0",
    endpoint_id="ep-1",
    run_id="run-1",
)


# ------------------------------------------------------------------------------- messages


def email_message(n: int = 0, **kw: Any) -> OutboundMessage:
    content = kw.pop(
        "content",
        RenderedEmail(
            subject=f"Bonjour Zoë #{n}",
            html=f"<p>Hello <b>Zoë</b> #{n}</p>",
            text=f"Hello Zoë #{n}",
            headers=(("List-Unsubscribe", "<https://example.com/u>"),),
        ),
    )
    return OutboundMessage(
        message_id=kw.pop("message_id", message_id_for("run-1", f"email-{n}")),
        channel=ChannelType.EMAIL,
        address=kw.pop("address", f"user{n}@example.net"),
        content=content,
        context=kw.pop("context", CONTEXT),
        **kw,
    )


def sms_message(n: int = 0, **kw: Any) -> OutboundMessage:
    return OutboundMessage(
        message_id=kw.pop("message_id", message_id_for("run-1", f"sms-{n}")),
        channel=ChannelType.SMS,
        address=kw.pop("address", f"+1415555{n:04d}"),
        content=kw.pop("content", RenderedSms(f"Your code is {n}")),
        context=kw.pop("context", CONTEXT),
        **kw,
    )


def voice_message(n: int = 0, body: str = "Hello from Clarion") -> OutboundMessage:
    return OutboundMessage(
        message_id=message_id_for("run-1", f"voice-{n}"),
        channel=ChannelType.VOICE,
        address=f"+1415666{n:04d}",
        content=RenderedVoice(body, "en-US", "Joanna"),
        context=CONTEXT,
    )


def push_message(n: int = 0, channel: ChannelType = ChannelType.GCM, **kw: Any) -> OutboundMessage:
    default = RenderedPushPlatform(
        action="OPEN_APP", title=f"Hi {n}", body=f"Your offer #{n}", sound="default"
    )
    return OutboundMessage(
        message_id=kw.pop("message_id", message_id_for("run-1", f"push-{channel}-{n}")),
        channel=channel,
        address=kw.pop("address", f"token-{channel.value.lower()}-{n}"),
        content=kw.pop("content", RenderedPush(default, {})),
        context=CONTEXT,
    )


def custom_message(n: int = 0, target: str = LAMBDA_ARN, data: Any = None) -> OutboundMessage:
    return OutboundMessage(
        message_id=message_id_for("run-1", f"custom-{target}-{n}"),
        channel=ChannelType.CUSTOM,
        address=f"crm-contact-{n}",
        content=CustomContent({"n": n, "note": "café"} if data is None else data),
        context=CONTEXT,
        sender=SenderIdentity(custom_target=target),
    )


def one_of_each() -> list[OutboundMessage]:
    return [
        email_message(1),
        sms_message(1),
        voice_message(1),
        push_message(1, ChannelType.APNS),
        push_message(2, ChannelType.GCM),
        custom_message(1, LAMBDA_ARN),
        custom_message(2, WEBHOOK_URL),
    ]


def body_of(mail: Any, subtype: str) -> str:
    part = mail.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


def by_id(results: list[DeliveryResult]) -> dict[str, DeliveryResult]:
    return {r.message_id: r for r in results}


# ------------------------------------------------------------------- in-process AWS fakes

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]


class ServiceError(Exception):
    """Raised by an ``Answer`` to make the fake answer with a service error."""

    def __init__(self, code: str, message: str = "", status: int = 400, **fields: Any):
        super().__init__(code)
        self.code, self.message, self.status, self.fields = code, message, status, fields


@dataclass
class Responder:
    """Answers a client's calls after botocore validated and serialised them; records
    (operation, API params) of every call. Thread-safe."""

    client: Any
    answer: Answer
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        events = self.client.meta.events
        events.register("before-parameter-build", self._keep_params)
        events.register_first("before-call", self._respond)

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["test_api_params"] = copy.deepcopy(params)

    def _respond(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        params = context["test_api_params"]
        with self.lock:
            self.calls.append((model.name, params))
        try:
            parsed = self.answer(model.name, params)
            status = 200
        except ServiceError as exc:
            status = exc.status
            parsed = {"Error": {"Code": exc.code, "Message": exc.message}, **exc.fields}
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = status
        return AWSResponse(None, status, {}, None), parsed

    def params_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def sms_answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"MessageId": "sms-" + params["DestinationPhoneNumber"]}


def push_answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    addresses = params["MessageRequest"]["Addresses"]
    return {
        "MessageResponse": {
            "ApplicationId": params["ApplicationId"],
            "Result": {
                address: {
                    "DeliveryStatus": "SUCCESSFUL",
                    "StatusCode": 200,
                    "MessageId": f"push-{address}",
                }
                for address in addresses
            },
        }
    }


def lambda_answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"StatusCode": 202}


@dataclass
class WebhookRecorder:
    """A fake ``http_post``: records each POST, answers with the next queued status."""

    statuses: list[int] = field(default_factory=list)
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def __call__(self, url: str, body: bytes, headers: Any, timeout: float) -> int:
        self.posts.append((url, body, dict(headers)))
        return self.statuses.pop(0) if self.statuses else 204


@dataclass
class AwsHarness:
    ses: Any
    sms: Any
    pinpoint: Any
    lambda_client: Any
    secrets: Any
    settings: AwsSettings
    ses_calls: list[dict[str, Any]]
    sms_fake: Responder | None = None
    push_fake: Responder | None = None
    lambda_fake: Responder | None = None
    webhook: WebhookRecorder = field(default_factory=WebhookRecorder)

    def channel(self, **kw: Any) -> AwsDeliveryChannel:
        kw.setdefault("http_post", self.webhook)
        kw.setdefault("sleep", lambda seconds: None)
        return AwsDeliveryChannel(
            self.ses,
            self.sms,
            self.pinpoint,
            self.lambda_client,
            self.secrets,
            kw.pop("settings", self.settings),
            **kw,
        )

    def sent_mail(self) -> list[email.message.EmailMessage]:
        from moto.backends import get_backend

        sent = get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(m.raw_data.encode()) for m in sent]


def _client(service: str, attempts: int = 3) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    return boto3.client(service, region_name=REGION, config=config)


def make_aws_harness(*, fakes: bool = True) -> AwsHarness:
    """Inside ``mock_aws``: moto SES (domain verified) and a webhook secret; in-process
    fakes for the rest unless ``fakes`` is False (the test stubs them itself)."""
    ses = _client("sesv2")
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain="example.com")
    ses_calls: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        ses_calls.append(copy.deepcopy(params))

    ses.meta.events.register("before-parameter-build.sesv2.SendEmail", keep)
    secrets = _client("secretsmanager")
    arn = secrets.create_secret(Name="clarion/webhook", SecretString=json.dumps(WEBHOOK_SECRETS))[
        "ARN"
    ]
    settings = AwsSettings(**{**_fields(SETTINGS), "webhook_secret_arn": arn})
    harness = AwsHarness(
        ses,
        _client("pinpoint-sms-voice-v2"),
        _client("pinpoint"),
        _client("lambda"),
        secrets,
        settings,
        ses_calls,
    )
    if fakes:
        harness.sms_fake = Responder(harness.sms, sms_answer)
        harness.push_fake = Responder(harness.pinpoint, push_answer)
        harness.lambda_fake = Responder(harness.lambda_client, lambda_answer)
    return harness


def _fields(settings: AwsSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in AwsSettings.__slots__}


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[AwsHarness]:
    with mock_aws():
        yield make_aws_harness()


# ------------------------------------------------------------------------ the contract


@dataclass
class Backend:
    """A DeliveryChannel under test, and a reader of what it delivered: message ids per
    kind (email, sms, voice, push, custom), read from the outbox files or from the
    requests the AWS services received."""

    name: str
    channel: DeliveryChannel
    delivered: Callable[[str], list[str]]


def _local_delivered(home: Path) -> Callable[[str], list[str]]:
    def read(kind: str) -> list[str]:
        outbox = home / "outbox"
        if kind == "email":
            parser = BytesParser(policy=policy.default)
            return [
                str(parser.parsebytes(p.read_bytes())["X-Clarion-Message-Id"])
                for p in sorted((outbox / "email").glob("*.eml"))
            ]
        path = outbox / f"{kind}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line)["message_id"] for line in path.read_text().splitlines()]

    return read


def _aws_delivered(harness: AwsHarness, sent: list[OutboundMessage]) -> Callable[[str], list[str]]:
    # The AWS requests carry addresses (and the ids in tags or context); map back to ids.
    def ids_for(addresses: list[str]) -> list[str]:
        by_address: dict[str, list[str]] = {}
        for m in sent:
            by_address.setdefault(m.address, []).append(m.message_id)
        return [by_address[a].pop(0) for a in addresses if by_address.get(a)]

    def read(kind: str) -> list[str]:
        assert harness.sms_fake and harness.push_fake and harness.lambda_fake
        if kind == "email":
            return [str(mail["X-Clarion-Message-Id"]) for mail in harness.sent_mail()]
        if kind == "sms":
            calls = harness.sms_fake.params_of("SendTextMessage")
            return ids_for([p["DestinationPhoneNumber"] for p in calls])
        if kind == "voice":
            calls = harness.sms_fake.params_of("SendVoiceMessage")
            return ids_for([p["DestinationPhoneNumber"] for p in calls])
        if kind == "push":
            return [
                config["Context"]["clarion_message_id"]
                for p in harness.push_fake.params_of("SendMessages")
                for config in p["MessageRequest"]["Addresses"].values()
            ]
        payloads = [json.loads(p["Payload"]) for p in harness.lambda_fake.params_of("Invoke")]
        payloads += [json.loads(body) for _, body, _ in harness.webhook.posts]
        return [m["MessageId"] for payload in payloads for m in payload["Messages"]]

    return read


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[Backend]:
    if request.param == "local":
        home = tmp_path / "home"
        yield Backend("local", OutboxChannel(home), _local_delivered(home))
        return
    with mock_aws():
        harness = make_aws_harness()
        sent: list[OutboundMessage] = []
        channel = harness.channel()

        class Recording:
            def deliver(self, messages: Any) -> list[DeliveryResult]:
                sent.extend(messages)
                return channel.deliver(messages)

        yield Backend("aws", Recording(), _aws_delivered(harness, sent))


KINDS = {
    ChannelType.EMAIL: "email",
    ChannelType.SMS: "sms",
    ChannelType.VOICE: "voice",
    ChannelType.APNS: "push",
    ChannelType.GCM: "push",
    ChannelType.CUSTOM: "custom",
}


def test_one_result_per_message_with_its_id(backend: Backend):
    messages = one_of_each()
    results = backend.channel.deliver(messages)

    assert [r.message_id for r in results] == [m.message_id for m in messages]
    assert {r.status for r in results} == {DeliveryStatus.SUCCESSFUL}, results
    assert all(r.delivered and not r.retryable for r in results)


def test_every_channel_delivers(backend: Backend):
    messages = one_of_each()
    backend.channel.deliver(messages)

    for kind in ("email", "sms", "voice", "push", "custom"):
        expected = sorted(m.message_id for m in messages if KINDS[m.channel] == kind)
        assert sorted(backend.delivered(kind)) == expected, kind


def test_a_large_mixed_batch(backend: Backend):
    messages = (
        [email_message(n) for n in range(12)]
        + [sms_message(n) for n in range(15)]
        + [push_message(n, ChannelType.GCM) for n in range(130)]
        + [custom_message(n) for n in range(5)]
    )
    results = backend.channel.deliver(messages)

    assert sorted(r.message_id for r in results) == sorted(m.message_id for m in messages)
    assert all(r.status == DeliveryStatus.SUCCESSFUL for r in results)
    assert len(backend.delivered("push")) == 130
    assert len(backend.delivered("email")) == 12


def test_content_that_does_not_fit_the_channel_is_a_permanent_failure(backend: Backend):
    wrong = OutboundMessage("wrong-1", ChannelType.EMAIL, "a@example.net", RenderedSms("hi"))
    in_app = OutboundMessage("in-app-1", ChannelType.IN_APP, "x", RenderedSms("hi"))
    good = sms_message(7)
    results = by_id(backend.channel.deliver([wrong, in_app, good]))

    assert results["wrong-1"].status == DeliveryStatus.PERMANENT_FAILURE
    assert "RenderedEmail" in (results["wrong-1"].reason or "")
    assert results["in-app-1"].status == DeliveryStatus.PERMANENT_FAILURE
    assert results[good.message_id].status == DeliveryStatus.SUCCESSFUL
    assert backend.delivered("email") == []
    assert backend.delivered("sms") == [good.message_id]


def test_a_header_injection_is_refused(backend: Backend):
    evil = email_message(
        1,
        content=RenderedEmail(
            "Hi", "<p>x</p>", "x", headers=(("X-Note", "a\r\nBcc: victim@example.org"),)
        ),
    )
    reserved = email_message(
        2, content=RenderedEmail("Hi", "<p>x</p>", "x", headers=(("From", "ceo@example.com"),))
    )
    results = by_id(backend.channel.deliver([evil, reserved, email_message(3)]))

    assert results[evil.message_id].status == DeliveryStatus.PERMANENT_FAILURE
    assert results[reserved.message_id].status == DeliveryStatus.PERMANENT_FAILURE
    assert results[email_message(3).message_id].status == DeliveryStatus.SUCCESSFUL
    assert backend.delivered("email") == [email_message(3).message_id]


def test_an_id_repeated_in_a_batch_is_delivered_once(backend: Backend):
    first = sms_message(1)
    again = sms_message(1)
    results = backend.channel.deliver([first, again])

    assert [r.status for r in results] == [DeliveryStatus.SUCCESSFUL, DeliveryStatus.DUPLICATE]
    assert backend.delivered("sms") == [first.message_id]


def test_an_empty_batch(backend: Backend):
    assert backend.channel.deliver([]) == []


# --------------------------------------------------------------------------- local only


def test_the_eml_file_is_real_mime(tmp_path: Path):
    channel = OutboxChannel(tmp_path)
    message = email_message(5, sender=SenderIdentity(from_address="Zoë Ops <ops@example.com>"))
    [result] = channel.deliver([message])

    path = tmp_path / "outbox" / "email" / f"{message.message_id}.eml"
    assert result.status == DeliveryStatus.SUCCESSFUL
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "Bonjour Zoë #5"
    assert mail["To"] == "user5@example.net"
    assert mail["From"].addresses[0].display_name == "Zoë Ops"
    assert mail["Message-ID"] == f"<{message.message_id}@example.com>"
    assert mail["Date"].datetime.tzinfo is not None
    assert mail["List-Unsubscribe"] == "<https://example.com/u>"
    assert mail["X-Clarion-Message-Id"] == message.message_id
    assert mail["X-Clarion-Campaign-Id"] == "camp-1"
    assert mail["X-Clarion-Treatment-Id"] == "0"
    assert mail["X-Clarion-Endpoint-Id"] == "ep-1"
    assert body_of(mail, "plain").strip() == "Hello Zoë #5"
    assert body_of(mail, "html").strip() == "<p>Hello <b>Zoë</b> #5</p>"
    assert all(part.get_content_charset() == "utf-8" for part in mail.iter_parts())
    # The file is 7-bit clean: any MTA or SES raw API takes it as is.
    assert path.read_bytes().isascii()


def test_json_lines(tmp_path: Path):
    channel = OutboxChannel(tmp_path)
    messages = [sms_message(1), voice_message(1), push_message(1, ChannelType.APNS)]
    messages.append(custom_message(1, WEBHOOK_URL))
    channel.deliver(messages)

    def lines(name: str) -> list[dict[str, Any]]:
        text = (tmp_path / "outbox" / name).read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()]

    [sms] = lines("sms.jsonl")
    assert sms["message_id"] == messages[0].message_id
    assert sms["channel"] == "SMS"
    assert sms["address"] == "+14155550001"
    assert sms["content"] == {"body": "Your code is 1", "message_type": "PROMOTIONAL"}
    assert sms["context"]["campaign_id"] == "camp-1"
    assert sms["timestamp"].endswith("Z")
    [voice] = lines("voice.jsonl")
    assert voice["content"] == {
        "body": "Hello from Clarion",
        "language_code": "en-US",
        "voice_id": "Joanna",
    }
    [push] = lines("push.jsonl")
    assert push["channel"] == "APNS"
    assert push["content"]["title"] == "Hi 1"
    [custom] = lines("custom.jsonl")
    assert custom["content"] == {"data": {"n": 1, "note": "café"}}
    assert custom["sender"]["custom_target"] == WEBHOOK_URL


def test_redelivery_is_a_duplicate_even_after_a_restart(tmp_path: Path):
    messages = [email_message(1), sms_message(1)]
    OutboxChannel(tmp_path).deliver(messages)
    again = OutboxChannel(tmp_path).deliver([*messages, sms_message(2)])

    assert [r.status for r in again] == [
        DeliveryStatus.DUPLICATE,
        DeliveryStatus.DUPLICATE,
        DeliveryStatus.SUCCESSFUL,
    ]
    lines = (tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()
    assert len(lines) == 2


def test_write_false_renders_but_writes_nothing(tmp_path: Path):
    channel = OutboxChannel(tmp_path, write=False)
    results = channel.deliver(one_of_each())

    assert all(r.status == DeliveryStatus.SUCCESSFUL for r in results)
    assert not (tmp_path / "outbox").exists()
    assert channel.deliver([email_message(1)])[0].status == DeliveryStatus.DUPLICATE


def test_concurrent_deliveries_write_each_id_once(tmp_path: Path):
    channel = OutboxChannel(tmp_path)
    messages = [sms_message(n) for n in range(200)]
    results: list[DeliveryResult] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        # Overlapping slices: every message is offered by two threads.
        got = channel.deliver(messages[offset : offset + 100] + messages[: offset // 2])
        with lock:
            results.extend(got)

    threads = [threading.Thread(target=worker, args=(o,)) for o in (0, 50, 100, 100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    successes = [r.message_id for r in results if r.status == DeliveryStatus.SUCCESSFUL]
    assert sorted(successes) == sorted({m.message_id for m in messages})
    lines = (tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()
    assert len(lines) == 200
    assert all(json.loads(line) for line in lines)


class ListSink:
    """An EventSink that keeps what it is given."""

    def __init__(self) -> None:
        self.records: list[EventRecord] = []

    def put_records(self, records: Any) -> set[str]:
        self.records.extend(records)
        return {r.event_id for r in records}


def test_the_outbox_records_the_send_events_the_real_services_publish(tmp_path: Path):
    sink = ListSink()
    channel = OutboxChannel(tmp_path, events=sink, app_id="fallback-app")
    messages = one_of_each()
    channel.deliver(messages)

    by_type = {r.event_type: r for r in sink.records}
    # Push and custom messages get no provider event: _campaign.send is their record.
    assert sorted(by_type) == ["_SMS.BUFFERED", "_VOICE.BUFFERED", "_email.send"]
    email, sms, voice = by_type["_email.send"], by_type["_SMS.BUFFERED"], by_type["_VOICE.BUFFERED"]
    for record, message in ((email, messages[0]), (sms, messages[1]), (voice, messages[2])):
        assert record.attributes["message_id"] == message.message_id
        assert record.attributes["campaign_id"] == "camp-1"
        assert record.attributes["run_id"] == "run-1"
        assert record.attributes["treatment_id"] == "0"
        assert record.client.client_id == "ep-1"
        assert record.application.app_id == "app-123"
    # The form SES and End User Messaging ingestion give: the same keys and facets.
    assert email.attributes["destination"] == "user1@example.net"
    assert email.attributes["feedback"] == "received"
    mail = email.facets["email_channel"]["mail_event"]["mail"]
    assert mail["common_headers"]["subject"] == "Bonjour Zoë #1"
    assert mail["tags"]["clarion-campaign-id"] == ["camp-1"]
    assert sms.attributes["record_status"] == "QUEUED"
    assert sms.attributes["destination_phone_number"] == "+14155550001"
    assert sms.attributes["message_type"] == "Promotional"
    assert sms.facets["sms_channel"]["event_type"] == "TEXT_QUEUED"
    assert voice.facets["voice_channel"]["event_type"] == "VOICE_INITIATED"


def test_send_events_only_for_messages_written(tmp_path: Path):
    sink = ListSink()
    channel = OutboxChannel(tmp_path, events=sink)
    bad = email_message(2, content=RenderedSms("not an email"))
    channel.deliver([email_message(1), bad, email_message(1)])
    OutboxChannel(tmp_path, events=sink).deliver([email_message(1)])  # a redelivery
    OutboxChannel(tmp_path / "dry", write=False, events=sink).deliver([email_message(3)])

    assert [r.attributes["message_id"] for r in sink.records] == [email_message(1).message_id]


def test_a_message_without_context_takes_the_outbox_project(tmp_path: Path):
    sink = ListSink()
    OutboxChannel(tmp_path, events=sink, app_id="project-7").deliver(
        [sms_message(4, context=MessageContext())]
    )

    [record] = sink.records
    assert record.application.app_id == "project-7"
    assert record.client.client_id is None
    assert "campaign_id" not in record.attributes


# ----------------------------------------------------------------------------- AWS: email


def test_every_email_names_the_configuration_set_and_tags(aws: AwsHarness):
    messages = [email_message(n) for n in range(5)]
    results = aws.channel(max_workers=3).deliver(messages)

    assert all(r.status == DeliveryStatus.SUCCESSFUL and r.provider_message_id for r in results)
    assert len(aws.ses_calls) == 5
    for params in aws.ses_calls:
        assert params["ConfigurationSetName"] == "clarion-email"
        assert params["FromEmailAddress"] == "news@example.com"
        tags = {t["Name"]: t["Value"] for t in params["EmailTags"]}
        assert tags == {
            "clarion-app-id": "app-123",
            "clarion-campaign-id": "camp-1",
            "clarion-treatment-id": "0",
            "clarion-endpoint-id": "ep-1",
            "clarion-run-id": "run-1",
        }
        assert MessageContext.from_ses_tags({k: [v] for k, v in tags.items()}) == CONTEXT
    mails = aws.sent_mail()
    assert sorted(str(m["To"]) for m in mails) == sorted(m.address for m in messages)
    mail = next(m for m in mails if str(m["To"]) == "user3@example.net")
    assert mail["Subject"] == "Bonjour Zoë #3"
    assert body_of(mail, "html").strip() == "<p>Hello <b>Zoë</b> #3</p>"
    assert body_of(mail, "plain").strip() == "Hello Zoë #3"


def test_the_same_mime_locally_and_on_ses(aws: AwsHarness, tmp_path: Path):
    message = email_message(9)
    OutboxChannel(tmp_path, from_address=SENDER).deliver([message])
    aws.channel().deliver([message])

    local = BytesParser(policy=policy.default).parsebytes(
        (tmp_path / "outbox" / "email" / f"{message.message_id}.eml").read_bytes()
    )
    [remote] = aws.sent_mail()
    for header in ("From", "To", "Subject", "Message-ID", "List-Unsubscribe", "X-Clarion-Run-Id"):
        assert str(local[header]) == str(remote[header]), header


def test_email_without_a_configuration_set_is_refused(aws: AwsHarness):
    settings = AwsSettings(**{**_fields(aws.settings), "ses_configuration_set": ""})
    channel = aws.channel(settings=settings)

    with pytest.raises(ChannelConfigurationError, match="ses_configuration_set"):
        channel.deliver([sms_message(1), email_message(1)])
    assert aws.ses_calls == []
    assert aws.sms_fake is not None and aws.sms_fake.calls == []


def test_an_unverified_sender_fails_only_its_message(aws: AwsHarness):
    bad = email_message(1, sender=SenderIdentity(from_address="x@unverified.example.org"))
    results = by_id(aws.channel().deliver([bad, email_message(2)]))

    assert results[bad.message_id].status == DeliveryStatus.PERMANENT_FAILURE
    assert "MessageRejected" in (results[bad.message_id].reason or "")
    assert results[email_message(2).message_id].status == DeliveryStatus.SUCCESSFUL


# ------------------------------------------------------------------------- AWS: SMS, voice


@pytest.fixture
def stubbed(aws_credentials: None) -> Iterator[AwsHarness]:
    with mock_aws():
        yield make_aws_harness(fakes=False)


def test_sms_and_voice_requests_validated_by_stubber(stubbed: AwsHarness):
    sms = sms_message(1, sender=SenderIdentity(sms_message_type="TRANSACTIONAL"))
    ssml = voice_message(2, "<speak>Hello <break/> there</speak>")
    with Stubber(stubbed.sms) as stub:
        stub.add_response(
            "send_text_message",
            {"MessageId": "m-1"},
            {
                "DestinationPhoneNumber": "+14155550001",
                "OriginationIdentity": "+12065550100",
                "MessageBody": "Your code is 1",
                "MessageType": "TRANSACTIONAL",
                "ConfigurationSetName": "clarion-sms",
                "Context": CONTEXT.to_sms_context(),
            },
        )
        stub.add_response(
            "send_voice_message",
            {"MessageId": "v-2"},
            {
                "DestinationPhoneNumber": "+14156660002",
                "OriginationIdentity": "+12065550100",
                "MessageBody": "<speak>Hello <break/> there</speak>",
                "MessageBodyTextType": "SSML",
                "VoiceId": "JOANNA",
                "ConfigurationSetName": "clarion-sms",
                "Context": CONTEXT.to_sms_context(),
            },
        )
        results = stubbed.channel(max_workers=1).deliver([sms, ssml])
        stub.assert_no_pending_responses()

    assert [(r.status, r.provider_message_id) for r in results] == [
        (DeliveryStatus.SUCCESSFUL, "m-1"),
        (DeliveryStatus.SUCCESSFUL, "v-2"),
    ]
    assert MessageContext.from_sms_context(CONTEXT.to_sms_context()) == CONTEXT


@pytest.mark.parametrize(
    ("code", "fields", "expected"),
    [
        ("ConflictException", {"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT"}, "OPT_OUT"),
        ("ValidationException", {"Reason": "INVALID_PARAMETER"}, "PERMANENT_FAILURE"),
        ("ResourceNotFoundException", {}, "PERMANENT_FAILURE"),
        (
            "ServiceQuotaExceededException",
            {"Reason": "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"},
            "TEMPORARY_FAILURE",
        ),
        ("InternalServerException", {}, "TEMPORARY_FAILURE"),
        ("ThrottlingException", {}, "THROTTLED"),
        ("AccessDeniedException", {}, "TEMPORARY_FAILURE"),
    ],
)
def test_sms_failures_are_classified(
    stubbed: AwsHarness, code: str, fields: dict[str, Any], expected: str
):
    with Stubber(stubbed.sms) as stub:
        stub.add_client_error(
            "send_text_message",
            code,
            "it failed",
            http_status_code=400,
            modeled_fields=fields or None,
        )
        stub.add_response("send_text_message", {"MessageId": "ok"})
        results = stubbed.channel(max_workers=1).deliver([sms_message(1), sms_message(2)])

    assert results[0].status == DeliveryStatus(expected)
    assert code in (results[0].reason or "")
    for value in fields.values():
        assert value in (results[0].reason or "")
    assert results[1].status == DeliveryStatus.SUCCESSFUL  # the batch went on


class HttpFake:
    """Answers at the HTTP layer (``before-send``), so botocore's retry handler runs."""

    def __init__(self, client: Any, replies: list[tuple[int, dict[str, Any]]]) -> None:
        self.replies = replies
        self.attempts = 0
        client.meta.events.register("before-send", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        status, body = self.replies[min(self.attempts, len(self.replies) - 1)]
        self.attempts += 1
        return AWSResponse(request.url, status, {}, _Raw(json.dumps(body).encode()))


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


THROTTLE = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


def sms_only_channel(attempts: int, replies: list[tuple[int, dict[str, Any]]]) -> Any:
    # Outside mock_aws: moto's request hook would answer before the retry handler runs.
    sms = _client("pinpoint-sms-voice-v2", attempts=attempts)
    fake = HttpFake(sms, replies)
    return AwsDeliveryChannel(None, sms, None, None, None, SETTINGS), fake


def test_throttling_is_retried_then_reported(aws_credentials: None):
    channel, fake = sms_only_channel(2, [THROTTLE])
    [result] = channel.deliver([sms_message(1)])

    assert fake.attempts == 2  # botocore retried once (2 attempts in all), then gave up
    assert result.status == DeliveryStatus.THROTTLED
    assert result.retryable
    assert "ThrottlingException" in (result.reason or "")


def test_throttling_that_clears_delivers(aws_credentials: None):
    channel, fake = sms_only_channel(3, [THROTTLE, (200, {"MessageId": "after-retry"})])
    [result] = channel.deliver([sms_message(1)])

    assert fake.attempts == 2
    assert (result.status, result.provider_message_id) == (DeliveryStatus.SUCCESSFUL, "after-retry")


def test_the_thread_pool_keeps_one_result_per_message(aws: AwsHarness):
    messages = [sms_message(n) for n in range(60)] + [email_message(n) for n in range(20)]
    results = aws.channel(max_workers=6).deliver(messages)

    assert [r.message_id for r in results] == [m.message_id for m in messages]
    assert all(r.status == DeliveryStatus.SUCCESSFUL for r in results)
    assert aws.sms_fake is not None
    assert len(aws.sms_fake.params_of("SendTextMessage")) == 60


# ------------------------------------------------------------------------------ AWS: push


def test_push_is_batched_100_addresses_a_call_with_overrides(aws: AwsHarness):
    messages = [push_message(n, ChannelType.APNS if n % 2 else ChannelType.GCM) for n in range(250)]
    results = aws.channel().deliver(messages)

    assert aws.push_fake is not None
    calls = aws.push_fake.params_of("SendMessages")
    assert sorted(len(c["MessageRequest"]["Addresses"]) for c in calls) == [50, 100, 100]
    assert all(r.status == DeliveryStatus.SUCCESSFUL for r in results)
    assert {r.provider_message_id for r in results} == {f"push-{m.address}" for m in messages}
    request = next(c for c in calls if "token-apns-1" in c["MessageRequest"]["Addresses"])
    assert request["ApplicationId"] == "app-123"
    config = request["MessageRequest"]["MessageConfiguration"]
    assert config["APNSMessage"]["Action"] == "OPEN_APP"
    assert config["GCMMessage"]["Sound"] == "default"
    address = request["MessageRequest"]["Addresses"]["token-apns-1"]
    assert address["ChannelType"] == "APNS"
    assert address["TitleOverride"] == "Hi 1"
    assert address["BodyOverride"] == "Your offer #1"
    assert address["Context"]["campaign_id"] == "camp-1"
    assert address["Context"]["clarion_message_id"] == messages[1].message_id


def test_push_results_are_mapped_per_address(aws: AwsHarness):
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        response = push_answer(operation, params)
        result = response["MessageResponse"]["Result"]
        result["token-gcm-1"] = {
            "DeliveryStatus": "PERMANENT_FAILURE",
            "StatusCode": 410,
            "StatusMessage": "Unregistered token",
        }
        result["token-gcm-2"]["DeliveryStatus"] = "OPT_OUT"
        del result["token-gcm-3"]
        return response

    assert aws.push_fake is not None
    aws.push_fake.answer = answer
    messages = [push_message(n) for n in range(5)]
    results = aws.channel().deliver(messages)

    assert [r.status for r in results] == [
        DeliveryStatus.SUCCESSFUL,
        DeliveryStatus.PERMANENT_FAILURE,
        DeliveryStatus.OPT_OUT,
        DeliveryStatus.UNKNOWN_FAILURE,
        DeliveryStatus.SUCCESSFUL,
    ]
    assert results[1].reason == "410: Unregistered token"


def test_a_bad_push_request_is_split_until_the_bad_address_stands_alone(aws: AwsHarness):
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if "token-gcm-13" in params["MessageRequest"]["Addresses"]:
            raise ServiceError("BadRequestException", "Invalid token")
        return push_answer(operation, params)

    assert aws.push_fake is not None
    aws.push_fake.answer = answer
    results = aws.channel().deliver([push_message(n) for n in range(40)])

    failed = [r for r in results if r.status != DeliveryStatus.SUCCESSFUL]
    assert [(r.message_id, r.status) for r in failed] == [
        (push_message(13).message_id, DeliveryStatus.PERMANENT_FAILURE)
    ]
    assert len(aws.push_fake.calls) <= 1 + 2 * 6  # a bisection, not one call per address


def test_a_throttled_push_call_throttles_its_addresses_only(aws: AwsHarness):
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if "token-gcm-0" in params["MessageRequest"]["Addresses"]:
            raise ServiceError("TooManyRequestsException", "slow down", status=429)
        return push_answer(operation, params)

    assert aws.push_fake is not None
    aws.push_fake.answer = answer
    results = aws.channel().deliver([push_message(n) for n in range(150)])

    assert {r.status for r in results[:100]} == {DeliveryStatus.THROTTLED}
    assert {r.status for r in results[100:]} == {DeliveryStatus.SUCCESSFUL}


def test_an_invalid_push_action_fails_before_the_call(aws: AwsHarness):
    bad = push_message(1, content=RenderedPush(RenderedPushPlatform(action="JUMP", body="x"), {}))
    results = aws.channel().deliver([bad, push_message(2)])

    assert [r.status for r in results] == [
        DeliveryStatus.PERMANENT_FAILURE,
        DeliveryStatus.SUCCESSFUL,
    ]


# ---------------------------------------------------------------------------- AWS: custom


def test_lambda_targets_get_batched_event_invocations_under_256_kb(aws: AwsHarness):
    messages = [custom_message(n, data={"blob": "x" * 20_000, "n": n}) for n in range(30)]
    results = aws.channel().deliver(messages)

    assert all(r.status == DeliveryStatus.SUCCESSFUL for r in results)
    assert aws.lambda_fake is not None
    calls = aws.lambda_fake.params_of("Invoke")
    assert len(calls) == 3  # 12 + 12 + 6 messages of ~20 KB
    assert all(c["InvocationType"] == "Event" and c["FunctionName"] == LAMBDA_ARN for c in calls)
    assert all(len(c["Payload"]) <= MAX_CUSTOM_PAYLOAD_BYTES for c in calls)
    sent = [m for c in calls for m in json.loads(c["Payload"])["Messages"]]
    # Invocations run on the thread pool, so only the set of ids is fixed.
    assert sorted(m["MessageId"] for m in sent) == sorted(m.message_id for m in messages)
    sent.sort(key=lambda m: m["Data"]["n"])
    assert sent[0]["Context"]["campaign_id"] == "camp-1"
    assert sent[0]["EndpointId"] == "ep-1"


def test_a_custom_message_too_large_for_one_invocation(aws: AwsHarness):
    big = custom_message(1, data={"blob": "x" * (MAX_CUSTOM_PAYLOAD_BYTES + 1)})
    results = aws.channel().deliver([big, custom_message(2)])

    assert [r.status for r in results] == [
        DeliveryStatus.PERMANENT_FAILURE,
        DeliveryStatus.SUCCESSFUL,
    ]


def test_lambda_errors_are_classified(aws: AwsHarness):
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError("ResourceNotFoundException", "Function not found", status=404)

    assert aws.lambda_fake is not None
    aws.lambda_fake.answer = answer
    [result] = aws.channel().deliver([custom_message(1)])

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert "ResourceNotFoundException" in (result.reason or "")


def test_a_lambda_target_the_role_may_not_invoke_waits_for_the_grant(aws: AwsHarness):
    # A target missing from messaging_custom_lambda_arns: the role has no invoke grant.
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError(
            "AccessDeniedException", "not authorized to perform: lambda:InvokeFunction", 403
        )

    assert aws.lambda_fake is not None
    aws.lambda_fake.answer = answer
    [result] = aws.channel().deliver([custom_message(1)])

    assert result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert "AccessDeniedException" in (result.reason or "")


@pytest.mark.parametrize(
    "target",
    ["http://hooks.example.com/x", "http://127.0.0.1:9/x", "ftp://example.com/x", "lambda-name"],
)
def test_only_https_webhooks_and_lambda_arns(aws: AwsHarness, target: str):
    [result] = aws.channel().deliver([custom_message(1, target)])

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert aws.webhook.posts == []


def test_webhook_statuses_and_retries(aws: AwsHarness):
    aws.webhook.statuses = [503, 429, 204, 404]
    channel = aws.channel()
    [first] = channel.deliver([custom_message(1, WEBHOOK_URL)])
    [second] = channel.deliver([custom_message(2, WEBHOOK_URL)])

    assert first.status == DeliveryStatus.SUCCESSFUL  # 503, 429, then 204
    assert second.status == DeliveryStatus.PERMANENT_FAILURE
    assert second.reason == "HTTP 404"
    assert len(aws.webhook.posts) == 4


def test_webhook_secret_is_read_once_and_never_reported(aws: AwsHarness):
    calls: list[str] = []
    aws.secrets.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: calls.append("get")
    )
    aws.webhook.statuses = [500, 500, 500]
    channel = aws.channel()
    results = channel.deliver([custom_message(1, WEBHOOK_URL)])
    results += channel.deliver([custom_message(2, WEBHOOK_URL)])

    assert calls == ["get"]
    assert results[0].status == DeliveryStatus.TEMPORARY_FAILURE
    for value in WEBHOOK_SECRETS.values():
        assert all(value not in (r.reason or "") for r in results)
        assert all(value.encode() not in body for _, body, _ in aws.webhook.posts)
        assert all(value not in str(headers) for _, _, headers in aws.webhook.posts)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.net/hook",
        "https://hooks.example.com.evil.net/hook",  # a suffix of an allowed host is not it
        "https://example.org/hook",  # *.example.org allows subdomains only
    ],
)
def test_a_webhook_host_outside_the_allowlist_fails_before_anything_is_sent(
    aws: AwsHarness, target: str
):
    [refused, sent] = aws.channel().deliver(
        [custom_message(1, target), custom_message(2, WEBHOOK_URL)]
    )

    assert refused.status == DeliveryStatus.PERMANENT_FAILURE
    assert "not in the allowed hosts (CLARION_WEBHOOK_ALLOWED_HOSTS)" in (refused.reason or "")
    assert sent.status == DeliveryStatus.SUCCESSFUL
    assert [url for url, _, _ in aws.webhook.posts] == [WEBHOOK_URL]


def test_no_allowlist_allows_no_webhook(aws: AwsHarness):
    settings = AwsSettings(**{**_fields(aws.settings), "webhook_allowed_hosts": ""})
    [result] = aws.channel(settings=settings).deliver([custom_message(1, WEBHOOK_URL)])

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert "'hooks.example.com' is not in the allowed hosts" in (result.reason or "")
    assert aws.webhook.posts == []


def test_each_webhook_host_is_signed_with_its_own_secret(aws: AwsHarness):
    other = "https://crm.example.org/in"
    aws.channel().deliver([custom_message(1, WEBHOOK_URL), custom_message(2, other)])

    signed = {url: (body, headers[SIGNATURE_HEADER]) for url, body, headers in aws.webhook.posts}
    body, header = signed[WEBHOOK_URL]
    assert verify_webhook_signature(SECRET_VALUE, header, body)
    assert verify_webhook_signature(OTHER_SECRET_VALUE, header, body) is None
    body, header = signed[other]
    assert verify_webhook_signature(OTHER_SECRET_VALUE, header, body)
    assert verify_webhook_signature(SECRET_VALUE, header, body) is None


def test_an_allowed_host_without_its_own_secret_is_a_temporary_failure(aws: AwsHarness):
    [result] = aws.channel().deliver([custom_message(1, "https://nosecret.example.com/x")])

    assert result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert (
        result.reason
        == "the webhook secret holds no signing secret for host 'nosecret.example.com'"
    )
    assert aws.webhook.posts == []


def test_a_shared_plain_secret_is_refused_as_a_configuration_error(aws: AwsHarness):
    aws.secrets.put_secret_value(SecretId=aws.settings.webhook_secret_arn, SecretString="shared")
    [result] = aws.channel().deliver([custom_message(1, WEBHOOK_URL)])

    assert result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert "JSON object of host to that host's signing secret" in (result.reason or "")
    assert "shared" not in (result.reason or "")
    assert aws.webhook.posts == []


def test_the_delivery_id_is_signed_and_the_same_for_a_retried_batch(aws: AwsHarness):
    aws.webhook.statuses = [503, 204]
    aws.channel().deliver([custom_message(1, WEBHOOK_URL)])

    [(_, body, first), (_, again, second)] = aws.webhook.posts
    ids = [
        verify_webhook_signature(SECRET_VALUE, h[SIGNATURE_HEADER], b)
        for b, h in ((body, first), (again, second))
    ]
    assert ids[0] is not None and ids == [first[BATCH_ID_HEADER]] * 2
    # A replay under another id (to slip past the receiver's seen-ids check) fails.
    forged = first[SIGNATURE_HEADER].replace(f"id={ids[0]}", "id=fresh")
    assert verify_webhook_signature(SECRET_VALUE, forged, body) is None


class _Receiver(BaseHTTPRequestHandler):
    """Verifies the signature as docs/channels.md tells receivers to (written here from
    the documented scheme, not with Clarion's own verifier)."""

    received: list[dict[str, Any]] = []
    seen: set[str] = set()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = dict(item.split("=", 1) for item in self.headers[SIGNATURE_HEADER].split(","))
        fresh = abs(time.time() - int(fields["t"])) <= 300
        signed = f"{fields['t']}.{fields['id']}.".encode() + body
        expected = hmac.new(LOCAL_SECRET_VALUE.encode(), signed, hashlib.sha256).hexdigest()
        ok = fresh and hmac.compare_digest(expected, fields["v2"]) and fields["id"] not in self.seen
        if ok:
            type(self).seen.add(fields["id"])
        if ok:
            type(self).received.append(json.loads(body))
        self.send_response(204 if ok else 401)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    _Receiver.seen = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_real_webhook_verifies_the_signature(aws: AwsHarness, receiver: str):
    channel = aws.channel(http_post=urllib_post, allow_http_localhost=True)
    messages = [custom_message(n, receiver) for n in range(3)]
    results = channel.deliver(messages)

    assert [r.status for r in results] == [DeliveryStatus.SUCCESSFUL] * 3
    [payload] = _Receiver.received
    assert payload["Version"] == "1"
    assert [m["MessageId"] for m in payload["Messages"]] == [m.message_id for m in messages]
    assert payload["Messages"][0]["Data"] == {"n": 0, "note": "café"}


def test_a_tampered_body_fails_verification(aws: AwsHarness, receiver: str):
    def tamper(url: str, body: bytes, headers: Any, timeout: float) -> int:
        return urllib_post(url, body.replace(b"caf", b"CAF"), headers, timeout)

    channel = aws.channel(http_post=tamper, allow_http_localhost=True)
    [result] = channel.deliver([custom_message(1, receiver)])

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert result.reason == "HTTP 401"
    assert _Receiver.received == []


def test_signature_verification_rules():
    body = b'{"Messages":[]}'
    header = sign_webhook_body("s3cret", body, 1_700_000_000, "batch-1")

    assert header.startswith("t=1700000000,id=batch-1,v2=")
    assert verify_webhook_signature("s3cret", header, body, now=1_700_000_100) == "batch-1"
    assert verify_webhook_signature("s3cret", header, body + b" ", now=1_700_000_100) is None
    assert verify_webhook_signature("other", header, body, now=1_700_000_100) is None
    assert verify_webhook_signature("s3cret", header, body, now=1_700_000_301) is None  # replay
    assert verify_webhook_signature("s3cret", "garbage", body, now=1_700_000_000) is None
    with pytest.raises(ValueError, match="delivery id"):
        sign_webhook_body("s3cret", body, 1, "a,b")
