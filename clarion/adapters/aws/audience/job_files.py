"""Files of import and export jobs in S3: the ``aws`` JobFiles (``s3://bucket/key``;
a URL ending in ``/`` or naming no object is a prefix)."""

from __future__ import annotations

from typing import IO, Any, cast
from urllib.parse import urlparse


def split_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` URL. Raises ValueError for anything else."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{url!r} is not an s3://bucket/key URL")
    return parsed.netloc, parsed.path.lstrip("/")


class S3JobFiles:
    """JobFiles on S3."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def list(self, url: str) -> list[str]:
        bucket, key = split_s3_url(url)
        found = []
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
        for page in pages:
            for item in page.get("Contents", []):
                name = str(item["Key"])
                under = name == key or key.endswith("/") or name.startswith(key.rstrip("/") + "/")
                if under and not name.endswith("/"):
                    found.append(f"s3://{bucket}/{name}")
        if not found:
            raise FileNotFoundError(f"no object at {url}")
        return sorted(found)

    def open(self, url: str) -> IO[bytes]:
        bucket, key = split_s3_url(url)
        return cast(IO[bytes], self._s3.get_object(Bucket=bucket, Key=key)["Body"])

    def write(self, url: str, data: bytes) -> str:
        bucket, key = split_s3_url(url)
        self._s3.put_object(Bucket=bucket, Key=key, Body=data)
        return f"s3://{bucket}/{key}"
