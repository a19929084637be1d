"""The handlers that read their events as dicts (so that their cold import leaves out
Powertools' data-class package) read them as the data classes do: the same objects,
ids and bodies from the same events, and the same KeyError where a data class raised
one. The reference is the code the handlers ran before, on the data classes."""

from __future__ import annotations

import base64
import copy
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_plus

import pytest
from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEvent,
    EventBridgeEvent,
    S3Event,
)
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.data_classes.sns_event import SNSEventRecord

from lambdas._runtime import api_body

EVENTS = Path(__file__).resolve().parent.parent / "events"


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _handler(monkeypatch: pytest.MonkeyPatch, name: str) -> ModuleType:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    return importlib.import_module(f"lambdas.{name}.handler")


def _outcome(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except KeyError as exc:
        return ("KeyError", exc.args)


# -- import_endpoints ------------------------------------------------------------------


def _objects_reference(event: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    if event.get("source") == "aws.s3" and "detail" in event:
        bridge = S3EventBridgeNotificationEvent(event)
        if bridge.get("detail-type") != "Object Created":
            return []
        found = bridge.detail.object
        version = found.version_id or found.sequencer or found.etag
        return [(bridge.detail.bucket.name, found.key, version)]
    return [
        (
            record.s3.bucket.name,
            unquote_plus(record.s3.get_object.key),
            record.s3.get_object.version_id
            or record.s3.get_object.sequencer
            or record.s3.get_object.etag,
        )
        for record in S3Event(event).records
        if record.get("eventSource") == "aws:s3"
        and str(record.get("eventName", "")).startswith("ObjectCreated:")
    ]


def _bridge_variants() -> list[dict[str, Any]]:
    base = _event("eventbridge_s3_object_created.json")
    variants = [base]
    for change in (
        lambda o: o.update({"version-id": None}),
        lambda o: o.update({"version-id": "", "sequencer": ""}),
        lambda o: o.pop("version-id"),
        lambda o: o.update({"key": "imports/a%20b+c.csv"}),
        lambda o: o.pop("etag"),
    ):
        event = copy.deepcopy(base)
        change(event["detail"]["object"])
        variants.append(event)
    deleted = copy.deepcopy(base)
    deleted["detail-type"] = "Object Deleted"
    variants.append(deleted)
    return variants


def _record_variants() -> list[dict[str, Any]]:
    base = _event("s3_object_created.json")
    record = base["Records"][0]
    variants = [base]
    for change in (
        lambda r: r["s3"]["object"].update({"versionId": "v1"}),
        lambda r: r["s3"]["object"].update({"sequencer": ""}),
        lambda r: r["s3"].update({"get_object": {"key": "imports/tiered.csv", "sequencer": "9"}}),
        lambda r: r.update({"eventName": "ObjectRemoved:Delete"}),
        lambda r: r.update({"eventSource": "aws:sqs"}),
        lambda r: r.pop("eventName"),
        lambda r: r["s3"]["object"].pop("sequencer"),
    ):
        one = copy.deepcopy(record)
        change(one)
        variants.append({"Records": [one]})
    variants.append({"Records": [record, copy.deepcopy(record)]})
    variants.append({"Records": []})
    return variants


@pytest.mark.parametrize("event", _bridge_variants() + _record_variants())
def test_import_endpoints_reads_the_objects_the_data_classes_read(
    monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]
) -> None:
    handler = _handler(monkeypatch, "import_endpoints")

    def mine() -> list[tuple[str, str, str | None]]:
        return [(o.bucket, o.key, o.version) for o in handler.created_objects(event)]

    assert _outcome(mine) == _outcome(lambda: _objects_reference(event))


# -- ingest_events ---------------------------------------------------------------------


def _payloads_reference(event: dict[str, Any]) -> list[tuple[str | None, Any]]:
    def one(raw: Any) -> tuple[str | None, Any]:
        if not isinstance(raw, dict) or not isinstance(raw.get("Sns"), dict):
            return None, raw
        sns = SNSEventRecord(dict(raw)).sns
        message = sns.get("Message")
        try:
            return sns.get("MessageId"), json.loads(message or "")
        except json.JSONDecodeError:
            return sns.get("MessageId"), message

    if isinstance(event.get("Records"), list):
        return [one(raw) for raw in event["Records"]]
    return [(EventBridgeEvent(event).get("id"), event)]


_SNS_EVENTS: list[dict[str, Any]] = [
    {"Records": [{"Sns": {"MessageId": "m-1", "Message": json.dumps({"eventType": "Send"})}}]},
    {"Records": [{"Sns": {"MessageId": "m-2", "Message": "not json"}}]},
    {"Records": [{"Sns": {"MessageId": "m-3"}}, {"Sns": {"Message": "[]"}}]},
    {"Records": [{"EventSource": "aws:sqs"}, "text", {"Sns": "not a mapping"}]},
    {"id": "eb-1", "source": "aws.ses", "detail": {"eventType": "Bounce"}},
    {"source": "aws.ses", "detail": {}},
]


@pytest.mark.parametrize("event", _SNS_EVENTS)
def test_ingest_events_reads_the_payloads_the_data_classes_read(
    monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]
) -> None:
    handler = _handler(monkeypatch, "ingest_events")

    assert handler.delivery_payloads(event) == _payloads_reference(event)


