"""A campaign whose messages render with warnings says so: the run summary counts the
messages each warning touched (preview and send agree), retries count nothing twice,
and the dry run at launch reports the variable most of the segment lacks."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.templates.lint import LintKind
from clarion.services.campaigns.runner import CampaignRunner

NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
GREETING = "HtmlPart: {{User.UserAttributes.FirstName}}: missing value"


def _endpoint(index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Id": f"ep-{index:03d}",
        "ChannelType": "EMAIL",
        "Address": f"user{index}@example.com",
        "Attributes": {"Interests": ["gardening", "cooking"]},
        "User": {"UserId": f"u{index}", "UserAttributes": {}},
    }
    # 40 in 100 have no first name.
    if index % 5 >= 2:
        data["User"]["UserAttributes"]["FirstName"] = [f"Name{index}"]
    return data


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    boot.adapters.profile_store.put_endpoints([validate_endpoint(_endpoint(i)) for i in range(100)])
    return boot


def _campaign(boot: Bootstrap, **extra: Any) -> str:
    segment = boot.segment_service.create_segment(
        {
            "Name": "email",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    boot.template_service.create(
        {
            "TemplateName": "greeting",
            "EmailTemplateRequest": {
                "Subject": "News",
                "HtmlPart": (
                    "<p>Hi {{User.UserAttributes.FirstName}}</p>"
                    "{{#each Attributes.Interests}}<i>{{this}} for "
                    "{{User.UserAttributes.FirstName}}</i>{{/each}}"
                ),
            },
        }
    )
    request = {
        "Name": "news",
        "SegmentId": segment["Id"],
        "TemplateConfiguration": {"EmailTemplate": {"Name": "greeting"}},
        "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
        **extra,
    }
    return str(boot.campaign_service.create_campaign(request)["Id"])


def test_a_run_that_sent_40_percent_empty_greetings_says_so(boot: Bootstrap) -> None:
    service = boot.campaign_service
    campaign_id = _campaign(boot)

    run_id = service.launch(campaign_id, now=NOW)
    (report,) = service.runs(campaign_id)

    assert report["RunId"] == run_id and report["Sent"] == 100
    assert report["RenderWarnings"] == {
        "Messages": 40,
        "Share": 0.4,
        "Warnings": {GREETING: 40},
    }
    # The names inside each found the endpoint's (handlebars.java's lookup): the 60 with
    # a first name got it in every line, so only the 40 without one warned.
    html = _sent_html(boot.settings.home)
    assert "<p>Hi Name2</p><i>gardening for Name2</i><i>cooking for Name2</i>" in html["ep-002"]
    assert "<p>Hi </p><i>gardening for </i>" in html["ep-000"]


def _sent_html(home: Path) -> dict[str, str]:
    """The HTML part of each email in the outbox, by endpoint id (from its address)."""
    found = {}
    for path in (home / "outbox" / "email").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        index = int(str(message["To"]).removeprefix("user").split("@")[0])
        body = message.get_body(preferencelist=("html",))
        assert body is not None
        found[f"ep-{index:03d}"] = body.get_content()  # type: ignore[attr-defined]
    return found


def test_preview_and_send_agree_on_the_warnings(boot: Bootstrap) -> None:
    _campaign(boot)
    preview = boot.template_service.render("greeting", "ep-000")  # no first name
    assert [w.split(": ", 1)[0] for w in preview["Warnings"]] == ["HtmlPart"]
    assert "User.UserAttributes.FirstName" in preview["Warnings"][0]
    assert boot.template_service.render("greeting", "ep-002")["Warnings"] == []


def test_the_launch_keeps_the_dry_run_on_the_run(boot: Bootstrap) -> None:
    service = boot.campaign_service
    campaign_id = _campaign(boot)

    findings = service.preflight(campaign_id)
    service.launch(campaign_id, now=NOW)
    (report,) = service.runs(campaign_id)

    (finding,) = findings
    assert finding.kind == LintKind.MISSING_VALUES
    assert (finding.missing, finding.targeted, finding.template) == (40, 100, "greeting")
    assert report["Preflight"] == [finding.to_json()]


def test_the_dry_run_counts_only_the_endpoints_the_message_reaches(boot: Bootstrap) -> None:
    # Opted-out endpoints and other channels are not sent to: they do not count.
    store = boot.adapters.profile_store
    extra = [
        validate_endpoint({**_endpoint(200 + i), "OptOut": "ALL", "User": {}}) for i in range(50)
    ]
    sms = [
        validate_endpoint({"Id": f"sms-{i}", "ChannelType": "SMS", "Address": f"+1415555{i:04d}"})
        for i in range(50)
    ]
    store.put_endpoints([*extra, *sms])
    segment = boot.segment_service.create_segment({"Name": "everyone", "Dimensions": {}})
    campaign_id = _campaign(boot, SegmentId=segment["Id"])

    (finding,) = boot.campaign_service.preflight(campaign_id)
    assert (finding.missing, finding.targeted) == (40, 100)


def test_a_share_under_the_threshold_is_not_reported(tmp_path: Path) -> None:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home", missing_value_share=0.5))
    boot.adapters.profile_store.put_endpoints([validate_endpoint(_endpoint(i)) for i in range(100)])
    assert boot.campaign_service.preflight(_campaign(boot)) == []


def test_retried_batches_count_each_message_once(boot: Bootstrap) -> None:
    campaign_id = _campaign(boot)
    runner = CampaignRunner(
        boot.adapters.campaign_repository,
        boot.adapters.template_repository,
        boot.adapters.profile_store,
        boot.adapters.send_ledger,
        boot.adapters.delivery_channel,
        boot.adapters.event_sink,
        boot.segment_service,
    )
    run = runner.plan_run(campaign_id, now=NOW)
    audience = sorted(runner.audience(run["RunId"]))
    for _ in range(2):
        runner.send_batch(run["RunId"], audience[:50], now=NOW)
    runner.send_batch(run["RunId"], audience[50:], now=NOW)

    summary = runner.summarise_run(run["RunId"], now=NOW)

    assert summary["RenderWarnings"] == {"Messages": 40, "Warnings": {GREETING: 40}}


def test_resumed_messages_count_in_the_same_run(boot: Bootstrap) -> None:
    quiet = {"StartTime": "IMMEDIATE", "Frequency": "ONCE"}
    quiet["QuietTime"] = {"Start": "13:00", "End": "15:00"}  # type: ignore[assignment]
    campaign_id = _campaign(boot, Schedule=quiet)
    service = boot.campaign_service
    service.launch(campaign_id, now=NOW)  # 14:00 UTC: everyone deferred
    (deferred,) = service.runs(campaign_id)
    assert deferred["RenderWarnings"]["Messages"] == 0 and deferred["Sent"] == 0

    report = service.resume(deferred["RunId"], now=NOW + timedelta(hours=2))

    assert report["Sent"] == 100
    assert report["RenderWarnings"]["Messages"] == 40
