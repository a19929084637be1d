"""Audience use cases: importing endpoint files (from a path, a stream or a bucket),
reading endpoints and users, erasing a person everywhere, and on AWS the endpoint lake's
change feed and compaction.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES: dict[str, str] = {
    "LakeErasureSteps": "clarion.services.audience.lake_erasure",
    "CompactionGapError": "clarion.services.audience.compaction",
    "CompactionResult": "clarion.services.audience.compaction",
    "EndpointChange": "clarion.services.audience.change_feed",
    "EndpointChangeFeedService": "clarion.services.audience.change_feed",
    "EndpointCompactionService": "clarion.services.audience.compaction",
    "EndpointImportService": "clarion.services.audience.imports",
    "EndpointService": "clarion.services.audience.endpoints",
    "ErasureService": "clarion.services.audience.erasure",
    "ImportJobPieces": "clarion.services.audience.import_jobs",
    "ImportObject": "clarion.services.audience.object_imports",
    "ImportResult": "clarion.services.audience.imports",
    "ImportStatus": "clarion.services.audience.object_imports",
    "JobService": "clarion.services.audience.jobs",
    "ObjectImport": "clarion.services.audience.object_imports",
    "ObjectImportService": "clarion.services.audience.object_imports",
    "Rejection": "clarion.services.audience.imports",
    "change_row": "clarion.services.audience.change_feed",
    "job_segment_id": "clarion.services.audience.import_jobs",
    "object_job_id": "clarion.services.audience.import_jobs",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