@pytest.mark.parametrize(
    "event",
    [
        {"body": '{"BatchItem": {}}', "pathParameters": {"application-id": "app-1"}},
        {"body": None, "pathParameters": None},
        {"body": base64.b64encode(b"\xff{}").decode(), "isBase64Encoded": True},
        {"body": "", "isBase64Encoded": False, "pathParameters": {}},
        {"requestContext": {}},
    ],
)
def test_an_api_event_reads_as_the_proxy_data_class_reads_it(event: dict[str, Any]) -> None:
    proxy = APIGatewayProxyEvent(event)
    raw = proxy.body or ""
    reference = base64.b64decode(raw) if proxy.is_base64_encoded else str(raw)

    assert api_body(event) == reference
    assert api_body(proxy) == reference  # ingest_posts still hands over the data class
    assert (event.get("pathParameters") or {}).get("application-id") == (
        proxy.path_parameters.get("application-id")
    )


# -- endpoint_change_feed --------------------------------------------------------------


def _change_reference(raw: dict[str, Any]) -> Any:
    from decimal import Decimal

    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
        DynamoDBRecordEventName,
    )

    record = DynamoDBRecord(raw)
    stream = record.dynamodb
    keys = (stream.keys if stream else None) or {}
    image = (stream.new_image if stream else None) or {}
    seconds = record.raw_event.get("dynamodb", {}).get("ApproximateCreationDateTime")
    last_active = image.get("LastActiveMs")
    return (
        (stream.sequence_number if stream else None) or "",
        str(keys["Id"]) if "Id" in keys else None,
        record.event_name == DynamoDBRecordEventName.REMOVE,
        image.get("Document"),
        int(last_active) if last_active else None,
        None if seconds is None else int(Decimal(str(seconds)) * 1000),
    )


def _stream_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for name in ("insert", "modify", "registry", "remove"):
        records += _event(f"dynamodb_stream_{name}.json")["Records"]
    base = records[0]
    for change in (
        lambda r: r.pop("dynamodb"),
        lambda r: r.update({"dynamodb": {}}),
        lambda r: r.pop("eventName"),
        lambda r: r.update({"eventName": "TRUNCATE"}),
        lambda r: r["dynamodb"].pop("NewImage"),
        lambda r: r["dynamodb"].pop("Keys"),
        lambda r: r["dynamodb"].pop("ApproximateCreationDateTime"),
        lambda r: r["dynamodb"].update({"ApproximateCreationDateTime": 1767348000.125}),
        lambda r: r["dynamodb"]["NewImage"].update({"LastActiveMs": {"N": "1767348000123"}}),
    ):
        one = copy.deepcopy(base)
        change(one)
        records.append(one)
    return records


@pytest.mark.parametrize("record", _stream_records())
def test_endpoint_change_feed_reads_the_changes_the_data_class_reads(
    monkeypatch: pytest.MonkeyPatch, record: dict[str, Any]
) -> None:
    handler = _handler(monkeypatch, "endpoint_change_feed")

    def mine() -> Any:
        change = handler.endpoint_change(record)
        return (
            change.sequence_number,
            change.endpoint_id,
            change.removed,
            change.document,
            change.last_active_ms,
            change.changed_at_ms,
        )

    assert _outcome(mine) == _outcome(lambda: _change_reference(record))
