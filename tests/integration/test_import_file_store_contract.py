"""The ImportFileStore contract. Only the AWS backend has one (locally files are
imported by path): S3 on moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.ports.audience import ImportFileStore

REGION = "us-east-1"
BUCKET = "contract-imports"


@dataclass
class FilesBackend:
    name: str
    store: ImportFileStore
    bucket: str
    drop: Callable[[str, bytes], None]
    read: Callable[[str], tuple[bytes, str]]


def _aws() -> Iterator[FilesBackend]:
    from clarion.adapters.aws.audience.import_file_store import S3ImportFileStore

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)

        def drop(key: str, data: bytes) -> None:
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)

        def read(key: str) -> tuple[bytes, str]:
            got: dict[str, Any] = s3.get_object(Bucket=BUCKET, Key=key)
            return got["Body"].read(), str(got["ContentType"])

        yield FilesBackend("aws", S3ImportFileStore(s3), BUCKET, drop, read)


@pytest.fixture(params=["aws"])
def backend(request: pytest.FixtureRequest, aws_credentials: None) -> Iterator[FilesBackend]:
    yield from _aws()


def test_a_dropped_file_is_read_as_a_stream(backend: FilesBackend) -> None:
    data = b"Id,ChannelType,Address\n" + b"e-1,EMAIL,zo\xc3\xab@example.com\n" * 5000
    backend.drop("imports/vip/customers.csv", data)

    stream = backend.store.open(backend.bucket, "imports/vip/customers.csv")
    try:
        first = stream.read(23)
        rest = stream.read()
    finally:
        stream.close()

    assert first == b"Id,ChannelType,Address\n"
    assert first + rest == data


def test_a_missing_file_raises(backend: FilesBackend) -> None:
    with pytest.raises(Exception, match=r"NoSuchKey|Not Found|does not exist"):
        backend.store.open(backend.bucket, "imports/nothing-here.csv")


def test_a_result_is_written_as_json_and_named_by_url(backend: FilesBackend) -> None:
    document = {"status": "SUCCEEDED", "imported": 3, "rejected": [{"reason": "Zoë"}]}

    url = backend.store.put_json(backend.bucket, "import-results/imports/a.csv.json", document)

    assert url == f"s3://{backend.bucket}/import-results/imports/a.csv.json"
    body, content_type = backend.read("import-results/imports/a.csv.json")
    assert json.loads(body) == document
    assert "Zoë" in body.decode("utf-8")  # UTF-8, not escaped
    assert content_type == "application/json"
