"""In-app messaging: GetInAppMessages (the in-app campaigns an endpoint may be shown),
for apps whose SDK fetches them: in-app messages have no AWS replacement."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


@operation("GetInAppMessages")
def get_in_app_messages(call: Call) -> dict[str, Any]:
    """The in-app campaigns the endpoint may be shown now, highest priority first."""
    project = call.project()
    endpoint = project.adapters.profile_store.get_endpoint(call.get("EndpointId"))
    segments = project.segment_service
    campaigns = project.campaign_service.in_app_messages(endpoint, segments.contains)
    return {"InAppMessageCampaigns": campaigns}
