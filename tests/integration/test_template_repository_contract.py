"""The TemplateRepository contract, on both backends: message templates keyed by (type,
name), each stored whole with every version.

``local`` is the DuckDB adapter on a database in ``tmp_path``; ``aws`` is the DynamoDB
adapter on moto, on a definitions table made as the CDK stack makes it (campaigns and
segments share it, so each harness also stores one of those beside the templates).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.domain.common.errors import NotFoundError
from clarion.domain.templates.model import MessageTemplate, TemplateType
from clarion.ports.campaigns import CampaignRepository
from clarion.ports.templates import TemplateRepository

REGION = "us-east-1"
TABLE = "test-definitions"
NOW = "2025-03-12T10:00:00.000Z"


@dataclass
class TemplateBackend:
    """A TemplateRepository, a second one on the same storage (another process), and a
    campaign repository sharing that storage."""

    name: str
    templates: TemplateRepository
    other_process: TemplateRepository
    campaigns: CampaignRepository


def _local(tmp_path: Path) -> Iterator[TemplateBackend]:
    from clarion.adapters.local.campaigns.campaign_repository import DuckDBCampaignRepository
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.templates.template_repository import DuckDBTemplateRepository

    database = LocalDatabase(tmp_path / "home")
    yield TemplateBackend(
        "local",
        DuckDBTemplateRepository(database),
        DuckDBTemplateRepository(database),
        DuckDBCampaignRepository(database),
    )
    database.close()


def _aws() -> Iterator[TemplateBackend]:
    from clarion.adapters.aws.campaigns.campaign_repository import DynamoDBCampaignRepository
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
    from clarion.adapters.aws.templates.template_repository import DynamoDBTemplateRepository

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**definitions_table_spec(TABLE))
        yield TemplateBackend(
            "aws",
            DynamoDBTemplateRepository(client, TABLE),
            DynamoDBTemplateRepository(client, TABLE),
            DynamoDBCampaignRepository(client, TABLE),
        )


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[TemplateBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws()


BODIES: dict[TemplateType, dict[str, Any]] = {
    TemplateType.EMAIL: {
        "Subject": "Hi {{User.UserAttributes.FirstName}}",
        "HtmlPart": "<p>Hello {{User.UserAttributes.FirstName}}, Zoë says hi</p>",
        "TextPart": "Hello {{User.UserAttributes.FirstName}}",
        "DefaultSubstitutions": '{"User.UserAttributes.FirstName": "there"}',
        "tags": {"team": "growth"},
    },
    TemplateType.SMS: {"Body": "Your code is {{Attributes.Code}}"},
    TemplateType.PUSH: {"Default": {"Title": "Hi", "Body": "{{Attributes.Offer}}"}},
    TemplateType.VOICE: {"Body": "Hello {{User.UserAttributes.FirstName}}", "VoiceId": "Joanna"},
    TemplateType.INAPP: {
        "Layout": "TOP_BANNER",
        "Content": [{"BodyConfig": {"Alignment": "LEFT", "Body": "Sale!", "TextColor": "#000"}}],
    },
}


def _template(name: str, kind: TemplateType = TemplateType.EMAIL) -> MessageTemplate:
    return MessageTemplate.create(name, kind, BODIES[kind], now=NOW)


# -- the contract ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TemplateType))
def test_every_type_round_trips(backend: TemplateBackend, kind: TemplateType) -> None:
    template = _template("welcome", kind)
    backend.templates.save_template(template)

    assert backend.templates.get_template(kind, "welcome") == template
    # Stored, not remembered by the one repository object.
    assert backend.other_process.get_template(kind, "welcome") == template


def test_every_version_and_the_active_one_are_kept(backend: TemplateBackend) -> None:
    template = _template("welcome")
    for n in (2, 3, 4):
        body = {**BODIES[TemplateType.EMAIL], "Subject": f"version {n}"}
        template = template.update(body, create_new_version=True, now=NOW)
    template = template.set_active_version(2).delete_version(3)
    backend.templates.save_template(template)

    loaded = backend.templates.get_template(TemplateType.EMAIL, "welcome")

    assert loaded == template
    assert [v.version for v in loaded.versions] == [1, 2, 4]
    assert loaded.active_version == 2
    assert loaded.highest_version == 4
    assert loaded.version(4).body.subject == "version 4"  # type: ignore[union-attr]


def test_a_template_with_many_large_versions(backend: TemplateBackend) -> None:
    # A 50 KB email edited into ten versions: about half a megabyte stored whole.
    html = "<p>" + "Hello {{User.UserAttributes.FirstName}}, here is your news. " * 900 + "</p>"
    template = MessageTemplate.create("newsletter", TemplateType.EMAIL, {"HtmlPart": html}, now=NOW)
    for n in range(2, 11):
        template = template.update(
            {"Subject": f"issue {n}", "HtmlPart": html.replace("news", f"news {n}")},
            create_new_version=True,
            now=NOW,
        )
    assert len(str(template.to_record())) > 450_000
    backend.templates.save_template(template)

    loaded = backend.templates.get_template(TemplateType.EMAIL, "newsletter")

    assert loaded == template
    assert [t.template_name for t in backend.templates.list_templates()] == ["newsletter"]


def test_save_replaces_the_whole_template(backend: TemplateBackend) -> None:
    backend.templates.save_template(
        _template("welcome").update(BODIES[TemplateType.EMAIL], create_new_version=True)
    )
    replacement = MessageTemplate.create(
        "welcome", TemplateType.EMAIL, {"Subject": "fresh", "HtmlPart": "<p>new</p>"}, now=NOW
    )
    backend.templates.save_template(replacement)

    loaded = backend.templates.get_template(TemplateType.EMAIL, "welcome")
    assert loaded == replacement
    assert [v.version for v in loaded.versions] == [1]


def test_type_and_name_are_the_key(backend: TemplateBackend) -> None:
    backend.templates.save_template(_template("welcome", TemplateType.EMAIL))
    backend.templates.save_template(_template("welcome", TemplateType.SMS))

    assert backend.templates.get_template(TemplateType.SMS, "welcome").template_type == "SMS"
    assert backend.templates.get_template(TemplateType.EMAIL, "welcome").template_type == "EMAIL"
    with pytest.raises(NotFoundError):
        backend.templates.get_template(TemplateType.PUSH, "welcome")
    # Names are case-sensitive.
    with pytest.raises(NotFoundError):
        backend.templates.get_template(TemplateType.EMAIL, "Welcome")


def test_the_type_may_be_given_as_text(backend: TemplateBackend) -> None:
    backend.templates.save_template(_template("alert", TemplateType.SMS))

    assert backend.templates.get_template("SMS", "alert").template_name == "alert"  # type: ignore[arg-type]
    backend.templates.delete_template("SMS", "alert")  # type: ignore[arg-type]
    assert backend.templates.list_templates() == []


def test_list_is_ordered_by_name_then_type(backend: TemplateBackend) -> None:
    for name, kind in [
        ("welcome", TemplateType.VOICE),
        ("alert", TemplateType.SMS),
        ("welcome", TemplateType.EMAIL),
        ("Zeta", TemplateType.PUSH),
        ("welcome", TemplateType.SMS),
        ("alert-2", TemplateType.EMAIL),
    ]:
        backend.templates.save_template(_template(name, kind))

    listed = [(t.template_name, t.template_type.value) for t in backend.templates.list_templates()]

    # Code-point order: upper case before lower case.
    assert listed == [
        ("Zeta", "PUSH"),
        ("alert", "SMS"),
        ("alert-2", "EMAIL"),
        ("welcome", "EMAIL"),
        ("welcome", "SMS"),
        ("welcome", "VOICE"),
    ]


def test_list_holds_templates_only(backend: TemplateBackend) -> None:
    assert backend.templates.list_templates() == []
    backend.campaigns.save_campaign({"Id": "template-like", "Version": 1, "Name": "welcome"})
    backend.templates.save_template(_template("welcome"))

    assert [t.template_name for t in backend.templates.list_templates()] == ["welcome"]


def test_unknown_templates_are_not_found(backend: TemplateBackend) -> None:
    with pytest.raises(NotFoundError, match="missing") as caught:
        backend.templates.get_template(TemplateType.EMAIL, "missing")
    assert caught.value.kind == "template"


def test_delete_removes_every_version_of_that_type_only(backend: TemplateBackend) -> None:
    backend.templates.save_template(
        _template("welcome").update(BODIES[TemplateType.EMAIL], create_new_version=True)
    )
    backend.templates.save_template(_template("welcome", TemplateType.SMS))

    backend.templates.delete_template(TemplateType.EMAIL, "welcome")

    with pytest.raises(NotFoundError):
        backend.templates.get_template(TemplateType.EMAIL, "welcome")
    assert [t.template_type for t in backend.templates.list_templates()] == [TemplateType.SMS]
    # Saving again after a delete starts afresh.
    backend.templates.save_template(_template("welcome"))
    assert backend.templates.get_template(TemplateType.EMAIL, "welcome").highest_version == 1


def test_deleting_what_is_not_there_is_not_found(backend: TemplateBackend) -> None:
    backend.templates.save_template(_template("welcome", TemplateType.SMS))

    with pytest.raises(NotFoundError, match="welcome"):
        backend.templates.delete_template(TemplateType.EMAIL, "welcome")
    backend.templates.delete_template(TemplateType.SMS, "welcome")
    with pytest.raises(NotFoundError):
        backend.templates.delete_template(TemplateType.SMS, "welcome")
