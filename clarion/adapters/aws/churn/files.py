"""The AWS ChurnFiles: the pipeline's files in the data bucket."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from clarion.domain.common.errors import NotFoundError


def split_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def _missing(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("NoSuchKey", "404", "NotFound")


class S3ChurnFiles:
    """ChurnFiles in the data bucket (keys, or full ``s3://`` URLs)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def _where(self, key: str) -> tuple[str, str]:
        return split_s3_url(key) if key.startswith("s3://") else (self._bucket, key)

    def location(self, key: str) -> str:
        bucket, name = self._where(key)
        return f"s3://{bucket}/{name}"

    def put_text(self, key: str, text: str) -> str:
        bucket, name = self._where(key)
        self._client.put_object(Bucket=bucket, Key=name, Body=text.encode("utf-8"))
        return f"s3://{bucket}/{name}"

    def get_text(self, key: str) -> str:
        bucket, name = self._where(key)
        try:
            body = self._client.get_object(Bucket=bucket, Key=name)["Body"].read()
        except Exception as exc:
            if _missing(exc):
                raise NotFoundError("object", f"s3://{bucket}/{name}") from None
            raise
        return bytes(body).decode("utf-8")

    def list_keys(self, prefix: str) -> list[str]:
        bucket, name = self._where(prefix)
        keys: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=name
        ):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)
