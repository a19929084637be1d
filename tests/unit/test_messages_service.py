"""Transactional sends: SendMessages and SendUsersMessages on the local backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.common.errors import InvalidRecordError


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    endpoints: list[dict[str, Any]] = [
        {"Id": "e-sms", "ChannelType": "SMS", "Address": "+14155550100", "User": {"UserId": "u1"}},
        {
            "Id": "e-mail",
            "ChannelType": "EMAIL",
            "Address": "ana@example.com",
            "User": {"UserId": "u1", "UserAttributes": {"FirstName": ["Ana"]}},
        },
        {
            "Id": "e-out",
            "ChannelType": "SMS",
            "Address": "+14155550101",
            "OptOut": "ALL",
            "User": {"UserId": "u2"},
        },
        {
            "Id": "e-off",
            "ChannelType": "SMS",
            "Address": "+14155550102",
            "EndpointStatus": "INACTIVE",
        },
    ]
    boot.adapters.profile_store.put_endpoints([validate_endpoint(e) for e in endpoints])
    return boot


def _sms_lines(boot: Bootstrap) -> list[dict[str, Any]]:
    path = boot.settings.home / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


MESSAGE = {
    "SMSMessage": {
        "Body": "Hi {{User.UserAttributes.FirstName}}, code {{Code}}",
        "Substitutions": {"Code": ["1234"]},
    },
    "EmailMessage": {
        "SimpleEmail": {
            "Subject": {"Data": "Hello {{User.UserAttributes.FirstName}}"},
            "HtmlPart": {"Data": "<p>{{Code}}</p>"},
        }
    },
}


def test_addresses_and_endpoints_with_opt_outs_honoured(boot: Bootstrap):
    response = boot.message_service.send(
        {
            "Addresses": {
                "+14155550199": {"ChannelType": "SMS", "BodyOverride": "direct {{Code}}"}
            },
            "Endpoints": {
                "e-sms": {},
                "e-mail": {"Substitutions": {"Code": ["999"]}},
                "e-out": {},
                "e-off": {},
                "missing": {},
            },
            "MessageConfiguration": MESSAGE,
        }
    )
    assert response["Result"]["+14155550199"]["DeliveryStatus"] == "SUCCESSFUL"
    results = response["EndpointResult"]
    assert results["e-sms"]["DeliveryStatus"] == "SUCCESSFUL"
    assert results["e-sms"]["StatusCode"] == 200
    assert results["e-mail"]["DeliveryStatus"] == "SUCCESSFUL"
    assert results["e-out"]["DeliveryStatus"] == "OPT_OUT"
    assert results["e-off"]["DeliveryStatus"] == "PERMANENT_FAILURE"
    assert results["missing"]["DeliveryStatus"] == "PERMANENT_FAILURE"
    lines = _sms_lines(boot)
    by_address = {line["address"]: line["content"]["body"] for line in lines}
    assert by_address == {"+14155550199": "direct 1234", "+14155550100": "Hi , code 1234"}
    assert "+14155550101" not in by_address  # opted out: nothing written
    emails = list((boot.settings.home / "outbox" / "email").glob("*.eml"))
    assert len(emails) == 1
    assert "999" in emails[0].read_text(errors="replace")


def test_users_messages_reach_each_endpoint_of_the_user_but_not_opted_out_ones(boot: Bootstrap):
    response = boot.message_service.send(
        {
            "Users": {"u1": {}, "u2": {}, "nobody": {}},
            "MessageConfiguration": {
                "DefaultMessage": {"Body": "Reminder"},
                **{k: v for k, v in MESSAGE.items() if k == "EmailMessage"},
            },
        }
    )
    result = response["Result"]
    assert set(result["u1"]) == {"e-sms", "e-mail"}
    assert {r["DeliveryStatus"] for r in result["u1"].values()} == {"SUCCESSFUL"}
    assert result["u2"]["e-out"]["DeliveryStatus"] == "OPT_OUT"
    assert result["nobody"] == {}
    assert [line["content"]["body"] for line in _sms_lines(boot)] == ["Reminder"]


def test_same_trace_id_sends_nothing_twice(boot: Bootstrap):
    body = {
        "TraceId": "reminder-42",
        "Endpoints": {"e-sms": {}},
        "MessageConfiguration": {"SMSMessage": {"Body": "once"}},
    }
    first = boot.message_service.send(body)
    second = boot.message_service.send(body)
    assert first["EndpointResult"]["e-sms"]["DeliveryStatus"] == "SUCCESSFUL"
    assert second["EndpointResult"]["e-sms"]["DeliveryStatus"] == "DUPLICATE"
    assert len(_sms_lines(boot)) == 1


def test_templates_serve_channels_the_request_has_no_message_for(boot: Bootstrap):
    boot.template_service.create(
        {"TemplateName": "alert", "SMSTemplateRequest": {"Body": "Alert for {{User.UserId}}"}}
    )
    response = boot.message_service.send(
        {
            "Endpoints": {"e-sms": {}, "e-mail": {}},
            "MessageConfiguration": {},
            "TemplateConfiguration": {"SMSTemplate": {"Name": "alert"}},
        }
    )
    assert response["EndpointResult"]["e-sms"]["DeliveryStatus"] == "SUCCESSFUL"
    assert response["EndpointResult"]["e-mail"]["DeliveryStatus"] == "PERMANENT_FAILURE"
    assert _sms_lines(boot)[0]["content"]["body"] == "Alert for u1"


def test_bad_bodies_are_refused_with_the_field(boot: Bootstrap):
    with pytest.raises(InvalidRecordError, match="ChannelType"):
        boot.message_service.send({"Addresses": {"x": {}}, "MessageConfiguration": {}})


# -- retries under one TraceId -------------------------------------------------------


class _ScriptedChannel:
    """Answers each deliver() call with the next scripted behaviour: an exception to
    raise, or a DeliveryStatus for every message; records what it delivered."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.delivered: list[Any] = []

    def deliver(self, messages: Any) -> list[Any]:
        from clarion.domain.messaging.delivery import DeliveryResult

        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        self.delivered.extend(messages)
        return [DeliveryResult(m.message_id, step) for m in messages]


