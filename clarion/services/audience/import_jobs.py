"""Import jobs of any size (AWS): the pieces of a Step Functions Distributed Map.

CreateImportJob on AWS (and a file dropped under ``imports/``) records the job and
starts one execution of the import-job state machine per file
(infra/statemachines/import_job.asl.json). Its Distributed Map reads the file with the
S3 ItemReader (CSV with a header row, or JSON lines), each item with its index in the
file, and hands batches of items (ItemBatcher) to the piece worker, which imports them
through the import service's row rules: :meth:`ImportJobPieces.import_piece`. At the
end, :meth:`ImportJobPieces.finish_file` records the file's outcome and gathers the
job's status, counts, ``CompletedPieces``/``FailedPieces`` and rejected rows.

Retries write nothing twice: a piece is keyed by the job, the file and its first item,
so a retried piece replaces its own record (and endpoint writes are upserts by id,
segment membership a set); the execution's name is derived from the job and file, so a
repeated start is refused by Step Functions; and the imported segment's id is derived
from the job's id (:func:`job_segment_id`), so no retry makes a second segment.

Line numbers: a CSV item's line is its index plus 2 (the header is line 1), a JSON
line's its index plus 1; a CSV value spanning lines makes later rows' numbers the
record's, not the physical line's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from clarion.domain.audience.endpoint import utc_now_iso
from clarion.domain.audience.import_formats import (
    CsvColumn,
    ImportFileError,
    ParsedRecord,
    csv_row_to_endpoint,
    parse_header,
)
from clarion.domain.common.errors import FieldProblem
from clarion.ports.common import ProjectStore
from clarion.services.audience.imports import EndpointImportService

IMPORT_JOB_KIND = "import-job"
PIECE_KIND = "import-piece"  # + "#<job id>": one document per piece
FILE_KIND = "import-file"  # + "#<job id>": one document per finished file
RUN_KIND = "import-job-run"  # the job's files, kept beside its Pinpoint-shaped record
MAX_FAILURES = 100  # rejected rows kept on a job (TotalFailures counts them all)
_NAMESPACE = uuid.UUID("5b0c3c9e-8d1f-4c53-9a7e-0c1a1d5e2f10")


def job_segment_id(job_id: str) -> str:
    """The imported segment of job ``job_id``: the same id on every retry."""
    return uuid.uuid5(_NAMESPACE, f"import-job:{job_id}").hex


def object_job_id(bucket: str, key: str, version: str | None) -> str:
    """The job of a file dropped in the bucket: the same id for every delivery of the
    same object version (the drop folder's Lambda is retried asynchronously)."""
    return uuid.uuid5(_NAMESPACE, f"s3://{bucket}/{key}@{version or ''}").hex


def execution_name(job_id: str, file_number: int) -> str:
    """The execution of one file of a job (at most 80 characters)."""
    return f"{job_id}-{file_number}"[:80]


def piece_records(items: Sequence[Mapping[str, Any]], file_format: str) -> list[ParsedRecord]:
    """The records of a piece's items (``{"Index": n, "Row": ...}``): a CSV item's Row
    maps the header's names to the row's cells, a JSON line's is the parsed line.

    Raises
    ------
    ImportFileError
        For a CSV header that is not Pinpoint's (the job checks it before it starts).
    """
    records: list[ParsedRecord] = []
    columns: dict[tuple[str, ...], list[CsvColumn]] = {}
    for item in items:
        index = int(item["Index"])
        row = item.get("Row")
        if file_format == "CSV":
            line = index + 2
            if not isinstance(row, Mapping):
                records.append(ParsedRecord(line, {}, [FieldProblem("(record)", "not a CSV row")]))
                continue
            names = tuple(str(name) for name in row)
            if names not in columns:
                columns[names] = parse_header(names)
            cells = ["" if value is None else str(value) for value in row.values()]
            if not any(cells):
                continue  # blank rows carry nothing
            records.append(csv_row_to_endpoint(columns[names], cells, line))
        elif isinstance(row, Mapping):
            records.append(ParsedRecord(index + 1, dict(row)))
        else:
            problem = FieldProblem("(record)", "must be a JSON object")
            records.append(ParsedRecord(index + 1, {}, [problem]))
    return records


class ImportJobPieces:
    """The piece worker and the finishing step of import jobs of one project.

    Parameters
    ----------
    app_id
        The project.
    store
        Where jobs, pieces and files are recorded.
    imports
        The import service (its row rules, batched writes and segment membership).
    """

    def __init__(self, app_id: str, store: ProjectStore, imports: EndpointImportService) -> None:
        self._app_id = app_id
        self._store = store
        self._imports = imports

    def import_piece(
        self, job: Mapping[str, Any], items: Sequence[Mapping[str, Any]]
    ) -> dict[str, int]:
        """Import one batch of items and record the piece; ``{"Processed", "Failed"}``.

        ``job`` is the execution's ``Job`` (``JobId``, ``File``, ``Format`` and, when
        the job defines or feeds a segment, ``SegmentId``).
        """
        job_id, file_number = str(job["JobId"]), int(job.get("File", 0))
        first = min((int(item["Index"]) for item in items), default=0)
        try:
            records = piece_records(items, str(job.get("Format", "CSV")).upper())
        except ImportFileError as exc:
            return self._record(job_id, file_number, first, len(items), failed=str(exc))
        segment_id = job.get("SegmentId")
        result = self._imports.import_records(
            records, segment_id=str(segment_id) if segment_id else None
        )
        failures = [
            f"line {rejection.line}: {rejection.field}: {rejection.reason}"
            for rejection in result.rejected[:MAX_FAILURES]
        ]
        piece: dict[str, Any] = {
            "File": file_number,
            "First": first,
            "Rows": len(items),
            "Status": "COMPLETED",
            "Processed": result.imported + result.updated,
            "Failed": result.rejected_lines,
            "Problems": result.rejected_total,
            "Failures": failures,
        }
        self._store.put_document(self._app_id, f"{PIECE_KIND}#{job_id}", _piece_key(piece), piece)
        return {"Processed": piece["Processed"], "Failed": piece["Failed"]}

    def record_failed_piece(
        self, job: Mapping[str, Any], items: Sequence[Mapping[str, Any]], error: str
    ) -> dict[str, int]:
        """Record a piece whose worker failed after its retries (its rows unwritten)."""
        first = min((int(item["Index"]) for item in items), default=0)
        return self._record(
            str(job["JobId"]), int(job.get("File", 0)), first, len(items), failed=error
        )

    def _record(
        self, job_id: str, file_number: int, first: int, rows: int, *, failed: str
    ) -> dict[str, int]:
        piece = {
            "File": file_number,
            "First": first,
            "Rows": rows,
            "Status": "FAILED",
            "Processed": 0,
            "Failed": rows,
            "Problems": rows,
            "Failures": [f"rows {first}-{first + rows - 1}: {failed}"[:500]],
        }
        self._store.put_document(self._app_id, f"{PIECE_KIND}#{job_id}", _piece_key(piece), piece)
        return {"Processed": 0, "Failed": rows}

    def finish_file(self, job: Mapping[str, Any], error: str | None = None) -> dict[str, Any]:
        """Record that one file of the job has been read to its end (or could not be:
        ``error``), and return the job as it now stands."""
        job_id, file_number = str(job["JobId"]), int(job.get("File", 0))
        outcome = {
            "Status": "FAILED" if error else "COMPLETED",
            **({"Error": error} if error else {}),
        }
        self._store.put_document(
            self._app_id, f"{FILE_KIND}#{job_id}", f"{file_number:05d}", outcome
        )
        return gather_job(self._store, self._app_id, job_id)


def _piece_key(piece: Mapping[str, Any]) -> str:
    return f"{int(piece['File']):05d}#{int(piece['First']):012d}"


def gather_job(store: ProjectStore, app_id: str, job_id: str) -> dict[str, Any]:
    """The job record with its pieces' counts and rejected rows gathered, COMPLETED or
    FAILED once every file has finished (stored when it changed).

    Raises
    ------
    KeyError
        When there is no such job.
    """
    job = store.get_document(app_id, IMPORT_JOB_KIND, job_id)
    if job is None:
        raise KeyError(job_id)
    run = store.get_document(app_id, RUN_KIND, job_id)
    if job.get("JobStatus") not in ("CREATED", "PROCESSING") or run is None:
        return job
    names: list[str] = list(run.get("Files", []))
    pieces = store.list_documents(app_id, f"{PIECE_KIND}#{job_id}")
    files = store.list_documents(app_id, f"{FILE_KIND}#{job_id}")
    failures: list[str] = []
    for key in sorted(pieces):
        piece = pieces[key]
        for failure in piece.get("Failures", []):
            if len(failures) >= MAX_FAILURES:
                break
            failures.append(f"{names[int(piece['File'])]} {failure}")
    file_errors = [
        f"{names[int(key)]}: {outcome['Error']}"
        for key, outcome in sorted(files.items())
        if outcome.get("Error")
    ]
    completed = sum(1 for p in pieces.values() if p.get("Status") == "COMPLETED")
    failed = sum(1 for p in pieces.values() if p.get("Status") == "FAILED") + len(file_errors)
    updated = dict(job)
    updated.update(
        {
            "CompletedPieces": completed,
            "FailedPieces": failed,
            "TotalPieces": completed + failed,
            "TotalProcessed": sum(int(p.get("Processed", 0)) for p in pieces.values()),
            "TotalFailures": sum(int(p.get("Problems", 0)) for p in pieces.values())
            + len(file_errors),
            "Failures": (file_errors + failures)[:MAX_FAILURES],
        }
    )
    if len(files) >= len(names):
        every_file_failed = all(outcome.get("Status") == "FAILED" for outcome in files.values())
        updated["JobStatus"] = "FAILED" if every_file_failed and not completed else "COMPLETED"
        updated["CompletionDate"] = utc_now_iso()
    if updated != job:
        store.put_document(app_id, IMPORT_JOB_KIND, job_id, updated)
    return updated
