"""Segment definitions in DynamoDB and imported segment members in S3: the ``aws``
SegmentRepository.

Definitions table (shared by every kind of definition; the CDK stack builds it):

- partition key ``Pk`` (S), sort key ``Sk`` (S); no indexes;
- one item per segment version: ``Pk = "segment#<id>"``, ``Sk = "v#<version>"`` with the
  version zero-padded to 10 digits (so versions sort as strings), ``Version`` (N) and
  ``Document`` (S, the SegmentResponse JSON);
- one ``latest`` item per segment: same ``Pk``, ``Sk = "latest"``, the same attributes
  as the highest version saved. ``list_segments`` is a Scan filtered on
  ``Sk = "latest"`` and ``begins_with(Pk, "segment#")``: segments number in the
  hundreds, not millions, so a filtered Scan is cheaper than an index to maintain.

Imported members are header-less CSV files, one endpoint id a line, at
``s3://<data bucket>/imported-segments/segment_id=<id>/<content digest>.csv``. The Glue table
``imported_segment_members`` (one column ``endpoint_id``; ``segment_id`` a partition
column by partition projection, type ``injected``) reads them with OpenCSVSerde, which
also reads the quoted form an id containing a comma or a quote is written in. Files
only accumulate: an endpoint added twice appears twice, so queries use ``IN``/``EXISTS``
or ``DISTINCT`` over this table.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from typing import Any

from clarion.adapters.aws.common.dynamo import VersionedDocuments, pk_sk_table_spec
from clarion.domain.common.stored import version_identity

SEGMENT_PREFIX = "segment#"
IMPORTED_MEMBERS_PREFIX = "imported-segments"
# Ids per CSV object: large imports become several objects of a few MB each, so memory
# stays bounded and Athena reads them in parallel.
MEMBERS_PER_OBJECT = 200_000


def definitions_table_spec(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the definitions table, as designed above (the CDK stack
    declares the same; tests and local tooling create it from this)."""
    return pk_sk_table_spec(table_name)


def imported_members_prefix(segment_id: str) -> str:
    """The S3 prefix (no trailing slash) holding an imported segment's member files."""
    return f"{IMPORTED_MEMBERS_PREFIX}/segment_id={segment_id}"


class DynamoDBSegmentRepository:
    """SegmentRepository on the definitions table and the data bucket (module docstring).

    Parameters
    ----------
    dynamodb_client
        A boto3 low-level DynamoDB client.
    definitions_table
        The definitions table.
    s3_client
        A boto3 S3 client.
    data_bucket
        The bucket imported members are written to.
    """

    def __init__(
        self,
        dynamodb_client: Any,
        definitions_table: str,
        s3_client: Any,
        data_bucket: str,
        *,
        key_prefix: str = "",
    ) -> None:
        # A project other than the default one keeps its segments under its own prefix
        # (member files are keyed by segment id, which is unique across projects).
        self._documents = VersionedDocuments(
            dynamodb_client, definitions_table, key_prefix + SEGMENT_PREFIX, "segment"
        )
        self._s3 = s3_client
        self._bucket = data_bucket

    def save_segment(self, segment: Mapping[str, Any]) -> None:
        """Store one version, and make it the latest unless a higher version exists."""
        self._documents.save(*version_identity("segment", segment), segment)

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        return self._documents.get(segment_id, version)

    def list_segment_versions(self, segment_id: str) -> list[dict[str, Any]]:
        return self._documents.versions(segment_id)

    def delete_segment(self, segment_id: str) -> None:
        self._documents.delete(segment_id)

    def list_segments(self) -> list[dict[str, Any]]:
        """The latest version of every segment, ordered by id."""
        return self._documents.list_latest()

    def put_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int:
        """Write endpoint ids as new CSV objects under the segment's prefix; returns how
        many distinct ids this call wrote.

        Ids are deduplicated within the call only: S3 cannot tell what earlier calls
        wrote without reading it back.

        Raises
        ------
        ValueError
            For an id containing a line break (a CSV line per id cannot hold it); the
            objects already written for earlier ids stay.
        """
        if not segment_id or "/" in segment_id:
            raise ValueError(f"segment id {segment_id!r}: must be non-empty, without '/'")
        written = 0
        batch: list[str] = []
        seen: set[str] = set()
        for endpoint_id in endpoint_ids:
            if endpoint_id is None or endpoint_id in seen:
                continue
            if "\n" in endpoint_id or "\r" in endpoint_id:
                raise ValueError(f"endpoint id {endpoint_id!r}: contains a line break")
            seen.add(endpoint_id)
            batch.append(endpoint_id)
            if len(batch) >= MEMBERS_PER_OBJECT:
                written += self._write_members(segment_id, batch)
                batch = []
        if batch:
            written += self._write_members(segment_id, batch)
        return written

    def _write_members(self, segment_id: str, endpoint_ids: list[str]) -> int:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([endpoint_id] for endpoint_id in endpoint_ids)
        # Named after its content: a retried write (an import job's piece run again)
        # replaces its own object rather than adding a second copy of the ids.
        digest = hashlib.sha256(buffer.getvalue().encode()).hexdigest()[:32]
        self._s3.put_object(
            Bucket=self._bucket,
            Key=f"{imported_members_prefix(segment_id)}/{digest}.csv",
            Body=buffer.getvalue().encode(),
            ContentType="text/csv",
        )
        return len(endpoint_ids)
