"""The CampaignRepository and TemplateRepository contracts on both backends."""

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


@dataclass
class Repositories:
    campaigns: CampaignRepository
    templates: TemplateRepository


@pytest.fixture(params=["local", "aws"])
def repos(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Repositories]:
    if request.param == "local":
        from clarion.adapters.local.campaigns.campaign_repository import DuckDBCampaignRepository
        from clarion.adapters.local.common.database import LocalDatabase
        from clarion.adapters.local.templates.template_repository import DuckDBTemplateRepository

        database = LocalDatabase(tmp_path / "home")
        yield Repositories(DuckDBCampaignRepository(database), DuckDBTemplateRepository(database))
        database.close()
        return
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    from clarion.adapters.aws.campaigns.campaign_repository import DynamoDBCampaignRepository
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
    from clarion.adapters.aws.templates.template_repository import DynamoDBTemplateRepository

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**definitions_table_spec(TABLE))
        yield Repositories(
            DynamoDBCampaignRepository(client, TABLE), DynamoDBTemplateRepository(client, TABLE)
        )


def _campaign(campaign_id: str, version: int, **fields: Any) -> dict[str, Any]:
    return {"Id": campaign_id, "Version": version, "Name": f"{campaign_id} v{version}", **fields}


def test_campaign_versions_and_latest(repos: Repositories):
    campaigns = repos.campaigns
    campaigns.save_campaign(_campaign("c1", 1))
    campaigns.save_campaign(_campaign("c1", 11, Name="eleven"))
    campaigns.save_campaign(_campaign("c1", 2))  # late write of an older version
    campaigns.save_campaign(_campaign("c2", 1, tags={"Zoë": "ü"}))

    assert campaigns.get_campaign("c1")["Name"] == "eleven"
    assert campaigns.get_campaign("c1", 2)["Name"] == "c1 v2"
    assert [c["Id"] for c in campaigns.list_campaigns()] == ["c1", "c2"]
    assert campaigns.list_campaigns()[1]["tags"] == {"Zoë": "ü"}
    with pytest.raises(NotFoundError):
        campaigns.get_campaign("nope")
    with pytest.raises(NotFoundError):
        campaigns.get_campaign("c1", 3)


def test_bad_campaign_identity_is_refused(repos: Repositories):
    with pytest.raises(ValueError, match="Version"):
        repos.campaigns.save_campaign({"Id": "c1", "Version": 0})
    with pytest.raises(ValueError, match="Id"):
        repos.campaigns.save_campaign({"Version": 1})


def test_runs_read_back_and_list_per_campaign_in_start_order(repos: Repositories):
    campaigns = repos.campaigns
    late = {"RunId": "r2", "CampaignId": "c1", "StartTime": "2025-03-12T15:00:00.000Z"}
    early = {"RunId": "r1", "CampaignId": "c1", "StartTime": "2025-03-12T14:00:00.000Z"}
    other = {"RunId": "r3", "CampaignId": "c2", "StartTime": "2025-03-12T13:00:00.000Z"}
    for run in (late, early, other):
        campaigns.save_run(run)
    campaigns.save_run({**early, "State": "COMPLETED", "Counts": {"SENT": 3}})

    assert campaigns.get_run("r1")["Counts"] == {"SENT": 3}
    assert [r["RunId"] for r in campaigns.list_runs("c1")] == ["r1", "r2"]
    assert campaigns.list_runs("c1")[0]["State"] == "COMPLETED"
    assert campaigns.list_runs("none") == []
    with pytest.raises(NotFoundError):
        campaigns.get_run("missing")


def _template(name: str, kind: TemplateType = TemplateType.EMAIL) -> MessageTemplate:
    body: dict[str, Any] = (
        {"Subject": "Hi {{User.UserAttributes.FirstName}}", "HtmlPart": "<p>Hello</p>"}
        if kind == TemplateType.EMAIL
        else {"Body": "Hello {{User.UserAttributes.FirstName}}"}
    )
    return MessageTemplate.create(name, kind, body, now="2025-03-12T10:00:00.000Z")


def test_templates_round_trip_with_all_versions(repos: Repositories):
    templates = repos.templates
    template = _template("welcome").update(
        {"Subject": "v2", "HtmlPart": "<p>2</p>"}, create_new_version=True
    )
    templates.save_template(template)
    loaded = templates.get_template(TemplateType.EMAIL, "welcome")
    assert loaded == template
    assert loaded.version(2).body.subject == "v2"  # type: ignore[union-attr]


def test_templates_are_keyed_by_type_and_name(repos: Repositories):
    templates = repos.templates
    templates.save_template(_template("welcome"))
    templates.save_template(_template("welcome", TemplateType.SMS))
    templates.save_template(_template("alert", TemplateType.SMS))

    listed = [(t.template_name, t.template_type.value) for t in templates.list_templates()]
    assert listed == [("alert", "SMS"), ("welcome", "EMAIL"), ("welcome", "SMS")]
    templates.delete_template(TemplateType.SMS, "welcome")
    assert templates.get_template(TemplateType.EMAIL, "welcome").template_name == "welcome"
    with pytest.raises(NotFoundError):
        templates.get_template(TemplateType.SMS, "welcome")
    with pytest.raises(NotFoundError):
        templates.delete_template(TemplateType.VOICE, "welcome")
