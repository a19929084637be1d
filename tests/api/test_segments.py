"""Segments, and import and export jobs, through boto3's pinpoint client."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

GOLD = {"Attributes": {"Plan": {"AttributeType": "INCLUSIVE", "Values": ["gold"]}}}


def _endpoints(pinpoint: Any, project: str, plans: dict[str, str]) -> None:
    pinpoint.update_endpoints_batch(
        ApplicationId=project,
        EndpointBatchRequest={
            "Item": [
                {
                    "Id": endpoint_id,
                    "ChannelType": "EMAIL",
                    "Address": f"{endpoint_id}@example.com",
                    "Attributes": {"Plan": [plan]},
                }
                for endpoint_id, plan in plans.items()
            ]
        },
    )


def test_segment_versions_and_listing(pinpoint: Any, project: str) -> None:
    created = pinpoint.create_segment(
        ApplicationId=project, WriteSegmentRequest={"Name": "gold", "Dimensions": GOLD}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    segment = created["SegmentResponse"]
    assert segment["ApplicationId"] == project and segment["Version"] == 1
    assert segment["SegmentType"] == "DIMENSIONAL"
    updated = pinpoint.update_segment(
        ApplicationId=project,
        SegmentId=segment["Id"],
        WriteSegmentRequest={"Name": "gold members"},
    )["SegmentResponse"]
    assert updated["Version"] == 2 and updated["Dimensions"] == segment["Dimensions"]
    first = pinpoint.get_segment_version(
        ApplicationId=project, SegmentId=segment["Id"], Version="1"
    )["SegmentResponse"]
    assert first["Name"] == "gold"
    versions = pinpoint.get_segment_versions(ApplicationId=project, SegmentId=segment["Id"])[
        "SegmentsResponse"
    ]["Item"]
    assert [v["Version"] for v in versions] == [1, 2]
    listed = pinpoint.get_segments(ApplicationId=project)["SegmentsResponse"]["Item"]
    assert [s["Name"] for s in listed] == ["gold members"]
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_segment_version(ApplicationId=project, SegmentId=segment["Id"], Version="9")


def test_bad_segment_definitions_name_the_field(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="AttributeType"):
        pinpoint.create_segment(
            ApplicationId=project,
            WriteSegmentRequest={
                "Name": "x",
                "Dimensions": {
                    "Attributes": {"Plan": {"AttributeType": "SIMILAR", "Values": ["gold"]}}
                },
            },
        )


def test_a_segment_in_use_cannot_be_deleted(pinpoint: Any, project: str) -> None:
    segment = pinpoint.create_segment(
        ApplicationId=project, WriteSegmentRequest={"Name": "s", "Dimensions": GOLD}
    )["SegmentResponse"]
    campaign = pinpoint.create_campaign(
        ApplicationId=project,
        WriteCampaignRequest={
            "Name": "c",
            "SegmentId": segment["Id"],
            "Schedule": {"StartTime": "2036-01-01T00:00:00Z", "Frequency": "ONCE"},
            "MessageConfiguration": {"EmailMessage": {"Title": "Hi", "HtmlBody": "<p>Hi</p>"}},
        },
    )["CampaignResponse"]
    with pytest.raises(pinpoint.exceptions.ConflictException, match=campaign["Id"]):
        pinpoint.delete_segment(ApplicationId=project, SegmentId=segment["Id"])
    pinpoint.delete_campaign(ApplicationId=project, CampaignId=campaign["Id"])
    deleted = pinpoint.delete_segment(ApplicationId=project, SegmentId=segment["Id"])
    assert deleted["SegmentResponse"]["Id"] == segment["Id"]
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_segment(ApplicationId=project, SegmentId=segment["Id"])


def _put_file(api: Any, tmp_path: Path, name: str, text: str) -> str:
    """The URL of a file the job reads: on the local disk, or in the bucket on AWS."""
    if api.backend == "local":
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path.as_uri()
    bucket = api.bootstrap.settings.aws.data_bucket
    key = f"imports/{uuid.uuid4().hex}/{name}"
    api.bootstrap.adapters.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode())
    return f"s3://{bucket}/{key}"


def test_import_job_defines_a_segment_and_reports_bad_rows(
    pinpoint: Any, project: str, tmp_path: Path, api: Any
) -> None:
    url = _put_file(
        api,
        tmp_path,
        "customers.csv",
        "ChannelType,Address,User.UserAttributes.FirstName\n"
        "EMAIL,ana@example.com,Ana\n"
        "EMAIL,not-an-address,Bob\n"
        "SMS,+14155550100,Cleo\n",
    )
    job = pinpoint.create_import_job(
        ApplicationId=project,
        ImportJobRequest={
            "S3Url": url,
            "Format": "CSV",
            "RoleArn": "arn:aws:iam::123456789012:role/import",
            "DefineSegment": True,
            "SegmentName": "imported",
            "RegisterEndpoints": True,
        },
    )
    assert job["ResponseMetadata"]["HTTPStatusCode"] == 201
    body = job["ImportJobResponse"]
    assert body["JobStatus"] == "COMPLETED" and body["Type"] == "IMPORT"
    assert body["TotalProcessed"] == 2 and body["TotalFailures"] == 1
    assert any("line 3" in f and "Address" in f for f in body["Failures"])
    segment_id = body["Definition"]["SegmentId"]
    segment = pinpoint.get_segment(ApplicationId=project, SegmentId=segment_id)["SegmentResponse"]
    assert segment["SegmentType"] == "IMPORT" and segment["ImportDefinition"]["Size"] == 2
    assert (
        pinpoint.get_import_job(ApplicationId=project, JobId=body["Id"])["ImportJobResponse"]["Id"]
        == body["Id"]
    )
    jobs = pinpoint.get_import_jobs(ApplicationId=project)["ImportJobsResponse"]["Item"]
    assert [j["Id"] for j in jobs] == [body["Id"]]
    by_segment = pinpoint.get_segment_import_jobs(ApplicationId=project, SegmentId=segment_id)
    assert [j["Id"] for j in by_segment["ImportJobsResponse"]["Item"]] == [body["Id"]]


def test_an_import_of_a_missing_file_fails_with_the_reason(
    pinpoint: Any, project: str, tmp_path: Path
) -> None:
    job = pinpoint.create_import_job(
        ApplicationId=project,
        ImportJobRequest={
            "S3Url": (tmp_path / "missing.csv").as_uri(),
            "Format": "CSV",
            "RoleArn": "arn:aws:iam::123456789012:role/import",
        },
    )["ImportJobResponse"]
    assert job["JobStatus"] == "FAILED"
    assert "missing.csv" in job["Failures"][0]


@pytest.mark.local_only("a segment's members are Athena SQL, which moto does not run")
def test_export_job_writes_pinpoints_export_format(
    pinpoint: Any, project: str, tmp_path: Path
) -> None:
    _endpoints(pinpoint, project, {"g1": "gold", "g2": "gold", "s1": "silver"})
    segment = pinpoint.create_segment(
        ApplicationId=project, WriteSegmentRequest={"Name": "gold", "Dimensions": GOLD}
    )["SegmentResponse"]
    job = pinpoint.create_export_job(
        ApplicationId=project,
        ExportJobRequest={
            "S3UrlPrefix": (tmp_path / "exports").as_uri(),
            "RoleArn": "arn:aws:iam::123456789012:role/export",
            "SegmentId": segment["Id"],
        },
    )
    assert job["ResponseMetadata"]["HTTPStatusCode"] == 202
    body = job["ExportJobResponse"]
    assert body["JobStatus"] == "COMPLETED" and body["TotalProcessed"] == 2
    files = sorted((tmp_path / "exports").rglob("*.gz"))
    lines = [
        json.loads(line)
        for f in files
        for line in gzip.decompress(f.read_bytes()).split(b"\n")
        if line
    ]
    assert sorted(e["Id"] for e in lines) == ["g1", "g2"]
    assert all(e["ApplicationId"] == project and e["CreationDate"] for e in lines)
    # The export file imports back unchanged, into another project.
    other = pinpoint.create_app(CreateApplicationRequest={"Name": "copy"})["ApplicationResponse"]
    back = pinpoint.create_import_job(
        ApplicationId=other["Id"],
        ImportJobRequest={
            "S3Url": (tmp_path / "exports").as_uri(),
            "Format": "JSON",
            "RoleArn": "arn:aws:iam::123456789012:role/import",
        },
    )["ImportJobResponse"]
    assert back["TotalProcessed"] == 2 and back["TotalFailures"] == 0
    jobs = pinpoint.get_segment_export_jobs(ApplicationId=project, SegmentId=segment["Id"])
    assert [j["Id"] for j in jobs["ExportJobsResponse"]["Item"]] == [body["Id"]]
    assert pinpoint.get_export_jobs(ApplicationId=project)["ExportJobsResponse"]["Item"]


def test_a_segment_of_ten_thousand_values_is_a_bad_request_naming_the_dimension(
    pinpoint: Any, project: str
) -> None:
    values = [f"c{n}" for n in range(10_000)]
    with pytest.raises(pinpoint.exceptions.BadRequestException) as caught:
        pinpoint.create_segment(
            ApplicationId=project,
            WriteSegmentRequest={
                "Name": "too many",
                "Dimensions": {"UserAttributes": {"CustomerId": {"Values": values}}},
            },
        )

    message = caught.value.response["Error"]["Message"]
    assert "Dimensions.UserAttributes.CustomerId.Values" in message
    assert "10000 values; a dimension may have at most 1000" in message
    assert pinpoint.get_segments(ApplicationId=project)["SegmentsResponse"]["Item"] == []
