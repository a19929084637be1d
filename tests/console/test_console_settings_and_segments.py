"""The settings page's channels and the segment builder's GPS point, in a real headless
Chromium (see conftest.py): an admin sets, changes and deletes channels of every kind
Pinpoint's API has through Update*Channel and Delete*Channel, each API error shown
beside its field; a marketer sees them read-only; a Location.GPSPoint criterion's live
estimate equals the API's and ``segments preview``.

Screenshots: build/console-screenshots/<test>/.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from console_harness import ConsoleUnderTest

from clarion.entrypoints.api.access import authorize, console_user
from clarion.entrypoints.api.errors import ForbiddenError

SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:push-key-AbCdEf"
EVERY_CHANNEL = (
    "EMAIL",
    "SMS",
    "VOICE",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "GCM",
    "BAIDU",
    "ADM",
)


def _channel(console: ConsoleUnderTest, platform: str) -> Any:
    return console.page.locator(f"form[data-channel='{platform}']")


def test_an_admin_changes_every_kind_of_channel(console: ConsoleUnderTest) -> None:
    page = console.page
    app = console.bootstrap.app_id
    channels = console.bootstrap.channel_service
    console.open(f"/console/settings?project={app}")
    assert [
        page.locator("form[data-channel]").nth(i).get_attribute("data-channel")
        for i in range(page.locator("form[data-channel]").count())
    ] == list(EVERY_CHANNEL)

    # SMS: saved through UpdateSmsChannel, listed by GetChannels, shown again.
    sms = _channel(console, "SMS")
    sms.get_by_label("Sender id").fill("CLARION")
    sms.get_by_role("button", name="Save the SMS channel").click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    assert channels.get_channel(app, "SMS")["SenderId"] == "CLARION"
    assert _channel(console, "SMS").get_by_label("Sender id").input_value() == "CLARION"
    assert "SMS" in page.locator("table").first.inner_text()

    # APNs: a credential that is not a Secrets Manager reference is refused by the API,
    # its reason under the field it names; a reference is kept and never shown again.
    console.expect_error(r"status of 400 \(Bad Request\)")
    apns = _channel(console, "APNS")
    apns.get_by_label("Bundle id").fill("com.example.app")
    apns.get_by_label("Default authentication").select_option("TOKEN")
    apns.get_by_label("Token key (Secrets Manager ARN)").fill("-----BEGIN PRIVATE KEY-----")
    apns.get_by_role("button", name="Save the APNs (Apple push) channel").click()
    error = apns.locator("[data-field-wrap='TokenKey'] .field-error")
    error.wait_for()
    page.wait_for_function(
        "el => el.textContent.length > 0", arg=error.element_handle(), timeout=5000
    )
    assert "Secrets Manager" in error.inner_text()
    assert "TokenKey" in error.inner_text()
    console.shot("apns-credential-refused")
    apns.get_by_label("Token key (Secrets Manager ARN)").fill(SECRET)
    apns.get_by_role("button", name="Save the APNs (Apple push) channel").click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    stored = channels.get_channel(app, "APNS")
    assert stored["HasTokenKey"] is True and stored["DefaultAuthenticationMethod"] == "TOKEN"
    assert SECRET not in page.content()
    # Pinpoint's APNSChannelResponse has no BundleId: the form says to give it again.
    bundle = _channel(console, "APNS").get_by_label("Bundle id")
    assert bundle.input_value() == ""
    assert bundle.get_attribute("placeholder") == "not shown back: give it again to keep it"

    # FCM with its service JSON, ADM with its client secret, voice turned off.
    gcm = _channel(console, "GCM")
    gcm.get_by_label("Default authentication").select_option("TOKEN")
    gcm.get_by_label("FCM service JSON (Secrets Manager ARN)").fill(SECRET)
    gcm.get_by_role("button", name=re.compile("Save the GCM")).click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    adm = _channel(console, "ADM")
    adm.get_by_label("Client id").fill("amzn1.application-oa2-client.1")
    adm.get_by_label("Client secret (Secrets Manager ARN)").fill(SECRET)
    adm.get_by_role("button", name=re.compile("Save the ADM")).click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    voice = _channel(console, "VOICE")
    voice.get_by_label("Enabled").uncheck()
    voice.get_by_role("button", name="Save the Voice channel").click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    listed = channels.channels(app)
    assert set(listed) == {"SMS", "APNS", "GCM", "ADM", "VOICE"}
    assert listed["VOICE"]["Enabled"] is False
    assert channels.get_channel(app, "GCM")["HasFcmServiceCredentials"] is True
    assert not _channel(console, "VOICE").get_by_label("Enabled").is_checked()

    # Baidu: Clarion's API does not offer it; its answer is shown on the form.
    console.expect_error(r"status of 405 \(Method Not Allowed\)")
    baidu = _channel(console, "BAIDU")
    baidu.get_by_label("API key (Secrets Manager ARN)").fill(SECRET)
    baidu.get_by_label("Secret key (Secrets Manager ARN)").fill(SECRET)
    baidu.get_by_role("button", name="Save the Baidu channel").click()
    refusal = baidu.locator(".form-errors .notice")
    refusal.wait_for()
    assert "UpdateBaiduChannel is not offered" in refusal.inner_text()

    # DeleteSmsChannel.
    _channel(console, "SMS").get_by_role("button", name="Delete the SMS channel").click()
    page.wait_for_selector("text=Saved.")
    console.settle()
    assert "SMS" not in channels.channels(app)
    assert _channel(console, "SMS").get_by_text("Not set.").is_visible()
    console.shot("channels")


def test_a_marketer_sees_channels_and_settings_read_only(console: ConsoleUnderTest) -> None:
    page = console.page
    app = console.bootstrap.app_id
    console.bootstrap.channel_service.update_channel(app, "SMS", {"SenderId": "SHOP"})
    # On AWS the console API's Cognito authorizer says who the user is; here the
    # identity a marketer gets is given to the page.
    page.route(
        "**/clarion/identity",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps(
                {"User": "mia", "Groups": ["marketer"], "Admin": False, "Extensions": []}
            ),
        ),
    )
    console.open(f"/console/settings?project={app}")
    assert page.get_by_text("Only the admin group may change channels and settings").is_visible()
    forms = page.locator("form[data-channel]")
    assert forms.count() == len(EVERY_CHANNEL)
    assert page.get_by_role("button", name=re.compile("^(Save|Delete)")).count() == 0
    sms = _channel(console, "SMS")
    assert sms.get_by_label("Sender id").input_value() == "SHOP"
    assert sms.get_by_label("Sender id").is_disabled()
    for i in range(forms.count()):
        for field in forms.nth(i).locator("input, select").all():
            assert field.is_disabled()
    assert page.get_by_label("Quiet time from").is_disabled()
    assert page.locator("#who").inner_text() == "mia · marketer"
    console.shot("settings-marketer")


def test_the_segment_builder_gps_point_estimate_equals_the_api(
    console: ConsoleUnderTest,
) -> None:
    page = console.page
    app = console.bootstrap.app_id
    places = {
        "paris": (48.8566, 2.3522),
        "versailles": (48.8049, 2.1204),  # about 18 km from Paris
        "orleans": (47.9030, 1.9093),  # about 110 km
        "lyon": (45.7640, 4.8357),  # about 390 km
    }
    endpoints = console.bootstrap.endpoint_service
    for name, (lat, lon) in places.items():
        endpoints.update_endpoint(
            f"e-{name}",
            {
                "ChannelType": "EMAIL",
                "Address": f"{name}@example.com",
                "Location": {"Latitude": lat, "Longitude": lon, "Country": "FR"},
            },
        )
    endpoints.update_endpoint("e-nowhere", {"ChannelType": "EMAIL", "Address": "n@example.com"})

    console.open(f"/console/segments/new?project={app}")
    page.get_by_label("Name", exact=True).fill("near-paris")
    page.get_by_role("button", name="Add criterion").click()
    row = page.locator(".criterion").nth(0)
    row.get_by_label("Criterion", exact=True).select_option("Location.GPSPoint")
    assert row.get_by_label("Values").is_hidden()
    row.get_by_label("Latitude").fill("48.8566")
    row.get_by_label("Longitude").fill("2.3522")
    row.get_by_label("Range in kilometres").fill("150")
    console.settle()
    shown = int(page.get_by_test_id("estimate-count").inner_text())
    request = {
        "Name": "near-paris",
        "SegmentGroups": {
            "Include": "ALL",
            "Groups": [
                {
                    "Type": "ALL",
                    "SourceType": "ANY",
                    "Dimensions": [
                        {
                            "Location": {
                                "GPSPoint": {
                                    "Coordinates": {"Latitude": 48.8566, "Longitude": 2.3522},
                                    "RangeInKilometers": 150,
                                }
                            }
                        }
                    ],
                }
            ],
        },
    }
    api = console.bootstrap.segment_service.estimate(request, 10)
    assert shown == api["Count"] == 3
    page.get_by_text("Request JSON").click()
    assert json.loads(page.locator("details pre.json").inner_text()) == request
    console.shot("gps-estimate")

    # A range the API refuses: its reason under the range field, no estimate.
    console.expect_error(r"status of 400 \(Bad Request\)")
    row.get_by_label("Range in kilometres").fill("0")
    console.settle()
    error = page.locator("[id$='-km-error']")
    assert "RangeInKilometers" in error.inner_text()
    assert row.get_by_label("Range in kilometres").get_attribute("aria-invalid") == "true"
    assert page.locator("ul.sample").count() == 0  # no stale sample beside the error
    sent = json.loads(page.locator("details pre.json").inner_text())
    assert (
        sent["SegmentGroups"]["Groups"][0]["Dimensions"][0]["Location"]["GPSPoint"][
            "RangeInKilometers"
        ]
        == 0
    )
    console.shot("gps-range-refused")
    row.get_by_label("Range in kilometres").fill("20")
    console.settle()
    assert int(page.get_by_test_id("estimate-count").inner_text()) == 2

    # Saved, reloaded: the same point, and the stored segment's count is preview's.
    page.get_by_role("button", name="Create segment").click()
    page.wait_for_url(re.compile(r"/console/segments/[0-9a-f]{32}"))
    console.settle()
    segment_id = page.url.split("/console/segments/")[1].split("?")[0]
    previewed = console.bootstrap.segment_service.preview(segment_id)
    assert previewed == 2
    assert int(page.get_by_test_id("estimate-count").inner_text()) == previewed
    row = page.locator(".criterion").nth(0)
    assert row.get_by_label("Criterion", exact=True).input_value() == "Location.GPSPoint"
    assert float(row.get_by_label("Latitude").input_value()) == 48.8566
    assert float(row.get_by_label("Range in kilometres").input_value()) == 20
    console.shot("gps-saved")


def test_the_apis_refusal_of_a_channel_change_is_shown_on_its_form(
    console: ConsoleUnderTest,
) -> None:
    """On AWS the console API refuses a channel change to a user no longer in ``admin``
    (the page was opened before the group changed): the refusal, in the API's own words
    and shape (access.authorize's ForbiddenException), is shown on the form."""
    page = console.page
    app = console.bootstrap.app_id
    claims = {"cognito:username": "mia", "cognito:groups": "marketer"}
    user = console_user({"aws.event": {"requestContext": {"authorizer": {"claims": claims}}}})
    with pytest.raises(ForbiddenError) as refused:
        authorize(user, "UpdateSmsChannel")
    refusal = str(refused.value)
    page.route(
        re.compile(r".*/v1/apps/[^/]+/channels/sms$"),
        lambda route: (
            route.fulfill(
                status=403,
                headers={"x-amzn-errortype": "ForbiddenException"},
                content_type="application/json",
                body=json.dumps({"Message": refusal, "RequestID": "r1"}),
            )
            if route.request.method == "PUT"
            else route.continue_()
        ),
    )
    console.expect_error(r"status of 403 \(Forbidden\)")
    console.open(f"/console/settings?project={app}")
    sms = _channel(console, "SMS")
    sms.get_by_label("Sender id").fill("SHOP")
    sms.get_by_role("button", name="Save the SMS channel").click()
    shown = sms.locator(".form-errors .notice")
    shown.wait_for()
    assert shown.inner_text() == refusal
    assert "only the admin group may call it" in refusal
    assert "SMS" not in console.bootstrap.channel_service.channels(app)
    console.shot("channel-change-refused")
