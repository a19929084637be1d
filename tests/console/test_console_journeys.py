"""The journeys pages in a real headless Chromium: the whitepaper's onboarding journey
(a welcome email, a week's wait, a split on opening it, tips or basics) drawn on the
canvas through the side form, a too-short wait refused by the API and shown on its
node, saved, activated, entered by sign-ups, and its page showing each node's metrics;
an endpoint explained; paused and resumed. Screenshots:
build/console-screenshots/test_a_journey_drawn_saved_activated_and_measured/.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console_harness import ConsoleUnderTest

DEMO = Path(__file__).resolve().parents[2] / "demo" / "journeys"
SIGN_UPS = ["e0", "e1", "e2"]


def _setup(console: ConsoleUnderTest) -> None:
    boot = console.bootstrap
    boot.endpoint_service.update_endpoints(
        [
            {
                "Id": f"e{i}",
                "ChannelType": "EMAIL",
                "Address": f"user{i}@example.com",
                "User": {"UserId": f"u{i}", "UserAttributes": {"FirstName": [f"Name{i}"]}},
            }
            for i in range(4)
        ]
    )
    for part in ("welcome", "tips", "basics"):
        boot.template_service.create(
            json.loads((DEMO / f"onboarding-{part}.json").read_text(encoding="utf-8"))
        )


def _sign_up(console: ConsoleUnderTest, endpoint_ids: list[str]) -> Any:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {
        "BatchItem": {
            endpoint_id: {
                "Endpoint": {},
                "Events": {f"sign-up-{endpoint_id}": {"EventType": "sign_up", "Timestamp": now}},
            }
            for endpoint_id in endpoint_ids
        }
    }
    return console.bootstrap.event_ingest_service.put_events(body)


def _add(console: ConsoleUnderTest, type_label: str, activity_id: str) -> None:
    form = console.page.locator("form.add-activity")
    form.get_by_label("Activity type").select_option(label=type_label)
    form.get_by_label("New activity id").fill(activity_id)
    form.get_by_role("button", name="Add activity").click()
    console.page.locator(f"[data-testid=node-{activity_id}]").wait_for()


def _select(console: ConsoleUnderTest, name: str) -> None:
    """Select a node from the keyboard: focus its button, press Enter."""
    console.page.get_by_role("button", name=name, exact=True).focus()
    console.page.keyboard.press("Enter")
    console.page.locator(f".activity-form h2:text-matches('{name.split()[-1]}$')").wait_for()


def test_a_journey_drawn_saved_activated_and_measured(console: ConsoleUnderTest) -> None:
    page = console.page
    app = console.bootstrap.app_id
    _setup(console)
    # The refused save is a 400 answer, which the browser reports on its console.
    console.expect_error(r"status of 400 \(Bad Request\)")

    console.open(f"/console/journeys?project={app}")
    page.get_by_label("Journey name").fill("onboarding")
    page.get_by_role("button", name="Create journey").click()
    page.wait_for_url(re.compile(r"/console/journeys/[0-9a-f]+\?"))
    console.settle()
    journey_id = page.url.split("/journeys/")[1].split("?")[0]
    assert page.get_by_test_id("journey-state").inner_text() == "DRAFT"

    # The start: sign-up events.
    page.get_by_label("Starts").select_option("event")
    page.get_by_label("Start event types").fill("sign_up")
    side = page.locator("form.activity-form")

    # Drawn one activity after the other, each connected after the selected one.
    _add(console, "Email", "welcome")
    side.get_by_label("Template", exact=True).fill("onboarding-welcome")
    side.get_by_label("From address").fill("Clarion <hello@example.com>")
    side.get_by_label("Description").fill("An email highlighting the features they get")
    _add(console, "Wait", "week")
    side.get_by_label("Wait for", exact=True).fill("PT5M")  # too short: the API refuses it
    _add(console, "Yes/no split", "opened")
    side.get_by_label("Condition 1: after the message of").select_option("welcome")
    side.get_by_label("Condition 1: the event").select_option("_email.open")
    _add(console, "Email", "tips")
    side.get_by_label("Template", exact=True).fill("onboarding-tips")
    _select(console, "Yes/no split activity opened")
    _add(console, "Email", "basics")
    side.get_by_label("Template", exact=True).fill("onboarding-basics")
    assert page.get_by_test_id("save-status").inner_text() == "Unsaved changes."
    # Every activity a node, every branch an arrow (welcome→week→opened→tips|basics,
    # and the start's).
    assert page.locator(".canvas-node[data-activity]").count() == 5
    assert page.locator("path.canvas-edge").count() == 5
    assert sorted(page.locator(".canvas-edge-label text").all_text_contents()) == ["no", "yes"]

    # Refused: the error is on the node it names, and under the side form's field.
    page.get_by_role("button", name="Save journey").click()
    console.settle()
    week = page.get_by_test_id("node-week")
    assert "has-error" in (week.get_attribute("class") or "")
    errors = week.get_by_test_id("node-errors").inner_text()
    assert "Wait.WaitTime.WaitFor" in errors and "from one hour (PT1H)" in errors
    assert page.locator("[data-testid=node-errors]").count() == 1  # only on that node
    assert "week" in page.get_by_test_id("journey-errors").inner_text()
    assert page.get_by_test_id("save-status").inner_text() == "Not saved: the API refused it."
    console.shot("journey-refused-wait-on-its-node")

    # Fixed on that node's form, saved.
    page.get_by_role("button", name=re.compile(r"^Wait activity week")).click()
    field = side.get_by_label("Wait for", exact=True)
    assert field.get_attribute("aria-invalid") == "true"
    field.fill("P7D")
    page.get_by_role("button", name="Save journey").click()
    console.settle()
    assert page.get_by_test_id("save-status").inner_text() == "Saved."
    assert page.locator("[data-testid=node-errors]").count() == 0
    stored = console.bootstrap.journey_service.get_journey(journey_id)
    activities = stored["Activities"]
    assert stored["StartActivity"] == "welcome"
    assert stored["StartCondition"]["EventStartCondition"]["EventFilter"]["Dimensions"] == {
        "EventType": {"DimensionType": "INCLUSIVE", "Values": ["sign_up"]}
    }
    assert activities["welcome"]["EMAIL"] == {
        "TemplateName": "onboarding-welcome",
        "MessageConfig": {"FromAddress": "Clarion <hello@example.com>"},
        "NextActivity": "week",
    }
    assert activities["week"]["Wait"] == {"WaitTime": {"WaitFor": "P7D"}, "NextActivity": "opened"}
    split = activities["opened"]["ConditionalSplit"]
    assert (split["TrueActivity"], split["FalseActivity"]) == ("tips", "basics")
    opened = {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["_email.open"]}}
    assert split["Condition"]["Conditions"] == [
        {"EventCondition": {"MessageActivity": "welcome", "Dimensions": opened}}
    ]

    # Activated; sign-ups enter it; its page shows each node's metrics.
    page.get_by_role("button", name="Activate").click()
    console.settle()
    assert page.get_by_test_id("journey-state").inner_text() == "ACTIVE"
    _sign_up(console, SIGN_UPS)
    page.reload()
    console.settle()
    page.get_by_test_id("journey-metric-ENDPOINT_ENTERED").wait_for()
    entered = page.get_by_test_id("journey-metric-ENDPOINT_ENTERED").locator(".kpi-value")
    assert entered.inner_text() == str(len(SIGN_UPS))
    metrics = console.bootstrap.journey_reports.execution_activity_metrics(journey_id, "welcome")
    assert metrics["Metrics"]["SUCCESS"] == str(len(SIGN_UPS))
    welcome = page.get_by_test_id("node-welcome").get_by_test_id("node-metrics").inner_text()
    assert welcome == f"SUCCESS {len(SIGN_UPS)}"
    waiting = page.get_by_test_id("node-week").get_by_test_id("node-metrics").inner_text()
    assert waiting == f"WAITING {len(SIGN_UPS)}"
    assert page.get_by_test_id("node-tips").get_by_test_id("node-metrics").inner_text() == (
        "no one yet"
    )

    # Why is e0 where it is? The explain answer, its path lit on the canvas.
    page.get_by_label("Endpoint id").fill("e0")
    page.get_by_role("button", name="Explain", exact=True).click()
    console.settle()
    assert page.get_by_test_id("explain-summary").inner_text().startswith("Waiting at 'week'")
    lit = page.locator(".canvas-node.on-path").evaluate_all("ns => ns.map(n => n.dataset.activity)")
    assert lit == ["welcome", "week"]
    console.shot("journey-active-metrics-explained")

    # Paused, then resumed.
    page.get_by_role("button", name="Pause").click()
    console.settle()
    assert page.get_by_test_id("journey-state").inner_text() == "PAUSED"
    page.get_by_role("button", name="Resume").click()
    console.settle()
    assert page.get_by_test_id("journey-state").inner_text() == "ACTIVE"

    # The list shows it with its state.
    console.section("Journeys")
    row = page.locator("table tbody tr", has_text="onboarding")
    assert row.locator(".state").inner_text() == "ACTIVE"
    console.shot("journeys-list")


def test_every_activity_type_is_drawn_and_a_bad_split_shows_on_its_node(
    console: ConsoleUnderTest,
) -> None:
    """The tests' branching journey (a holdout, a wait, a yes/no split, a multivariate
    split with a segment condition, a random split, email, SMS and custom messages) as
    the canvas draws it; a random split's percentages made to add up to 90 are refused
    on that node."""
    page = console.page
    boot = console.bootstrap
    _setup(console)
    boot.template_service.create(
        {"TemplateName": "onboarding-sms", "SMSTemplateRequest": {"Body": "Hi"}}
    )
    body = json.loads(
        (
            Path(__file__).resolve().parents[1] / "events" / "journeys" / "branching-journey.json"
        ).read_text(encoding="utf-8")
    )
    new = boot.segment_service.create_imported_segment("new-customers")
    vips = boot.segment_service.create_imported_segment("vips")
    body["StartCondition"]["SegmentStartCondition"]["SegmentId"] = new
    branches = body["Activities"]["engaged"]["MultiCondition"]["Branches"]
    branches[2]["Condition"]["SegmentCondition"]["SegmentId"] = vips
    journey_id = boot.journey_service.create_journey(body)["Id"]
    console.expect_error(r"status of 400 \(Bad Request\)")

    console.open(f"/console/journeys/{journey_id}?project={boot.app_id}")
    page.locator("[data-testid=node-vip]").wait_for()
    assert page.locator(".canvas-node.start").inner_text().endswith("segment new-customers")
    assert page.locator(".canvas-node[data-activity]").count() == len(body["Activities"])
    labels = sorted(page.locator(".canvas-edge-label text").all_text_contents())
    branches = ["yes", "no", "branch 1", "branch 2", "branch 3", "otherwise", "50%", "50%"]
    assert labels == sorted(["90% continue", *branches])
    # Two branches of `engaged` lead to `vip`: two arrows, not one.
    assert page.locator("path.canvas-edge").count() == 1 + 1 + 1 + 1 + 2 + 4 + 2
    types = page.locator(".canvas-node[data-activity] .node-type").all_inner_texts()
    assert {t.lower() for t in types} == {
        "email",
        "sms",
        "custom",
        "wait",
        "holdout",
        "yes/no split",
        "multivariate split",
        "random split",
    }
    assert page.get_by_test_id("node-hold").locator(".node-summary").inner_text() == (
        "10% held out"
    )

    page.get_by_role("button", name="Multivariate split activity engaged").click()
    side = page.locator("form.activity-form")
    assert (
        side.get_by_text("A segment condition (edit it in the activity JSON below).").count() == 2
    )
    assert side.get_by_label("Otherwise, next activity").input_value() == "thanks"

    page.get_by_role("button", name="Random split activity ab").click()
    side.get_by_label("Branch 1: percentage").fill("40")
    assert page.get_by_test_id("node-ab").locator(".node-summary").inner_text() == "40% / 50%"
    page.get_by_role("button", name="Save journey").click()
    console.settle()
    errors = page.get_by_test_id("node-ab").get_by_test_id("node-errors").inner_text()
    assert (
        "RandomSplit.Branches: the percentages add up to 90 (40 + 50); they must add up to 100"
        in errors
    )
    # The whole reason is on the node, none of it left over at the top.
    assert page.get_by_test_id("journey-errors").locator(".notice").count() == 1
    assert page.locator("[data-testid=node-errors]").count() == 1
    console.shot("branching-journey-refused-split")

    # A rename carries every reference; a removal takes its arrows with it.
    page.get_by_role("button", name="SMS activity reminderB").click()
    side.get_by_label("Activity id").fill("reminderSms")
    side.get_by_role("button", name="Rename").click()
    assert page.get_by_test_id("node-reminderSms").count() == 1
    page.get_by_role("button", name=re.compile(r"^Random split activity ab")).click()
    assert side.get_by_label("Branch 2: next activity").input_value() == "reminderSms"
    edges = page.locator("path.canvas-edge").count()
    page.get_by_role("button", name="Custom activity vip").click()
    side.get_by_role("button", name="Remove activity vip").click()
    assert page.get_by_test_id("node-vip").count() == 0
    assert page.locator(".canvas-node.missing").count() == 0
    assert page.locator("path.canvas-edge").count() == edges - 2
