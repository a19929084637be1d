"""Campaigns: CreateCampaign, UpdateCampaign, GetCampaign, DeleteCampaign,
GetCampaigns, GetCampaignVersion, GetCampaignVersions, GetCampaignActivities."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.errors import BadRequestError
from clarion.entrypoints.api.paging import listing
from clarion.entrypoints.api.registry import operation


def _version(call: Call) -> int:
    value = str(call.get("Version"))
    if not value.isdigit():
        raise BadRequestError(f"Version: {value!r} is not a version number")
    return int(value)


@operation("CreateCampaign")
def create_campaign(call: Call) -> dict[str, Any]:
    """Creates a campaign (the CLI's ``campaigns create``); IMMEDIATE ones run now."""
    project = call.project()
    campaign = project.campaign_service.create_campaign(call.body("WriteCampaignRequest"))
    return project.campaign_service.start_if_immediate(campaign)


@operation("UpdateCampaign")
def update_campaign(call: Call) -> dict[str, Any]:
    """Stores a new version of a campaign."""
    project = call.project()
    service = project.campaign_service
    campaign = service.update_campaign(call.get("CampaignId"), call.body("WriteCampaignRequest"))
    return service.start_if_immediate(campaign)


@operation("GetCampaign")
def get_campaign(call: Call) -> dict[str, Any]:
    """The latest version of a campaign, with its state."""
    return call.project().campaign_service.get_campaign(call.get("CampaignId"))


@operation("GetCampaignVersion")
def get_campaign_version(call: Call) -> dict[str, Any]:
    """One version of a campaign."""
    service = call.project().campaign_service
    return service.get_campaign(call.get("CampaignId"), _version(call))


@operation("GetCampaignVersions")
def get_campaign_versions(call: Call) -> dict[str, Any]:
    """Every version of a campaign, oldest first; paged."""
    versions = call.project().campaign_service.versions(call.get("CampaignId"))
    return listing(versions, call.get("PageSize"), call.get("Token"))


@operation("GetCampaigns")
def get_campaigns(call: Call) -> dict[str, Any]:
    """The latest version of every campaign; paged."""
    campaigns = call.project().campaign_service.list_campaigns()
    return listing(campaigns, call.get("PageSize"), call.get("Token"))


@operation("DeleteCampaign")
def delete_campaign(call: Call) -> dict[str, Any]:
    """Deletes a campaign and its schedule (its runs stay in reports)."""
    return call.project().campaign_service.delete_campaign(call.get("CampaignId"))


@operation("GetCampaignActivities")
def get_campaign_activities(call: Call) -> dict[str, Any]:
    """One activity per run of the campaign, newest first; paged."""
    activities = call.project().campaign_service.activities(call.get("CampaignId"))
    return listing(activities, call.get("PageSize"), call.get("Token"))
