"""Endpoint files dropped in a bucket: each object under ``imports/`` is streamed into
the endpoint importer (never held whole in memory) and its result written beside the
data.

- ``imports/<file>`` imports endpoints;
- ``imports/<segment name>/<file>`` also makes them an imported segment of that name.

The result (counts, and each rejected row with its line, field and reason) goes to
``import-results/<object key>.json``. Where import jobs run as Step Functions jobs
(AWS, when the import-job state machine is deployed), the file instead becomes an
import job whose id is derived from the object's bucket, key and version, so a
redelivered event (the Lambda's asynchronous retries) resumes the same job and makes
no second segment; the result object then names the job (GetImportJob gives its counts
and rejected rows). A file that cannot be imported at all (an unknown
column, say) gets a result with ``"status": "FAILED"`` and the reason rather than an
error, since retrying would not fix it; errors reaching the store do raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from clarion.ports.audience import ImportFileStore
from clarion.services.audience.import_jobs import object_job_id
from clarion.services.audience.imports import EndpointImportService, ImportResult

if TYPE_CHECKING:
    from clarion.services.audience.jobs import JobService

IMPORTS_PREFIX = "imports/"
RESULTS_PREFIX = "import-results/"


@dataclass(frozen=True, slots=True)
class ImportObject:
    """An object announced as created."""

    bucket: str
    key: str
    version: str | None = None  # the object's version, sequencer or ETag, when known

    @property
    def is_import_file(self) -> bool:
        """Under ``imports/``, and not a folder marker."""
        return self.key.startswith(IMPORTS_PREFIX) and not self.key.endswith("/")

    @property
    def segment_name(self) -> str | None:
        """The folder directly under ``imports/``, if the object is in one."""
        folder, slash, _ = self.key.removeprefix(IMPORTS_PREFIX).partition("/")
        return folder if slash and folder else None

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def result_key(self) -> str:
        return f"{RESULTS_PREFIX}{self.key}.json"


class ImportStatus(StrEnum):
    SKIPPED = "SKIPPED"  # not an import file
    SUCCEEDED = "SUCCEEDED"
    STARTED = "STARTED"  # an import job reads it (GetImportJob follows it)
    FAILED = "FAILED"  # the file as a whole is unusable


@dataclass
class ObjectImport:
    """What became of one object: its status, the result written (``report``) and the
    import's counts (``result``, when it ran)."""

    target: ImportObject
    status: ImportStatus
    report: dict[str, Any] = field(default_factory=dict)
    result: ImportResult | None = None
    error: str | None = None
    result_url: str | None = None

    def summary(self) -> dict[str, Any]:
        """The report without the rejections (they are in the result object), with
        their number and where the result is."""
        summary = {k: v for k, v in self.report.items() if k not in ("rejected", "rejected_total")}
        summary["rejections"] = self.report.get(
            "rejected_total", len(self.report.get("rejected", []))
        )
        summary["result"] = self.result_url
        return summary


class ObjectImportService:
    """Imports endpoint files from a store (module docstring).

    Parameters
    ----------
    files
        Where the objects are read and the results written (S3 on AWS).
    importer
        The endpoint importer.
    jobs
        The project's import jobs, when they run as Step Functions jobs: each file then
        becomes a job rather than being read here.
    """

    def __init__(
        self,
        files: ImportFileStore,
        importer: EndpointImportService,
        jobs: JobService | None = None,
    ) -> None:
        self._files = files
        self._importer = importer
        self._jobs = jobs

    def import_objects(self, targets: Sequence[ImportObject]) -> list[ObjectImport]:
        """Import each import file among ``targets`` and write its result; the others
        are ``SKIPPED``. One outcome per target, in order."""
        return [
            self._import(target)
            if target.is_import_file
            else ObjectImport(target, ImportStatus.SKIPPED)
            for target in targets
        ]

    def _start_job(self, target: ImportObject) -> ObjectImport:
        assert self._jobs is not None
        segment = target.segment_name
        name = target.file_name.lower()
        request: dict[str, Any] = {
            "S3Url": f"s3://{target.bucket}/{target.key}",
            "Format": "CSV" if name.endswith((".csv", ".csv.gz")) else "JSON",
            **({"DefineSegment": True, "SegmentName": segment} if segment else {}),
        }
        job_id = object_job_id(target.bucket, target.key, target.version)
        job = self._jobs.create_import_job(request, job_id=job_id)
        report: dict[str, Any] = {
            "bucket": target.bucket,
            "key": target.key,
            "status": ImportStatus.STARTED.value,
            "job_id": job_id,
            "job_status": job.get("JobStatus"),
            "segment_id": (job.get("Definition") or {}).get("SegmentId"),
        }
        outcome = ObjectImport(target, ImportStatus.STARTED, report=report)
        outcome.result_url = self._files.put_json(target.bucket, target.result_key, report)
        return outcome

    def _import(self, target: ImportObject) -> ObjectImport:
        if self._jobs is not None:
            return self._start_job(target)
        body = self._files.open(target.bucket, target.key)
        report: dict[str, Any] = {"bucket": target.bucket, "key": target.key}
        try:
            result = self._importer.import_stream(
                body, name=target.file_name, segment_name=target.segment_name
            )
        except ValueError as exc:
            # The file as a whole is unusable (ImportFileError, a bad segment name).
            outcome = ObjectImport(target, ImportStatus.FAILED, error=str(exc))
            report |= {"status": ImportStatus.FAILED.value, "error": str(exc)}
        else:
            outcome = ObjectImport(target, ImportStatus.SUCCEEDED, result=result)
            report |= {"status": ImportStatus.SUCCEEDED.value, **result.to_json()}
        finally:
            body.close()
        outcome.report = report
        outcome.result_url = self._files.put_json(target.bucket, target.result_key, report)
        return outcome
