"""Endpoints and users through boto3's pinpoint client."""

from __future__ import annotations

from typing import Any

import pytest


def _email(address: str, **more: Any) -> dict[str, Any]:
    return {"ChannelType": "EMAIL", "Address": address, **more}


def test_update_get_and_merge_an_endpoint(pinpoint: Any, project: str) -> None:
    answer = pinpoint.update_endpoint(
        ApplicationId=project,
        EndpointId="e1",
        EndpointRequest=_email(
            "zoe@example.com",
            Attributes={"Plan": ["gold"]},
            User={"UserId": "u1", "UserAttributes": {"FirstName": ["Zoë"]}},
            Demographic={"Timezone": "Europe/Paris"},
        ),
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert answer["MessageBody"]["Message"] == "Accepted"
    # A second update merges attribute maps name by name, as Pinpoint did.
    pinpoint.update_endpoint(
        ApplicationId=project,
        EndpointId="e1",
        EndpointRequest={"Attributes": {"Region": ["EU"]}, "Metrics": {"visits": 3}},
    )
    endpoint = pinpoint.get_endpoint(ApplicationId=project, EndpointId="e1")["EndpointResponse"]
    assert endpoint["ApplicationId"] == project
    assert endpoint["Attributes"] == {"Plan": ["gold"], "Region": ["EU"]}
    assert endpoint["Metrics"] == {"visits": 3.0}
    assert endpoint["User"]["UserAttributes"] == {"FirstName": ["Zoë"]}
    assert endpoint["CreationDate"] and endpoint["EffectiveDate"]


def test_a_bad_endpoint_names_the_field(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="Address"):
        pinpoint.update_endpoint(
            ApplicationId=project, EndpointId="bad", EndpointRequest=_email("not-an-address")
        )
    with pytest.raises(pinpoint.exceptions.BadRequestException, match=r"E\.164"):
        pinpoint.update_endpoint(
            ApplicationId=project,
            EndpointId="bad",
            EndpointRequest={"ChannelType": "SMS", "Address": "0612"},
        )
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_endpoint(ApplicationId=project, EndpointId="bad")


def test_batch_writes_good_items_and_names_bad_ones(pinpoint: Any, project: str) -> None:
    answer = pinpoint.update_endpoints_batch(
        ApplicationId=project,
        EndpointBatchRequest={
            "Item": [
                {"Id": "b1", **_email("b1@example.com")},
                {"Id": "b2", **_email("broken")},
                {"Id": "b3", "ChannelType": "SMS", "Address": "+14155550100"},
            ]
        },
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert "Item.1.Address" in answer["MessageBody"]["Message"]
    assert pinpoint.get_endpoint(ApplicationId=project, EndpointId="b1")
    assert pinpoint.get_endpoint(ApplicationId=project, EndpointId="b3")
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_endpoint(ApplicationId=project, EndpointId="b2")


def test_a_batch_of_only_bad_items_is_a_bad_request(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException, match=r"Item\.0\.Address"):
        pinpoint.update_endpoints_batch(
            ApplicationId=project,
            EndpointBatchRequest={"Item": [{"Id": "x", **_email("broken")}]},
        )


def test_users_endpoints_and_their_deletion(pinpoint: Any, project: str) -> None:
    for number in range(3):
        pinpoint.update_endpoint(
            ApplicationId=project,
            EndpointId=f"u-{number}",
            EndpointRequest=_email(f"u{number}@example.com", User={"UserId": "user-7"}),
        )
    items = pinpoint.get_user_endpoints(ApplicationId=project, UserId="user-7")[
        "EndpointsResponse"
    ]["Item"]
    assert sorted(e["Id"] for e in items) == ["u-0", "u-1", "u-2"]
    deleted = pinpoint.delete_user_endpoints(ApplicationId=project, UserId="user-7")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert len(deleted["EndpointsResponse"]["Item"]) == 3
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_user_endpoints(ApplicationId=project, UserId="user-7")


def test_delete_endpoint_answers_what_it_was(pinpoint: Any, project: str) -> None:
    pinpoint.update_endpoint(
        ApplicationId=project, EndpointId="gone", EndpointRequest=_email("gone@example.com")
    )
    deleted = pinpoint.delete_endpoint(ApplicationId=project, EndpointId="gone")
    assert deleted["EndpointResponse"]["Address"] == "gone@example.com"
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.delete_endpoint(ApplicationId=project, EndpointId="gone")


@pytest.mark.local_only("finding the endpoints is Athena SQL, which moto does not run")
def test_remove_attributes_from_every_endpoint(pinpoint: Any, project: str) -> None:
    for number in range(2):
        pinpoint.update_endpoint(
            ApplicationId=project,
            EndpointId=f"r{number}",
            EndpointRequest=_email(
                f"r{number}@example.com", Attributes={"Old": ["x"], "Keep": ["y"]}
            ),
        )
    resource = pinpoint.remove_attributes(
        ApplicationId=project,
        AttributeType="endpoint-custom-attributes",
        UpdateAttributesRequest={"Blacklist": ["Old"]},
    )["AttributesResource"]
    assert resource["Attributes"] == ["Keep"]
    endpoint = pinpoint.get_endpoint(ApplicationId=project, EndpointId="r0")["EndpointResponse"]
    assert endpoint["Attributes"] == {"Keep": ["y"]}
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="AttributeType"):
        pinpoint.remove_attributes(
            ApplicationId=project,
            AttributeType="endpoint-colour",
            UpdateAttributesRequest={"Blacklist": ["Old"]},
        )
