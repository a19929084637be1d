"""The S3 and Athena-results side of the Parquet lake's erase workflow: the objects a
find query listed, and an object replaced by the copy an UNLOAD wrote without the
person (clarion.domain.audience.lake_erasure has the SQL).

The replacement is a server-side copy (the bucket's default encryption applies), so no
Parquet passes through the function. Every earlier version of the object is deleted
too: the bucket is versioned, and a noncurrent version would keep the person.
"""

from __future__ import annotations

from typing import Any

from clarion.domain.audience.erasure import ErasedItem

__all__ = ["S3LakeRewriter"]


class S3LakeRewriter:
    """LakeRewriter over the data bucket (module docstring).

    Parameters
    ----------
    s3, athena
        boto3 ``s3`` and ``athena`` clients.
    bucket
        The data bucket.
    """

    def __init__(self, s3: Any, athena: Any, bucket: str) -> None:
        self._s3 = s3
        self._athena = athena
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket

    def found_objects(self, query_execution_id: str, prefix: str) -> list[str]:
        """Keys under ``prefix`` of this bucket among the query's ``path`` values."""
        start = f"s3://{self._bucket}/"
        keys: set[str] = set()
        pages = self._athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=query_execution_id
        )
        first = True
        for page in pages:
            rows = page.get("ResultSet", {}).get("Rows", [])
            if first:
                rows = rows[1:]  # the header row
                first = False
            for row in rows:
                data = row.get("Data") or [{}]
                url = str(data[0].get("VarCharValue", ""))
                key = url[len(start) :] if url.startswith(start) else ""
                # Anything outside the dataset is never the workflow's to rewrite.
                if key.startswith(prefix) and ".." not in key.split("/"):
                    keys.add(key)
        return sorted(keys)

    def replace_object(self, key: str, staging_prefix: str) -> ErasedItem:
        staged = sorted(
            obj["Key"]
            for obj in self._list(staging_prefix)
            # UNLOAD writes data files only under its TO location; skip folder markers.
            if not obj["Key"].endswith("/") and int(obj.get("Size", 0)) > 0
        )
        earlier = self._versions(key)
        written: list[str] = []
        for number, source in enumerate(staged):
            target = key if number == 0 else _beside(key, number)
            self._s3.copy_object(
                Bucket=self._bucket,
                Key=target,
                CopySource={"Bucket": self._bucket, "Key": source},
                MetadataDirective="REPLACE",
                ContentType="application/octet-stream",
            )
            written.append(target)
        if not staged:
            # Every row of the object was the person's.
            self._s3.delete_object(Bucket=self._bucket, Key=key)
        for version in earlier:
            self._s3.delete_object(Bucket=self._bucket, Key=key, VersionId=version)
        for obj in self._list(staging_prefix):
            self._delete_all_versions(obj["Key"])
        if not staged:
            # The delete marker the unversioned delete left is a version of its own.
            for version in self._versions(key):
                self._s3.delete_object(Bucket=self._bucket, Key=key, VersionId=version)
            return ErasedItem("s3", key, "deleted", 1)
        return ErasedItem("s3", key, "rewritten", len(written))

    def _list(self, prefix: str) -> list[dict[str, Any]]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        return [obj for page in pages for obj in page.get("Contents", [])]

    def _versions(self, key: str) -> list[str]:
        """The versions of ``key`` now (ids), delete markers included."""
        found: list[str] = []
        pages = self._s3.get_paginator("list_object_versions").paginate(
            Bucket=self._bucket, Prefix=key
        )
        for page in pages:
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if version["Key"] == key and version.get("VersionId") not in (None, "null"):
                    found.append(version["VersionId"])
        return found

    def _delete_all_versions(self, key: str) -> None:
        versions = self._versions(key)
        if not versions:
            self._s3.delete_object(Bucket=self._bucket, Key=key)
        for version in versions:
            self._s3.delete_object(Bucket=self._bucket, Key=key, VersionId=version)


def _beside(key: str, number: int) -> str:
    """A key in the same folder for the ``number``-th extra file of a rewrite."""
    folder, _, name = key.rpartition("/")
    stem, dot, suffix = name.partition(".")
    return f"{folder}/{stem}-erase-{number}{dot}{suffix}"
