"""The in-app template editor, in a real headless Chromium (see conftest.py): an
InAppTemplateRequest written field by field (layout, header, body, colours, buttons),
its preview drawn from the parts as written (Pinpoint does not personalise in-app
messages), saved through CreateInAppTemplate and a new version through
UpdateInAppTemplate, each API refusal beside its field.

Screenshots: build/console-screenshots/<test>/.
"""

from __future__ import annotations

import re

from console_harness import ConsoleUnderTest


def test_an_in_app_template_is_written_previewed_and_versioned(
    console: ConsoleUnderTest,
) -> None:
    page = console.page
    app = console.bootstrap.app_id
    templates = console.bootstrap.template_service
    console.open(f"/console/templates/new?type=INAPP&project={app}")
    assert page.get_by_label("Channel").input_value() == "INAPP"
    assert page.get_by_label("Default substitutions (JSON)").count() == 0
    page.get_by_label("Name", exact=True).fill("spring-banner")
    page.get_by_label("Layout").select_option("MIDDLE_BANNER")
    page.get_by_label("Header", exact=True).fill("Spring sale")
    page.get_by_label("Header alignment").select_option("CENTER")
    page.get_by_label("Header colour").fill("#112233")
    page.get_by_label("Body", exact=True).fill("20% off <b>everything</b>")
    # A choice left alone is its first option, shown and sent.
    assert page.get_by_label("Body alignment").input_value() == "LEFT"
    page.get_by_label("Body colour").fill("#333333")
    page.get_by_label("Background colour").fill("#fff8e1")
    page.get_by_label("Primary button text").fill("Shop now")
    page.get_by_label("Primary button action").select_option("LINK")
    page.get_by_label("Primary button link").fill("https://shop.example.com/spring")
    console.settle()
    preview = page.get_by_test_id("inapp-preview")
    assert preview.locator(".inapp-header").inner_text() == "Spring sale"
    # Text stays text: the body's markup is shown, never parsed.
    assert preview.locator(".inapp-body").inner_text() == "20% off <b>everything</b>"
    assert preview.locator("b").count() == 0
    assert preview.locator(".inapp-button.primary").inner_text() == "Shop now"
    console.shot("inapp-editor")

    page.get_by_role("button", name="Create template").click()
    page.wait_for_url(re.compile(r"/console/templates/inapp/spring-banner"))
    console.settle()
    stored = templates.get("spring-banner", "INAPP")
    assert stored["Layout"] == "MIDDLE_BANNER"
    message = stored["Content"][0]
    assert message["HeaderConfig"] == {
        "Header": "Spring sale",
        "Alignment": "CENTER",
        "TextColor": "#112233",
    }
    assert message["BodyConfig"] == {
        "Body": "20% off <b>everything</b>",
        "Alignment": "LEFT",
        "TextColor": "#333333",
    }
    assert message["PrimaryBtn"]["DefaultConfig"] == {
        "Text": "Shop now",
        "ButtonAction": "LINK",
        "Link": "https://shop.example.com/spring",
    }
    # The saved template reopens with its parts, and a change is a new version.
    assert page.get_by_label("Header", exact=True).input_value() == "Spring sale"
    assert page.get_by_role("button", name="Send a test to this endpoint").count() == 0
    page.get_by_label("Layout").select_option("TOP_BANNER")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    # A new version, not yet the active one (as in Pinpoint), until it is made active.
    assert templates.get("spring-banner", "INAPP", "2")["Layout"] == "TOP_BANNER"
    assert templates.get("spring-banner", "INAPP")["Version"] == "1"
    console.shot("inapp-saved")
    page.get_by_role("button", name="Make version 2 active").click()
    page.wait_for_selector("button:text('Make version 1 active')")
    console.settle()
    assert templates.get("spring-banner", "INAPP")["Layout"] == "TOP_BANNER"
    assert page.get_by_label("Layout").input_value() == "TOP_BANNER"

    # The templates list links to it by its type.
    console.section("Templates")
    page.get_by_role("link", name="spring-banner").click()
    console.settle()
    assert page.locator("main h1").inner_text() == "Template spring-banner (INAPP)"
