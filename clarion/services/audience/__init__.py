"""Audience use cases: importing endpoint files (from a path, a stream or a bucket),
reading endpoints and users, erasing a person everywhere, and on AWS the endpoint lake's
change feed and compaction."""

from clarion.services.audience.change_feed import (
    EndpointChange,
    EndpointChangeFeedService,
    change_row,
)
from clarion.services.audience.compaction import (
    CompactionGapError,
    CompactionResult,
    EndpointCompactionService,
)
from clarion.services.audience.endpoints import EndpointService
from clarion.services.audience.erasure import ErasureService
from clarion.services.audience.import_jobs import ImportJobPieces, job_segment_id, object_job_id
from clarion.services.audience.imports import EndpointImportService, ImportResult, Rejection
from clarion.services.audience.jobs import JobService
from clarion.services.audience.lake_erasure import LakeErasureSteps
from clarion.services.audience.object_imports import (
    ImportObject,
    ImportStatus,
    ObjectImport,
    ObjectImportService,
)

__all__ = [
    "CompactionGapError",
    "CompactionResult",
    "EndpointChange",
    "EndpointChangeFeedService",
    "EndpointCompactionService",
    "EndpointImportService",
    "EndpointService",
    "ErasureService",
    "ImportJobPieces",
    "ImportObject",
    "ImportResult",
    "ImportStatus",
    "JobService",
    "LakeErasureSteps",
    "ObjectImport",
    "ObjectImportService",
    "Rejection",
    "change_row",
    "job_segment_id",
    "object_job_id",
]
