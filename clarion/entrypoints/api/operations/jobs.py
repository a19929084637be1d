"""Import and export jobs: CreateImportJob, GetImportJob, GetImportJobs,
CreateExportJob, GetExportJob, GetExportJobs, GetSegmentImportJobs,
GetSegmentExportJobs."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.paging import listing
from clarion.entrypoints.api.registry import operation
from clarion.services.audience.jobs import EXPORT_KIND, IMPORT_KIND


@operation("CreateImportJob")
def create_import_job(call: Call) -> dict[str, Any]:
    """Imports endpoint files (CSV or JSON), optionally as an imported segment."""
    return call.project().job_service.create_import_job(call.body("ImportJobRequest"))


@operation("GetImportJob")
def get_import_job(call: Call) -> dict[str, Any]:
    """One import job: status, counts and the rows that failed."""
    return call.project().job_service.get_job(IMPORT_KIND, call.get("JobId"))


@operation("GetImportJobs")
def get_import_jobs(call: Call) -> dict[str, Any]:
    """The project's import jobs, newest first; paged."""
    jobs = call.project().job_service.jobs(IMPORT_KIND)
    return listing(jobs, call.get("PageSize"), call.get("Token"))


@operation("GetSegmentImportJobs")
def get_segment_import_jobs(call: Call) -> dict[str, Any]:
    """The import jobs that made or fed a segment; paged."""
    project = call.project()
    project.segment_service.get_segment(call.get("SegmentId"))
    jobs = project.job_service.jobs(IMPORT_KIND, call.get("SegmentId"))
    return listing(jobs, call.get("PageSize"), call.get("Token"))


@operation("CreateExportJob")
def create_export_job(call: Call) -> dict[str, Any]:
    """Exports a segment's endpoints (or all) in Pinpoint's export file format."""
    return call.project().job_service.create_export_job(call.body("ExportJobRequest"))


@operation("GetExportJob")
def get_export_job(call: Call) -> dict[str, Any]:
    """One export job."""
    return call.project().job_service.get_job(EXPORT_KIND, call.get("JobId"))


@operation("GetExportJobs")
def get_export_jobs(call: Call) -> dict[str, Any]:
    """The project's export jobs, newest first; paged."""
    jobs = call.project().job_service.jobs(EXPORT_KIND)
    return listing(jobs, call.get("PageSize"), call.get("Token"))


@operation("GetSegmentExportJobs")
def get_segment_export_jobs(call: Call) -> dict[str, Any]:
    """The export jobs of a segment; paged."""
    project = call.project()
    project.segment_service.get_segment(call.get("SegmentId"))
    jobs = project.job_service.jobs(EXPORT_KIND, call.get("SegmentId"))
    return listing(jobs, call.get("PageSize"), call.get("Token"))
