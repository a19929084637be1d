"""Import and export jobs: CreateImportJob, GetImportJob(s), CreateExportJob,
GetExportJob(s) and the segment's jobs.

An import job reads every file the S3Url names (CSV, or newline-delimited JSON and
Pinpoint export files, gzipped or not) through the import service's row rules, so a bad
row is reported (in ``Failures``, by file, line, field and reason) and every good row
is imported; with ``DefineSegment`` the endpoints become an imported segment named
``SegmentName`` (or join the imported segment ``SegmentId``). An export job writes the
endpoints of a segment (or of the whole project) in Pinpoint's export file format:
gzipped newline-delimited JSON, one endpoint a line, with its ``ApplicationId``.

Locally a job runs to completion within the call. On AWS (where the backend has an
import-job starter) CreateImportJob records the job as PROCESSING, checks each file's
header, and starts one execution of the import-job state machine per file (see
:mod:`clarion.services.audience.import_jobs`); GetImportJob gathers its pieces' counts
and rejected rows, COMPLETED once every file has been read. Each job's record is kept
with the project.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import PurePosixPath
from typing import Any, Protocol

from clarion.domain.audience.endpoint import utc_now_iso
from clarion.domain.audience.import_formats import FileFormat, ImportFileError, read_records
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.common.ids import id_problem
from clarion.ports.audience import ImportJobStarter, JobFiles, ProfileStore
from clarion.ports.common import ProjectStore
from clarion.services.audience.import_jobs import (
    FILE_KIND,
    RUN_KIND,
    gather_job,
    job_segment_id,
)
from clarion.services.audience.imports import EndpointImportService

IMPORT_KIND, EXPORT_KIND = "import-job", "export-job"
MAX_FAILURES = 100  # Failures kept on a job record (TotalFailures counts them all)
EXPORT_FILE_ENDPOINTS = 100_000
_UPLOAD_SUFFIXES = (".csv", ".json", ".jsonl", ".csv.gz", ".json.gz")


class Audience(Protocol):
    """What exports need of the segment service."""

    def members(self, segment_id: str, version: int | None = None) -> Iterator[str]: ...

    def all_endpoint_ids(self) -> Iterator[str]: ...

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]: ...

    def create_imported_segment(
        self,
        name: str,
        *,
        import_format: str = "CSV",
        source_url: str | None = None,
        segment_id: str | None = None,
    ) -> str: ...


def _csv(name: str) -> bool:
    return name.lower().endswith(".csv")


def _batches(values: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


class JobService:
    """Import and export jobs of one project (module docstring)."""

    def __init__(
        self,
        app_id: str,
        store: ProjectStore,
        files: JobFiles,
        imports: EndpointImportService,
        audience: Audience,
        profiles: ProfileStore,
        *,
        clock: Callable[[], str] = utc_now_iso,
        starter: ImportJobStarter | None = None,
        uploads: str | None = None,
        exports: str | None = None,
    ) -> None:
        self._starter = starter
        self._app_id = app_id
        self._uploads = uploads
        self._exports = exports
        self._store = store
        self._files = files
        self._imports = imports
        self._audience = audience
        self._profiles = profiles
        self._clock = clock

    # -- imports -------------------------------------------------------------------------

    def create_import_job(
        self, request: Mapping[str, Any], *, job_id: str | None = None
    ) -> dict[str, Any]:
        """CreateImportJob → ImportJobResponse (COMPLETED, or FAILED when no file
        could be read; on AWS PROCESSING, the files read by the import-job state
        machine). ``job_id`` names the job when the caller derives it (a file dropped
        in the bucket): creating it again resumes it, never duplicates it. Raises
        InvalidRecordError for a bad request."""
        url = request.get("S3Url")
        file_format = str(request.get("Format") or "").upper()
        problems = []
        if job_id is not None and (reason := id_problem(job_id)) is not None:
            problems.append(FieldProblem("JobId", reason))
        if not isinstance(url, str) or not url:
            problems.append(FieldProblem("S3Url", "is required"))
        if file_format not in ("CSV", "JSON"):
            problems.append(FieldProblem("Format", "must be CSV or JSON"))
        define = bool(request.get("DefineSegment"))
        segment_id = request.get("SegmentId")
        segment_name = request.get("SegmentName")
        if define and not segment_name and not segment_id:
            problems.append(FieldProblem("SegmentName", "is required with DefineSegment"))
        if segment_id:
            try:
                segment = self._audience.get_segment(str(segment_id))
            except NotFoundError as exc:
                problems.append(FieldProblem("SegmentId", str(exc)))
            else:
                if segment.get("SegmentType") != "IMPORT":
                    problems.append(FieldProblem("SegmentId", "is not an imported segment"))
        if problems:
            raise InvalidRecordError(problems)
        job_id = job_id or uuid.uuid4().hex
        job: dict[str, Any] = {
            "ApplicationId": self._app_id,
            "Id": job_id,
            "Type": "IMPORT",
            "CreationDate": self._clock(),
            "Definition": {
                k: v
                for k, v in request.items()
                if k
                in (
                    "DefineSegment",
                    "ExternalId",
                    "Format",
                    "RegisterEndpoints",
                    "RoleArn",
                    "S3Url",
                    "SegmentId",
                    "SegmentName",
                )
            },
            "JobStatus": "PROCESSING",
        }
        if self._starter is not None:
            return self._start_import_job(job, str(url), file_format, define, segment_name)
        self._store.put_document(self._app_id, IMPORT_KIND, job_id, job)
        failures: list[str] = []
        total_failures = processed = completed = failed = 0
        target_segment = str(segment_id) if segment_id else None
        try:
            urls = self._files.list(str(url))
        except (FileNotFoundError, ValueError) as exc:
            urls = []
            failures.append(str(exc))
            total_failures = 1
        kind = FileFormat.CSV if file_format == "CSV" else None
        for file_url in urls:
            name = PurePosixPath(file_url).name
            # The first file of a DefineSegment job makes the segment; later files (and
            # a SegmentId given) add to it.
            wanted_name = str(segment_name) if define and target_segment is None else None
            try:
                with self._files.open(file_url) as stream:
                    result = self._imports.import_stream(
                        stream,
                        name=name,
                        segment_name=wanted_name,
                        segment_id=target_segment if wanted_name is None else None,
                        file_format=kind,
                    )
            except (ImportFileError, OSError, EOFError, ValueError) as exc:
                failed += 1
                total_failures += 1
                failures.append(f"{name}: {exc}"[:500])
                continue
            if result.segment_id is not None:
                target_segment = result.segment_id
            completed += 1
            processed += result.imported + result.updated
            total_failures += result.rejected_total
            for rejection in result.rejected:
                if len(failures) < MAX_FAILURES:
                    failures.append(
                        f"{name} line {rejection.line}: {rejection.field}: {rejection.reason}"
                    )
        job.update(
            {
                "JobStatus": "COMPLETED" if completed else "FAILED",
                "CompletionDate": self._clock(),
                "CompletedPieces": completed,
                "FailedPieces": failed + (0 if urls else 1),
                "TotalPieces": max(len(urls), 1),
                "TotalProcessed": processed,
                "TotalFailures": total_failures,
                "Failures": failures,
            }
        )
        if target_segment:
            job["Definition"]["SegmentId"] = target_segment
        self._store.put_document(self._app_id, IMPORT_KIND, job_id, job)
        return job

    def _start_import_job(
        self,
        job: dict[str, Any],
        url: str,
        file_format: str,
        define: bool,
        segment_name: Any,
    ) -> dict[str, Any]:
        """The AWS path of CreateImportJob (module docstring)."""
        assert self._starter is not None
        job_id = str(job["Id"])
        existing = self._store.get_document(self._app_id, IMPORT_KIND, job_id)
        if existing is not None and existing.get("JobStatus") != "PROCESSING":
            return existing  # already finished: a repeated drop changes nothing
        definition = job["Definition"]
        if define and not definition.get("SegmentId"):
            # Derived from the job: a retried start finds the segment it made.
            definition["SegmentId"] = self._audience.create_imported_segment(
                str(segment_name),
                import_format=file_format,
                source_url=url,
                segment_id=job_segment_id(job_id),
            )
        try:
            urls = self._files.list(url)
        except (FileNotFoundError, ValueError) as exc:
            job.update(
                {
                    "JobStatus": "FAILED",
                    "CompletionDate": self._clock(),
                    "CompletedPieces": 0,
                    "FailedPieces": 1,
                    "TotalPieces": 1,
                    "TotalProcessed": 0,
                    "TotalFailures": 1,
                    "Failures": [str(exc)[:500]],
                }
            )
            self._store.put_document(self._app_id, IMPORT_KIND, job_id, job)
            return job
        names = [PurePosixPath(file_url).name for file_url in urls]
        self._store.put_document(self._app_id, RUN_KIND, job_id, {"Files": names})
        if existing is None:
            self._store.put_document(self._app_id, IMPORT_KIND, job_id, job)
        kind = FileFormat.CSV if file_format == "CSV" else None
        for number, file_url in enumerate(urls):
            problem = self._unusable(file_url, names[number], kind)
            if problem is not None:
                outcome = {"Status": "FAILED", "Error": problem[:500]}
                self._store.put_document(
                    self._app_id, f"{FILE_KIND}#{job_id}", f"{number:05d}", outcome
                )
                continue
            self._starter.start_file(
                {
                    "ApplicationId": self._app_id,
                    "JobId": job_id,
                    "File": number,
                    # JSON lines: Pinpoint's JSON and export files alike.
                    "Format": "CSV" if kind == FileFormat.CSV or _csv(names[number]) else "JSON",
                    **(
                        {"SegmentId": definition["SegmentId"]}
                        if definition.get("SegmentId")
                        else {}
                    ),
                },
                file_url,
            )
        return gather_job(self._store, self._app_id, job_id)

    def _unusable(self, file_url: str, name: str, kind: FileFormat | None) -> str | None:
        """Why a file cannot be imported at all (its header, its compression), or None;
        read from its first bytes only."""
        if name.endswith(".gz"):
            return "the import job reads files uncompressed: upload it without gzip"
        try:
            with self._files.open(file_url) as stream:
                read_records(stream, name=name, file_format=kind)
        except (ImportFileError, OSError, EOFError, ValueError) as exc:
            return str(exc)
        return None

    def upload(self, name: str, data: bytes) -> str:
        """Keep an uploaded import file where CreateImportJob can read it (the console's
        upload); returns its URL, to be given as the job's S3Url.

        Raises
        ------
        InvalidRecordError
            For a name that is not a plain CSV or JSON file name, an empty file, or a
            backend with no upload location.
        """
        plain = PurePosixPath(name).name
        problems = []
        if not plain or plain != name or not plain.lower().endswith(_UPLOAD_SUFFIXES):
            problems.append(
                FieldProblem("name", f"{name!r} must be a file name ending {_UPLOAD_SUFFIXES}")
            )
        if not data:
            problems.append(FieldProblem("file", "is empty"))
        if self._uploads is None:
            problems.append(FieldProblem("file", "this backend keeps no uploaded files"))
        if problems:
            raise InvalidRecordError(problems)
        return self._files.write(f"{self._uploads}/{uuid.uuid4().hex}/{plain}", data)

    # -- exports -------------------------------------------------------------------------

    def create_export_job(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """CreateExportJob → ExportJobResponse: the segment's endpoints (every endpoint
        of the project without a SegmentId) in Pinpoint's export format under the
        S3UrlPrefix. Raises InvalidRecordError or NotFoundError."""
        prefix = request.get("S3UrlPrefix")
        if not isinstance(prefix, str) or not prefix:
            raise InvalidRecordError([FieldProblem("S3UrlPrefix", "is required")])
        segment_id = request.get("SegmentId")
        version = request.get("SegmentVersion")
        if segment_id:
            self._audience.get_segment(str(segment_id), int(version) if version else None)
            ids: Iterator[str] = self._audience.members(
                str(segment_id), int(version) if version else None
            )
        else:
            ids = self._audience.all_endpoint_ids()
        job_id = uuid.uuid4().hex
        job: dict[str, Any] = {
            "ApplicationId": self._app_id,
            "Id": job_id,
            "Type": "EXPORT",
            "CreationDate": self._clock(),
            "Definition": {
                k: v
                for k, v in request.items()
                if k in ("RoleArn", "S3UrlPrefix", "SegmentId", "SegmentVersion")
            },
            "JobStatus": "PROCESSING",
        }
        self._store.put_document(self._app_id, EXPORT_KIND, job_id, job)
        written = pieces = 0
        base = prefix.rstrip("/")
        for number, batch in enumerate(_batches(ids, EXPORT_FILE_ENDPOINTS), start=1):
            found = self._profiles.get_endpoints(batch)
            lines = [
                json.dumps(
                    {**found[i].to_pinpoint(), "ApplicationId": self._app_id},
                    separators=(",", ":"),
                    ensure_ascii=False,
                )
                for i in batch
                if i in found
            ]
            data = gzip.compress(("\n".join(lines) + "\n").encode() if lines else b"")
            self._files.write(f"{base}/{job_id}/endpoints-{number:05d}.gz", data)
            written += len(lines)
            pieces += 1
        job.update(
            {
                "JobStatus": "COMPLETED",
                "CompletionDate": self._clock(),
                "CompletedPieces": pieces,
                "FailedPieces": 0,
                "TotalPieces": pieces,
                "TotalProcessed": written,
                "TotalFailures": 0,
            }
        )
        self._store.put_document(self._app_id, EXPORT_KIND, job_id, job)
        return job

    def export_for_download(self, segment_id: str | None = None) -> dict[str, Any]:
        """CreateExportJob to the backend's own export location (the console's export:
        a marketer names no bucket). Raises InvalidRecordError or NotFoundError."""
        if self._exports is None:
            raise InvalidRecordError([FieldProblem("S3UrlPrefix", "this backend keeps no exports")])
        request: dict[str, Any] = {"S3UrlPrefix": self._exports, "RoleArn": ""}
        if segment_id:
            request["SegmentId"] = segment_id
        return self.create_export_job(request)

    def export_data(self, job_id: str) -> bytes:
        """The endpoints a completed export job wrote, as one newline-delimited JSON
        document (the console's download). Raises NotFoundError."""
        job = self.get_job(EXPORT_KIND, job_id)
        base = str((job.get("Definition") or {}).get("S3UrlPrefix") or "").rstrip("/")
        try:
            urls = self._files.list(f"{base}/{job_id}/")
        except FileNotFoundError:
            return b""
        parts = []
        for url in urls:
            with self._files.open(url) as stream:
                parts.append(gzip.decompress(stream.read()))
        return b"".join(parts)

    # -- reads ---------------------------------------------------------------------------

    def get_job(self, kind: str, job_id: str) -> dict[str, Any]:
        """One job (an import job still processing with its pieces gathered so far).
        Raises NotFoundError."""
        job = self._store.get_document(self._app_id, kind, job_id)
        if job is None:
            raise NotFoundError(f"{kind.split('-')[0]} job", job_id)
        if kind == IMPORT_KIND and job.get("JobStatus") == "PROCESSING":
            return gather_job(self._store, self._app_id, job_id)
        return job

    def jobs(self, kind: str, segment_id: str | None = None) -> list[dict[str, Any]]:
        """The project's jobs of ``kind``, newest first (only the segment's, if given)."""
        found = list(self._store.list_documents(self._app_id, kind).values())
        if segment_id is not None:
            found = [j for j in found if (j.get("Definition") or {}).get("SegmentId") == segment_id]
        return sorted(found, key=lambda j: (str(j.get("CreationDate")), str(j["Id"])), reverse=True)
