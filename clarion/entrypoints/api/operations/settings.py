"""Application settings: GetApplicationSettings, UpdateApplicationSettings (QuietTime,
Limits, JourneyLimits and CampaignHook, applied to every campaign of the project)."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


@operation("GetApplicationSettings")
def get_application_settings(call: Call) -> dict[str, Any]:
    """The project's QuietTime, Limits, JourneyLimits and CampaignHook."""
    call.project()
    return call.root.project_service.get_settings(call.app_id)


@operation("UpdateApplicationSettings")
def update_application_settings(call: Call) -> dict[str, Any]:
    """Sets them; each object given replaces the stored one."""
    call.project()
    body = call.body("WriteApplicationSettingsRequest")
    return call.root.project_service.update_settings(call.app_id, body)
