"""Tags of any resource: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


@operation("TagResource")
def tag_resource(call: Call) -> None:
    """Adds or replaces tags of a project, campaign, segment or template (by ARN)."""
    tags = call.body("TagsModel").get("tags") or {}
    call.root.project_service.tag_resource(call.get("ResourceArn"), tags)


@operation("UntagResource")
def untag_resource(call: Call) -> None:
    """Removes tags of a resource."""
    call.root.project_service.untag_resource(call.get("ResourceArn"), call.get("TagKeys") or [])


@operation("ListTagsForResource")
def list_tags_for_resource(call: Call) -> dict[str, Any]:
    """The tags of a resource."""
    return {"tags": call.root.project_service.list_tags(call.get("ResourceArn"))}
