"""The AWS PersonalDataEraser: the person taken out of the data bucket's text datasets.

Objects under the prefixes that hold a person's data as text (dead letters, import
files, import results, churn files, campaign audiences, exports) are read, and an
object that holds the person is rewritten without them (JSON lines and CSV lose the
person's lines, JSON documents are scrubbed, anything else is deleted); the previous
version of a rewritten object is deleted too, so versioning does not keep the person.

Parquet objects (the event lake, the endpoint change feed and snapshots) are rewritten
by the erase workflow (a Step Functions state machine running Athena UNLOADs:
clarion.domain.audience.lake_erasure), which this starts: the receipt lists it with the
action ``scheduled`` and the execution's ARN, since it finishes after the call. Its
input holds only SHA-256 digests of the person's values. Where the workflow is not
deployed, Parquet objects that hold the person's bytes are found and listed with the
action ``found`` (a byte scan: values inside compressed pages can escape it), and they
age out under the bucket's lifecycle rules (docs/deploy.md states the windows).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from clarion.domain.audience.erasure import ErasedItem, ErasureSubject
from clarion.domain.audience.lake_erasure import subject_digests

__all__ = ["TEXT_PREFIXES", "S3PersonalDataEraser"]

# The data bucket's prefixes that hold people's data as text.
TEXT_PREFIXES = (
    "dead-letters/",
    "imports/",
    "import-results/",
    "exports/",
    "churn/",
    "campaign-audiences/",
    "imported-segments/",
    # Stream batches Lambda gave up on (DynamoDB stream images are plain JSON; Kinesis
    # data is base64 inside them, which a byte scan cannot see: they expire instead).
    "aws/lambda/",
)
# Parquet datasets: found and reported (module docstring).
PARQUET_PREFIXES = ("events/", "endpoint-changes/", "endpoint-snapshot/")
_LINE_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".txt")
# The erase workflow first waits this long, so that the change feed's tombstone of the
# profile's delete (DynamoDB stream, then up to 5 minutes of Firehose buffering) is in
# the lake when its find queries run.
SETTLE_SECONDS = 600
# Larger objects are reported, not read into a Lambda's memory.
MAX_OBJECT_BYTES = 256 * 1024 * 1024


class S3PersonalDataEraser:
    """PersonalDataEraser over the data bucket (module docstring)."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        *,
        text_prefixes: Sequence[str] = TEXT_PREFIXES,
        parquet_prefixes: Sequence[str] = PARQUET_PREFIXES,
        stepfunctions: Any = None,
        erase_state_machine_arn: str = "",
        key_prefix: str = "",
        settle_seconds: int = SETTLE_SECONDS,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._text_prefixes = tuple(text_prefixes)
        self._parquet_prefixes = tuple(parquet_prefixes)
        self._stepfunctions = stepfunctions
        self._workflow = erase_state_machine_arn
        self._key_prefix = key_prefix
        self._settle_seconds = settle_seconds

    def erase(self, subject: ErasureSubject, token: str) -> list[ErasedItem]:
        if subject.empty or not self._bucket:
            return []
        needles = [value.encode() for value in subject.values]
        items: list[ErasedItem] = []
        scanned = self._text_prefixes
        if self._workflow and self._stepfunctions is not None:
            items.append(self._start_workflow(subject, token))
        else:
            scanned += self._parquet_prefixes
        for prefix in scanned:
            for obj in self._objects(prefix):
                key = obj["Key"]
                if int(obj.get("Size", 0)) > MAX_OBJECT_BYTES:
                    items.append(ErasedItem("s3", key, "too large to scan", 1))
                    continue
                data = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
                if not subject.matches(key) and not _holds(data, needles, subject):
                    continue
                if prefix in self._parquet_prefixes:
                    items.append(ErasedItem("s3", key, "found", 1))
                    continue
                items.append(self._erase_object(key, data, subject, token))
        return items

    def _start_workflow(self, subject: ErasureSubject, token: str) -> ErasedItem:
        """Start the lake's erase workflow (one execution per erase, named after its
        token, so running the same erase twice starts it once)."""
        request = {
            "Token": token,
            "Digests": list(subject_digests(subject, self._key_prefix)),
            "SettleSeconds": self._settle_seconds,
        }
        name = "erase-" + token.removeprefix("erased-")[:70]
        try:
            answer = self._stepfunctions.start_execution(
                stateMachineArn=self._workflow,
                name=name,
                input=json.dumps(request, separators=(",", ":")),
            )
            arn = str(answer["executionArn"])
        except self._stepfunctions.exceptions.ExecutionAlreadyExists:
            arn = self._workflow.replace(":stateMachine:", ":execution:") + f":{name}"
        return ErasedItem("s3", arn, "scheduled", len(self._parquet_prefixes))

    def compact(self) -> None:
        """Nothing to do: rewritten objects' old versions are deleted as they go, and
        DynamoDB keeps no deleted item (beyond point-in-time recovery: docs/deploy.md)."""

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        for page in pages:
            yield from page.get("Contents", [])

    def _erase_object(
        self, key: str, data: bytes, subject: ErasureSubject, token: str
    ) -> ErasedItem:
        rewritten: bytes | None = None
        count = 1
        if not subject.matches(key):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and key.endswith(_LINE_SUFFIXES):
                lines = text.splitlines(keepends=True)
                kept = [line for line in lines if not subject.matches(line)]
                count = len(lines) - len(kept)
                rewritten = "".join(kept).encode("utf-8")
            elif text is not None and key.endswith(".json"):
                try:
                    document = json.loads(text)
                except (ValueError, RecursionError):
                    document = None
                if document is not None:
                    scrubbed = subject.scrub(document, token)
                    rewritten = (json.dumps(scrubbed, indent=2) + "\n").encode("utf-8")
        versions = self._versions(key)
        if rewritten is None:
            self._s3.delete_object(Bucket=self._bucket, Key=key)
            self._delete_versions(key, versions)
            return ErasedItem("s3", key, "deleted", 1)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=rewritten)
        self._delete_versions(key, versions)
        return ErasedItem("s3", key, "rewritten", count)

    def _versions(self, key: str) -> list[str]:
        """The object's versions now (before the rewrite): all of them hold the person."""
        found: list[str] = []
        pages = self._s3.get_paginator("list_object_versions").paginate(
            Bucket=self._bucket, Prefix=key
        )
        for page in pages:
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if version["Key"] == key and version.get("VersionId") not in (None, "null"):
                    found.append(version["VersionId"])
        return found

    def _delete_versions(self, key: str, versions: Sequence[str]) -> None:
        for version in versions:
            self._s3.delete_object(Bucket=self._bucket, Key=key, VersionId=version)


def _holds(data: bytes, needles: Sequence[bytes], subject: ErasureSubject) -> bool:
    """The person's bytes are there and, in text, a real match (an id standing alone)."""
    if not any(needle in data for needle in needles):
        return False
    try:
        return subject.matches(data.decode("utf-8"))
    except UnicodeDecodeError:
        return True