def _service_with(boot: Bootstrap, channel: Any) -> Any:
    from clarion.services.messaging.transactional import MessageService

    return MessageService(
        boot.adapters.profile_store,
        boot.adapters.template_repository,
        channel,
        boot.adapters.send_ledger,
    )


TRACED = {
    "TraceId": "retry-me",
    "Addresses": {"+14155550199": {"ChannelType": "SMS"}},
    "Endpoints": {"e-sms": {}},
    "MessageConfiguration": {"SMSMessage": {"Body": "hello"}},
}


def test_a_raising_channel_leaves_the_targets_claimable_by_a_retry(boot: Bootstrap):
    from clarion.domain.messaging.delivery import DeliveryStatus

    channel = _ScriptedChannel(ConnectionError("down"), DeliveryStatus.SUCCESSFUL)
    service = _service_with(boot, channel)
    with pytest.raises(ConnectionError):
        service.send(TRACED)
    retried = service.send(TRACED)
    assert retried["EndpointResult"]["e-sms"]["DeliveryStatus"] == "SUCCESSFUL"
    assert retried["Result"]["+14155550199"]["DeliveryStatus"] == "SUCCESSFUL"
    assert len(channel.delivered) == 2
    # once sent, the same request is a duplicate again (and the channel is not called)
    again = service.send(TRACED)
    assert again["EndpointResult"]["e-sms"]["DeliveryStatus"] == "DUPLICATE"
    assert again["Result"]["+14155550199"]["DeliveryStatus"] == "DUPLICATE"
    assert len(channel.delivered) == 2


@pytest.mark.parametrize("status", ["THROTTLED", "TEMPORARY_FAILURE"])
def test_throttled_and_temporary_failures_may_be_retried(boot: Bootstrap, status: str):
    from clarion.domain.messaging.delivery import DeliveryStatus

    channel = _ScriptedChannel(DeliveryStatus(status), DeliveryStatus.SUCCESSFUL)
    service = _service_with(boot, channel)
    first = service.send(TRACED)
    assert first["EndpointResult"]["e-sms"]["DeliveryStatus"] == status
    second = service.send(TRACED)
    assert second["EndpointResult"]["e-sms"]["DeliveryStatus"] == "SUCCESSFUL"
    assert service.send(TRACED)["EndpointResult"]["e-sms"]["DeliveryStatus"] == "DUPLICATE"
    assert len(channel.delivered) == 4  # two targets, two attempts


def test_permanent_failures_and_in_doubt_claims_are_not_retried(boot: Bootstrap):
    from clarion.domain.messaging.delivery import DeliveryStatus, message_id_for

    channel = _ScriptedChannel(DeliveryStatus.PERMANENT_FAILURE)
    service = _service_with(boot, channel)
    assert service.send(TRACED)["EndpointResult"]["e-sms"]["DeliveryStatus"] == (
        "PERMANENT_FAILURE"
    )
    assert service.send(TRACED)["EndpointResult"]["e-sms"]["DeliveryStatus"] == "DUPLICATE"
    # a claim without an outcome (the process died while delivering) is in doubt
    scope = f"tx-{message_id_for('trace', 'in-doubt')}"
    boot.adapters.send_ledger.claim(scope, ["e-sms"])
    body = {k: v for k, v in TRACED.items() if k != "Addresses"} | {"TraceId": "in-doubt"}
    assert service.send(body)["EndpointResult"]["e-sms"]["DeliveryStatus"] == "DUPLICATE"
    assert len(channel.delivered) == 2


def test_retries_stop_after_max_attempts(boot: Bootstrap):
    from clarion.domain.messaging.delivery import DeliveryStatus
    from clarion.services.messaging.transactional import MAX_ATTEMPTS

    channel = _ScriptedChannel(*[DeliveryStatus.THROTTLED] * MAX_ATTEMPTS)
    service = _service_with(boot, channel)
    body = {k: v for k, v in TRACED.items() if k != "Addresses"}
    for _ in range(MAX_ATTEMPTS):
        result = service.send(body)["EndpointResult"]["e-sms"]
        assert result["DeliveryStatus"] == "THROTTLED"
    assert service.send(body)["EndpointResult"]["e-sms"]["DeliveryStatus"] == "DUPLICATE"
    assert len(channel.delivered) == MAX_ATTEMPTS


def test_without_trace_id_a_raise_propagates_and_nothing_is_recorded(boot: Bootstrap):
    channel = _ScriptedChannel(ConnectionError("down"))
    service = _service_with(boot, channel)
    body = {k: v for k, v in TRACED.items() if k != "TraceId"}
    with pytest.raises(ConnectionError):
        service.send(body)
