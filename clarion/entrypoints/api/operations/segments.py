"""Segments: CreateSegment, UpdateSegment, GetSegment, DeleteSegment, GetSegments,
GetSegmentVersion, GetSegmentVersions."""

from __future__ import annotations

from typing import Any

from clarion.domain.common.projects import app_arn
from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.paging import listing
from clarion.entrypoints.api.registry import operation


def segment_response(call: Call, segment: dict[str, Any]) -> dict[str, Any]:
    """A stored segment as SegmentResponse: with its project and ARN, and an imported
    segment's ImportDefinition with every member the shape requires (a segment imported
    from a local file has no role or external id: they are empty)."""
    response = {
        "ApplicationId": call.app_id,
        "Arn": f"{app_arn(call.app_id)}/segments/{segment['Id']}",
        **segment,
    }
    definition = response.get("ImportDefinition")
    if isinstance(definition, dict):
        response["ImportDefinition"] = {
            "ExternalId": "",
            "RoleArn": "",
            "S3Url": "",
            "Format": "CSV",
            "Size": 0,
            **definition,
        }
    return response


def _version(call: Call) -> int:
    from clarion.entrypoints.api.errors import BadRequestError

    value = str(call.get("Version"))
    if not value.isdigit():
        raise BadRequestError(f"Version: {value!r} is not a version number")
    return int(value)


@operation("CreateSegment")
def create_segment(call: Call) -> dict[str, Any]:
    """Creates a dimensional segment (the CLI's ``segments create``)."""
    segment = call.project().segment_service.create_segment(call.body("WriteSegmentRequest"))
    return segment_response(call, segment)


@operation("UpdateSegment")
def update_segment(call: Call) -> dict[str, Any]:
    """Stores a new version of a segment."""
    service = call.project().segment_service
    segment = service.update_segment(call.get("SegmentId"), call.body("WriteSegmentRequest"))
    return segment_response(call, segment)


@operation("GetSegment")
def get_segment(call: Call) -> dict[str, Any]:
    """The latest version of a segment."""
    return segment_response(call, call.project().segment_service.get_segment(call.get("SegmentId")))


@operation("GetSegmentVersion")
def get_segment_version(call: Call) -> dict[str, Any]:
    """One version of a segment."""
    service = call.project().segment_service
    return segment_response(call, service.get_segment(call.get("SegmentId"), _version(call)))


@operation("GetSegmentVersions")
def get_segment_versions(call: Call) -> dict[str, Any]:
    """Every version of a segment, oldest first; paged."""
    versions = call.project().segment_service.versions(call.get("SegmentId"))
    items = [segment_response(call, s) for s in versions]
    return listing(items, call.get("PageSize"), call.get("Token"))


@operation("GetSegments")
def get_segments(call: Call) -> dict[str, Any]:
    """The latest version of every segment; paged."""
    items = [segment_response(call, s) for s in call.project().segment_service.list_segments()]
    return listing(items, call.get("PageSize"), call.get("Token"))


@operation("DeleteSegment")
def delete_segment(call: Call) -> dict[str, Any]:
    """Deletes a segment no campaign or segment uses (409 when one does)."""
    return segment_response(
        call, call.project().segment_service.delete_segment(call.get("SegmentId"))
    )
