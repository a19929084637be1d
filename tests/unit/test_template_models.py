"""Template request models and versioning, checked against the Pinpoint service model
(botocore's pinpoint 2016-12-01 definition) and the Pinpoint user guide."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import botocore
import pytest
from pydantic import BaseModel

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.domain.templates.model import (
    MAX_TEMPLATE_VERSIONS,
    REQUEST_BODY_NAMES,
    REQUEST_MODELS,
    EmailTemplateRequest,
    MessageTemplate,
    PushNotificationTemplateRequest,
    SMSTemplateRequest,
    TemplateType,
    VoiceTemplateRequest,
    parse_default_substitutions,
    validate_template_name,
    validate_template_request,
)

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "templates"
T0 = "2024-05-01T10:00:00.000Z"
T1 = "2024-05-02T10:00:00.000Z"
T2 = "2024-05-03T10:00:00.000Z"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def service_shapes() -> dict[str, Any]:
    folder = Path(botocore.__file__).parent / "data" / "pinpoint" / "2016-12-01"
    plain = folder / "service-2.json"
    if plain.exists():
        return json.loads(plain.read_text())["shapes"]
    with gzip.open(folder / "service-2.json.gz") as handle:
        return json.load(handle)["shapes"]


def aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


# ---- request shapes: field names exactly as the service model has them


@pytest.mark.parametrize(
    ("shape", "model"),
    [
        ("EmailTemplateRequest", EmailTemplateRequest),
        ("SMSTemplateRequest", SMSTemplateRequest),
        ("PushNotificationTemplateRequest", PushNotificationTemplateRequest),
        ("VoiceTemplateRequest", VoiceTemplateRequest),
    ],
)
def test_request_fields_match_the_pinpoint_service_model(shape: str, model: type) -> None:
    assert aliases(model) == set(service_shapes()[shape]["members"])


@pytest.mark.parametrize(
    ("shape", "platform"),
    [
        ("AndroidPushNotificationTemplate", "GCM"),
        ("AndroidPushNotificationTemplate", "ADM"),
        ("AndroidPushNotificationTemplate", "Baidu"),
        ("APNSPushNotificationTemplate", "APNS"),
        ("DefaultPushNotificationTemplate", "Default"),
    ],
)
def test_push_platform_fields_match_the_service_model(shape: str, platform: str) -> None:
    field = next(
        f
        for n, f in PushNotificationTemplateRequest.model_fields.items()
        if (f.alias or n) == platform
    )
    model = next(a for a in field.annotation.__args__ if a is not type(None))  # type: ignore[union-attr]
    assert aliases(model) == set(service_shapes()[shape]["members"])


def test_request_body_names_are_the_operations_member_names() -> None:
    shapes = service_shapes()
    for kind, operation in [
        (TemplateType.EMAIL, "CreateEmailTemplateRequest"),
        (TemplateType.SMS, "CreateSmsTemplateRequest"),
        (TemplateType.PUSH, "CreatePushTemplateRequest"),
        (TemplateType.VOICE, "CreateVoiceTemplateRequest"),
    ]:
        assert REQUEST_BODY_NAMES[kind] in shapes[operation]["members"]
        assert REQUEST_MODELS[kind].__name__ == REQUEST_BODY_NAMES[kind]


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("EMAIL", "email_welcome.json"),
        ("SMS", "sms_reminder.json"),
        ("PUSH", "push_offer.json"),
        ("VOICE", "voice_code.json"),
    ],
)
def test_fixture_bodies_round_trip_unchanged(kind: str, name: str) -> None:
    body = fixture(name)
    assert validate_template_request(kind, body).to_pinpoint() == body


def test_unknown_fields_are_rejected_with_their_pinpoint_name() -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_request("SMS", {"Body": "hi", "Subject": "no such field on SMS"})
    assert [p.field for p in caught.value.problems] == ["Subject"]


def test_push_action_must_be_one_of_pinpoints() -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_request("PUSH", {"Default": {"Action": "LAUNCH"}})
    assert caught.value.problems[0].field == "Default.Action"


def test_email_headers_are_limited_to_fifteen() -> None:
    headers = [{"Name": f"X-{i}", "Value": "v"} for i in range(16)]
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_request("EMAIL", {"Subject": "s", "Headers": headers})
    assert caught.value.problems[0].field == "Headers"
    assert validate_template_request("EMAIL", {"Subject": "s", "Headers": headers[:15]})


def test_unknown_template_type_is_rejected() -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_request("LETTER", {})
    assert caught.value.problems[0].field == "TemplateType"


def test_a_body_of_another_type_is_rejected() -> None:
    with pytest.raises(InvalidRecordError):
        validate_template_request("EMAIL", SMSTemplateRequest(body="hi"))


# ---- DefaultSubstitutions: a JSON string holding an object of strings


def test_default_substitutions_parse_to_an_object_of_strings() -> None:
    text = json.dumps({"User.UserAttributes.FirstName": "there", "Attributes.[Plan Name]": "Free"})
    assert parse_default_substitutions(text) == json.loads(text)
    assert parse_default_substitutions(None) == {}


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '"a string"', '{"Attributes.X": 3}', '{"Attributes.X": ["a"]}'],
)
def test_bad_default_substitutions_are_rejected(text: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_request("SMS", {"Body": "hi", "DefaultSubstitutions": text})
    assert caught.value.problems[0].field == "DefaultSubstitutions"


# ---- template names (Pinpoint: alphanumeric start, [A-Za-z0-9_-], at most 128)


@pytest.mark.parametrize("name", ["a", "Welcome_Email-2", "9lives", "x" * 128])
def test_valid_template_names(name: str) -> None:
    assert validate_template_name(name) == name


@pytest.mark.parametrize("name", ["", "-lead", "_lead", "has space", "dot.name", "x" * 129, "é"])
def test_invalid_template_names(name: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_name(name)
    assert caught.value.problems[0].field == "TemplateName"


# ---- malformed Handlebars is refused at creation, naming each broken part


def test_malformed_template_is_rejected_at_creation() -> None:
    with pytest.raises(InvalidRecordError) as caught:
        MessageTemplate.create("broken", "EMAIL", fixture("email_malformed.json"))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"Subject", "HtmlPart", "TextPart"}
    assert all("line 1" in p.reason for p in caught.value.problems)


def test_malformed_push_part_is_named_by_platform_and_field() -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_template_request("PUSH", {"APNS": {"Title": "{{#each x}}"}})
    assert [p.field for p in caught.value.problems] == ["APNS.Title"]


def test_malformed_update_is_rejected_and_nothing_changes() -> None:
    template = MessageTemplate.create("t", "SMS", {"Body": "ok"}, now=T0)
    with pytest.raises(InvalidRecordError):
        template.update({"Body": "{{#if x}}"}, create_new_version=True)
    assert template.latest_version == 1


# ---- versioning (user guide: Managing versions of message templates)


def email_template() -> MessageTemplate:
    return MessageTemplate.create("welcome", "EMAIL", fixture("email_welcome.json"), now=T0)


def test_creating_makes_version_1_active() -> None:
    template = email_template()
    assert template.active_version == 1
    assert [v.version for v in template.versions] == [1]
    assert template.active.creation_date == T0


def test_new_versions_count_up_and_do_not_change_the_active_one() -> None:
    template = email_template()
    second = template.update({"Subject": "two"}, create_new_version=True, now=T1)
    third = second.update({"Subject": "three"}, create_new_version=True, now=T2)
    assert [v.version for v in third.versions] == [1, 2, 3]
    assert third.active_version == 1
    assert third.version(3).body.subject == "three"  # type: ignore[union-attr]


def test_update_without_new_version_overwrites_the_latest() -> None:
    template = email_template().update({"Subject": "two"}, create_new_version=True, now=T1)
    updated = template.update({"Subject": "two, edited"}, now=T2)
    assert [v.version for v in updated.versions] == [1, 2]
    assert updated.version(2).body.subject == "two, edited"  # type: ignore[union-attr]
    assert updated.version(2).last_modified_date == T2
    assert updated.version(2).creation_date == T1


def test_an_update_naming_a_version_must_name_the_latest() -> None:
    template = email_template().update({"Subject": "two"}, create_new_version=True, now=T1)
    with pytest.raises(InvalidRecordError):
        template.update({"Subject": "x"}, version=1)
    assert template.update({"Subject": "x"}, version="2").version(2).body.subject == "x"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        template.update({"Subject": "x"}, version=7)


def test_a_version_cannot_be_named_with_create_new_version() -> None:
    with pytest.raises(InvalidRecordError):
        email_template().update({"Subject": "x"}, create_new_version=True, version=1)


def test_active_version_can_be_latest_or_an_existing_number() -> None:
    template = email_template()
    for _ in range(2):
        template = template.update({"Subject": "n"}, create_new_version=True, now=T1)
    assert template.set_active_version("latest").active_version == 3
    assert template.set_active_version("2").active_version == 2
    with pytest.raises(NotFoundError):
        template.set_active_version(9)
    with pytest.raises(InvalidRecordError):
        template.set_active_version("newest")


def test_get_without_version_returns_the_active_one() -> None:
    template = email_template().update({"Subject": "two"}, create_new_version=True, now=T1)
    assert template.to_pinpoint()["Version"] == "1"
    assert template.to_pinpoint(2)["Subject"] == "two"


def test_version_numbers_are_never_reused() -> None:
    template = email_template()
    template = template.update({"Subject": "2"}, create_new_version=True, now=T1)
    template = template.delete_version(2)
    template = template.update({"Subject": "3"}, create_new_version=True, now=T2)
    assert [v.version for v in template.versions] == [1, 3]


def test_the_active_version_cannot_be_deleted() -> None:
    with pytest.raises(InvalidRecordError):
        email_template().delete_version(1)


def test_at_most_5000_versions() -> None:
    template = MessageTemplate.create("many", "SMS", {"Body": "0"}, now=T0)
    first = template.versions[0]
    versions = tuple(first.model_copy(update={"version": n}) for n in range(1, 5001))
    full = template.model_copy(update={"versions": versions, "highest_version": 5000})
    assert len(full.versions) == MAX_TEMPLATE_VERSIONS
    with pytest.raises(InvalidRecordError):
        full.update({"Body": "more"}, create_new_version=True)


def test_tags_on_updates_are_ignored_as_pinpoint_does_since_2023() -> None:
    template = email_template()
    updated = template.update({"Subject": "x", "tags": {"team": "other"}}, create_new_version=True)
    assert updated.to_pinpoint(2)["tags"] == {"team": "growth"}


# ---- response shapes


def test_get_response_has_the_email_template_response_fields() -> None:
    response = email_template().to_pinpoint(
        arn="arn:aws:mobiletargeting:r:1:templates/welcome/EMAIL"
    )
    members = set(service_shapes()["EmailTemplateResponse"]["members"])
    assert set(response) <= members
    required = service_shapes()["EmailTemplateResponse"]["required"]
    assert set(required) <= set(response)
    assert response["Version"] == "1"  # a string in Pinpoint's shape
    assert response["TemplateType"] == "EMAIL"
    assert response["Subject"] == fixture("email_welcome.json")["Subject"]


@pytest.mark.parametrize(
    ("kind", "name", "shape"),
    [
        ("SMS", "sms_reminder.json", "SMSTemplateResponse"),
        ("PUSH", "push_offer.json", "PushNotificationTemplateResponse"),
        ("VOICE", "voice_code.json", "VoiceTemplateResponse"),
    ],
)
def test_other_responses_fit_their_shapes(kind: str, name: str, shape: str) -> None:
    response = MessageTemplate.create("t", kind, fixture(name), now=T0).to_pinpoint()
    definition = service_shapes()[shape]
    assert set(response) <= set(definition["members"])
    assert set(definition["required"]) <= set(response)


def test_list_and_version_responses() -> None:
    template = email_template().update({"Subject": "two"}, create_new_version=True, now=T1)
    shapes = service_shapes()
    item = template.to_template_response()
    assert set(item) <= set(shapes["TemplateResponse"]["members"])
    assert item["Version"] == "1"
    versions = template.to_versions_response()["Item"]
    assert [v["Version"] for v in versions] == ["2", "1"]  # newest first
    for version in versions:
        assert set(version) <= set(shapes["TemplateVersionResponse"]["members"])


def test_store_record_round_trips_and_keeps_each_body_type() -> None:
    for kind, name in [("SMS", "sms_reminder.json"), ("VOICE", "voice_code.json")]:
        template = MessageTemplate.create("t", kind, fixture(name), now=T0)
        record = json.loads(json.dumps(template.to_record()))
        restored = MessageTemplate.from_record(record)
        assert restored == template
        assert type(restored.active.body) is REQUEST_MODELS[TemplateType(kind)]
