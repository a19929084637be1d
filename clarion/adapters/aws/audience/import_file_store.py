"""The AWS ImportFileStore: endpoint files and their import results in S3."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any, cast


class S3ImportFileStore:
    """ImportFileStore on S3: objects are streamed (``GetObject``'s body), results put
    as ``application/json``.

    Parameters
    ----------
    client
        A boto3 S3 client (the bucket comes with each call: the one the event names).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def open(self, bucket: str, key: str) -> IO[bytes]:
        return cast(IO[bytes], self._client.get_object(Bucket=bucket, Key=key)["Body"])

    def put_json(self, bucket: str, key: str, document: Mapping[str, Any]) -> str:
        self._client.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document, indent=2, ensure_ascii=False).encode(),
            ContentType="application/json",
        )
        return f"s3://{bucket}/{key}"
