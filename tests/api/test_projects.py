"""Projects through boto3's own pinpoint client: CreateApp, GetApps, GetApp, DeleteApp;
pagination, isolation of every resource, the default project."""

from __future__ import annotations

from typing import Any

import pytest


def test_create_get_and_list_projects(pinpoint: Any) -> None:
    created = pinpoint.create_app(
        CreateApplicationRequest={"Name": "shop", "tags": {"team": "growth"}}
    )["ApplicationResponse"]
    assert created["Name"] == "shop"
    assert created["tags"] == {"team": "growth"}
    assert created["Arn"].endswith(f"apps/{created['Id']}")
    fetched = pinpoint.get_app(ApplicationId=created["Id"])["ApplicationResponse"]
    assert fetched == created
    listed = pinpoint.get_apps(PageSize="1000")["ApplicationsResponse"]["Item"]
    ids = [app["Id"] for app in listed]
    assert ids[0] == "clarion"  # the default project, first
    assert created["Id"] in ids


def test_get_apps_pages_with_token(pinpoint: Any) -> None:
    for number in range(3):
        pinpoint.create_app(CreateApplicationRequest={"Name": f"paged-{number}"})
    everything = pinpoint.get_apps(PageSize="1000")["ApplicationsResponse"]["Item"]
    seen: list[str] = []
    token = None
    while True:
        kwargs = {"PageSize": "2", **({"Token": token} if token else {})}
        page = pinpoint.get_apps(**kwargs)["ApplicationsResponse"]
        assert len(page["Item"]) <= 2
        seen += [app["Id"] for app in page["Item"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [app["Id"] for app in everything]


def test_a_bad_token_is_a_bad_request(pinpoint: Any) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="Token"):
        pinpoint.get_apps(Token="not-a-token")


def test_delete_app_removes_the_project_and_its_data(pinpoint: Any, project: str) -> None:
    pinpoint.update_endpoint(
        ApplicationId=project,
        EndpointId="e1",
        EndpointRequest={"ChannelType": "EMAIL", "Address": "e1@example.com"},
    )
    deleted = pinpoint.delete_app(ApplicationId=project)["ApplicationResponse"]
    assert deleted["Id"] == project
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_app(ApplicationId=project)
    with pytest.raises(pinpoint.exceptions.NotFoundException, match="Project"):
        pinpoint.get_endpoint(ApplicationId=project, EndpointId="e1")


def test_the_default_project_cannot_be_deleted(pinpoint: Any) -> None:
    with pytest.raises(pinpoint.exceptions.ForbiddenException, match="default project"):
        pinpoint.delete_app(ApplicationId="clarion")
    assert pinpoint.get_app(ApplicationId="clarion")["ApplicationResponse"]["Id"] == "clarion"


def test_an_unknown_project_is_not_found_everywhere(pinpoint: Any) -> None:
    for call in (
        lambda: pinpoint.get_app(ApplicationId="nope"),
        lambda: pinpoint.get_segments(ApplicationId="nope"),
        lambda: pinpoint.get_campaigns(ApplicationId="nope"),
        lambda: pinpoint.get_endpoint(ApplicationId="nope", EndpointId="e"),
    ):
        with pytest.raises(pinpoint.exceptions.NotFoundException):
            call()


def test_two_projects_never_see_each_others_data(pinpoint: Any, api: Any) -> None:
    first = pinpoint.create_app(CreateApplicationRequest={"Name": "a"})["ApplicationResponse"]
    second = pinpoint.create_app(CreateApplicationRequest={"Name": "b"})["ApplicationResponse"]
    a, b = first["Id"], second["Id"]
    pinpoint.update_endpoint(
        ApplicationId=a,
        EndpointId="same-id",
        EndpointRequest={
            "ChannelType": "EMAIL",
            "Address": "a@example.com",
            "User": {"UserId": "u"},
        },
    )
    segment = pinpoint.create_segment(
        ApplicationId=a,
        WriteSegmentRequest={
            "Name": "all-email",
            "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}},
        },
    )["SegmentResponse"]
    pinpoint.put_events(
        ApplicationId=a,
        EventsRequest={
            "BatchItem": {
                "same-id": {
                    "Endpoint": {},
                    "Events": {
                        "ev": {"EventType": "purchase", "Timestamp": "2026-12-01T10:00:00Z"}
                    },
                }
            }
        },
    )
    pinpoint.update_application_settings(
        ApplicationId=a, WriteApplicationSettingsRequest={"Limits": {"Daily": 2}}
    )
    # Project b sees none of it.
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_endpoint(ApplicationId=b, EndpointId="same-id")
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_user_endpoints(ApplicationId=b, UserId="u")
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_segment(ApplicationId=b, SegmentId=segment["Id"])
    assert pinpoint.get_segments(ApplicationId=b)["SegmentsResponse"]["Item"] == []
    settings = pinpoint.get_application_settings(ApplicationId=b)["ApplicationSettingsResource"]
    assert "Limits" not in settings
    if api.backend == "local":  # KPIs are Athena SQL on AWS, which moto does not run
        kpi = pinpoint.get_application_date_range_kpi(ApplicationId=b, KpiName="messages-sent")[
            "ApplicationDateRangeKpiResponse"
        ]
        assert kpi["KpiResult"]["Rows"][0]["Values"][0]["Value"] == "0"
    # And a sees its own.
    assert (
        pinpoint.get_endpoint(ApplicationId=a, EndpointId="same-id")["EndpointResponse"]["Address"]
        == "a@example.com"
    )
    # The same endpoint id in b is b's own endpoint.
    pinpoint.update_endpoint(
        ApplicationId=b,
        EndpointId="same-id",
        EndpointRequest={"ChannelType": "EMAIL", "Address": "b@example.com"},
    )
    assert (
        pinpoint.get_endpoint(ApplicationId=a, EndpointId="same-id")["EndpointResponse"]["Address"]
        == "a@example.com"
    )


def test_settings_round_trip(pinpoint: Any, project: str) -> None:
    written = pinpoint.update_application_settings(
        ApplicationId=project,
        WriteApplicationSettingsRequest={
            "QuietTime": {"Start": "22:00", "End": "07:00"},
            "Limits": {"Daily": 3, "Total": 10, "MessagesPerSecond": 50},
            "JourneyLimits": {"DailyCap": 2, "TimeframeCap": {"Cap": 5, "Days": 7}},
            "CampaignHook": {"Mode": "FILTER", "WebUrl": "https://hooks.example.com/filter"},
        },
    )["ApplicationSettingsResource"]
    read = pinpoint.get_application_settings(ApplicationId=project)["ApplicationSettingsResource"]
    assert read == written
    assert read["ApplicationId"] == project
    assert read["Limits"] == {"Daily": 3, "Total": 10, "MessagesPerSecond": 50}
    assert read["JourneyLimits"]["TimeframeCap"] == {"Cap": 5, "Days": 7}
    # An empty object clears one part and leaves the others.
    cleared = pinpoint.update_application_settings(
        ApplicationId=project, WriteApplicationSettingsRequest={"QuietTime": {}}
    )["ApplicationSettingsResource"]
    assert "QuietTime" not in cleared and cleared["Limits"]["Daily"] == 3


def test_bad_settings_name_the_field(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="QuietTime"):
        pinpoint.update_application_settings(
            ApplicationId=project,
            WriteApplicationSettingsRequest={"QuietTime": {"Start": "25:00", "End": "07:00"}},
        )
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="Daily"):
        pinpoint.update_application_settings(
            ApplicationId=project, WriteApplicationSettingsRequest={"Limits": {"Daily": 101}}
        )


def test_tags_of_a_project(pinpoint: Any, project: str) -> None:
    arn = pinpoint.get_app(ApplicationId=project)["ApplicationResponse"]["Arn"]
    pinpoint.tag_resource(ResourceArn=arn, TagsModel={"tags": {"a": "1", "b": "2"}})
    assert pinpoint.list_tags_for_resource(ResourceArn=arn)["TagsModel"]["tags"] == {
        "a": "1",
        "b": "2",
    }
    pinpoint.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert pinpoint.list_tags_for_resource(ResourceArn=arn)["TagsModel"]["tags"] == {"b": "2"}
    assert pinpoint.get_app(ApplicationId=project)["ApplicationResponse"]["tags"] == {"b": "2"}
