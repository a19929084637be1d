"""The import Lambda end to end on moto: an object lands under ``imports/``, the handler
imports it into DynamoDB, writes the result beside it and fills the imported segment."""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore, endpoints_table_spec
from clarion.adapters.aws.segments.segment_repository import (
    DynamoDBSegmentRepository,
    definitions_table_spec,
    imported_members_prefix,
)
from lambdas._runtime import LazyBootstrap

EVENTS = Path(__file__).resolve().parent.parent / "events"
REGION = "us-east-1"
ENDPOINTS_TABLE = "fn-endpoints"
DEFINITIONS_TABLE = "fn-definitions"
BUCKET = "clarion-data-example"  # the bucket named in the event fixtures

CUSTOMERS_CSV = (
    "Id,ChannelType,Address,User.UserId,User.UserAttributes.FirstName,Attributes.Plan\n"
    "e-1,EMAIL,ana@example.com,u-1,Ana,Gold\n"
    "e-2,SMS,+14155550100,u-2,Bo,Silver\n"
    "e-3,EMAIL,not-an-email,u-3,Cy,Gold\n"
    "e-4,EMAIL,dee@example.com,u-4,Dee,Bronze\n"
)


@dataclass
class Deployment:
    """The moto resources the function works on, and the handler module."""

    handler: ModuleType
    s3: Any
    dynamodb: Any
    context: Any

    def upload(self, key: str, text: str) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())

    def result(self, key: str) -> dict[str, Any]:
        body = self.s3.get_object(Bucket=BUCKET, Key=f"import-results/{key}.json")["Body"]
        document: dict[str, Any] = json.loads(body.read())
        return document

    def keys(self, prefix: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return [item["Key"] for item in listing.get("Contents", [])]

    def members(self, segment_id: str) -> list[str]:
        ids: list[str] = []
        for key in self.keys(imported_members_prefix(segment_id) + "/"):
            text = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
            ids.extend(row[0] for row in csv.reader(io.StringIO(text)))
        return sorted(ids)

    def profiles(self) -> DynamoDBProfileStore:
        return DynamoDBProfileStore(self.dynamodb, ENDPOINTS_TABLE)

    def segments(self) -> DynamoDBSegmentRepository:
        return DynamoDBSegmentRepository(self.dynamodb, DEFINITIONS_TABLE, self.s3, BUCKET)


@pytest.fixture
def deployment(
    monkeypatch: pytest.MonkeyPatch, lambda_environment: Callable[..., None], lambda_context: Any
) -> Iterator[Deployment]:
    lambda_environment(
        CLARION_ENDPOINTS_TABLE=ENDPOINTS_TABLE,
        CLARION_DEFINITIONS_TABLE=DEFINITIONS_TABLE,
        CLARION_DATA_BUCKET=BUCKET,
        POWERTOOLS_SERVICE_NAME="clarion-import",
        POWERTOOLS_METRICS_NAMESPACE="Clarion",
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        handler = importlib.import_module("lambdas.import_endpoints.handler")
        # A fresh container: the composition root is made from this test's environment.
        monkeypatch.setattr(handler, "bootstrap", LazyBootstrap())
        yield Deployment(handler, s3, dynamodb, lambda_context)


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def test_eventbridge_event_imports_the_file_into_a_segment(deployment: Deployment):
    event = _event("eventbridge_s3_object_created.json")
    key = event["detail"]["object"]["key"]
    deployment.upload(key, CUSTOMERS_CSV)

    response = deployment.handler.handler(event, deployment.context)

    # Good rows either side of the bad one are imported.
    found = deployment.profiles().get_endpoints(["e-1", "e-2", "e-3", "e-4"])
    assert sorted(found) == ["e-1", "e-2", "e-4"]
    assert found["e-2"].address == "+14155550100"
    assert found["e-1"].user is not None
    assert found["e-1"].user.user_attributes == {"FirstName": ["Ana"]}
    assert [e.id for e in deployment.profiles().endpoints_for_user("u-4")] == ["e-4"]

    result = deployment.result(key)
    assert result["status"] == "SUCCEEDED"
    assert result["imported"] == 3
    assert result["updated"] == 0
    assert [(r["line"], r["field"]) for r in result["rejected"]] == [(4, "Address")]
    assert "email" in result["rejected"][0]["reason"]

    segment_id = result["segment_id"]
    segment = deployment.segments().get_segment(segment_id)
    assert segment["Name"] == "vip-customers"
    assert segment["SegmentType"] == "IMPORT"
    assert deployment.members(segment_id) == ["e-1", "e-2", "e-4"]

    (summary,) = response["imports"]
    assert summary["key"] == key
    assert summary["imported"] == 3
    assert summary["rejections"] == 1
    assert summary["result"] == f"s3://{BUCKET}/import-results/{key}.json"


def test_s3_notification_with_an_encoded_key(deployment: Deployment):
    event = _event("s3_object_created.json")
    # The notification encodes the space in "spring sale" as "+".
    key = "imports/spring sale/customers.csv"
    assert event["Records"][0]["s3"]["object"]["key"] == "imports/spring+sale/customers.csv"
    deployment.upload(key, CUSTOMERS_CSV)

    deployment.handler.handler(event, deployment.context)

    result = deployment.result(key)
    assert result["imported"] == 3
    assert deployment.segments().get_segment(result["segment_id"])["Name"] == "spring sale"


def test_a_file_directly_under_imports_makes_no_segment(deployment: Deployment):
    event = _event("eventbridge_s3_object_created.json")
    event["detail"]["object"]["key"] = key = "imports/customers.csv"
    deployment.upload(key, CUSTOMERS_CSV)

    deployment.handler.handler(event, deployment.context)

    result = deployment.result(key)
    assert result["imported"] == 3
    assert result["segment_id"] is None
    assert deployment.segments().list_segments() == []
    assert deployment.keys("imported-segments/") == []


def test_reimporting_updates(deployment: Deployment):
    event = _event("eventbridge_s3_object_created.json")
    event["detail"]["object"]["key"] = key = "imports/customers.csv"
    deployment.upload(key, CUSTOMERS_CSV)
    deployment.handler.handler(event, deployment.context)

    deployment.upload(key, CUSTOMERS_CSV.replace("Ana,Gold", "Ana,Platinum"))
    deployment.handler.handler(event, deployment.context)

    assert deployment.result(key)["updated"] == 3
    endpoint = deployment.profiles().get_endpoint("e-1")
    assert endpoint is not None
    assert endpoint.attributes == {"Plan": ["Platinum"]}


def test_an_unusable_file_gets_a_failed_result(deployment: Deployment):
    event = _event("eventbridge_s3_object_created.json")
    event["detail"]["object"]["key"] = key = "imports/broken.csv"
    deployment.upload(key, "ChannelType,Address,NoSuchColumn\nEMAIL,a@example.com,x\n")

    response = deployment.handler.handler(event, deployment.context)

    result = deployment.result(key)
    assert result["status"] == "FAILED"
    assert "NoSuchColumn" in result["error"]
    assert response["imports"][0]["status"] == "FAILED"
    assert deployment.dynamodb.scan(TableName=ENDPOINTS_TABLE, Select="COUNT")["Count"] == 0


def test_objects_outside_imports_are_ignored(deployment: Deployment):
    event = _event("eventbridge_s3_object_created.json")
    event["detail"]["object"]["key"] = "import-results/imports/customers.csv.json"

    assert deployment.handler.handler(event, deployment.context) == {"imports": []}
    assert deployment.keys("import-results/") == []


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_other_events_are_refused(deployment: Deployment):
    with pytest.raises(ValueError, match="not an S3 event"):
        deployment.handler.handler({"hello": "world"}, deployment.context)


def test_the_handler_never_loads_duckdb():
    code = (
        "import sys, lambdas.import_endpoints.handler, clarion.adapters.aws.audience, "
        "clarion.adapters.aws.segments, clarion.services.audience, clarion.services.segments\n"
        "assert 'duckdb' not in sys.modules, 'duckdb was imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={"POWERTOOLS_TRACE_DISABLED": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
