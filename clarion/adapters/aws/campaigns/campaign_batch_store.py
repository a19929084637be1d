"""The AWS CampaignBatchStore: a resume pass's batches as a CSV object in the data
bucket, ``campaign-audiences/<RunId>/resume-<epoch ms>.csv``, in the shape of the
batched audience query's Athena result (which the same Distributed Map reads)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.ports.campaigns import BatchObject

RESUME_PREFIX = "campaign-audiences/"


def resume_key(run_id: str, pass_ms: int) -> str:
    return f"{RESUME_PREFIX}{run_id}/resume-{pass_ms}.csv"


def batches_csv(batches: Sequence[Sequence[str]]) -> bytes:
    """The batches as Athena writes the batched audience (header ``batch,ids``, every
    field quoted, ``ids`` a JSON array)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["batch", "ids"])
    for number, batch in enumerate(batches):
        writer.writerow([str(number), json.dumps(list(batch), separators=(",", ":"))])
    return out.getvalue().encode("utf-8")


class S3CampaignBatchStore:
    """CampaignBatchStore in the data bucket.

    Parameters
    ----------
    client
        A boto3 S3 client.
    bucket
        The data bucket (``CLARION_DATA_BUCKET``).
    """

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put_batches(
        self, run_id: str, pass_ms: int, batches: Sequence[Sequence[str]]
    ) -> BatchObject:
        """Raises InvalidRecordError when no data bucket is configured."""
        if not self._bucket:
            raise InvalidRecordError([FieldProblem("CLARION_DATA_BUCKET", "is not set")])
        location = BatchObject(self._bucket, resume_key(run_id, pass_ms))
        if batches:
            self._client.put_object(
                Bucket=location.bucket,
                Key=location.key,
                Body=batches_csv(batches),
                ContentType="text/csv; charset=utf-8",
            )
        return location
