"""Campaign use cases: create, update, launch and schedule campaigns, run them (plan,
send batches, summarise; on AWS as the campaign state machine's steps), and start EVENT
campaigns from ingested events."""

from clarion.services.campaigns.run_steps import (
    BatchSent,
    CampaignRunSteps,
    PassSummary,
    ResumePass,
    RunStart,
    RunStarted,
    step_functions_time,
)
from clarion.services.campaigns.runner import CampaignRunner, batches, load_templates, utc_now
from clarion.services.campaigns.service import CampaignService, EventCampaignTrigger

__all__ = [
    "BatchSent",
    "CampaignRunSteps",
    "CampaignRunner",
    "CampaignService",
    "EventCampaignTrigger",
    "PassSummary",
    "ResumePass",
    "RunStart",
    "RunStarted",
    "batches",
    "load_templates",
    "step_functions_time",
    "utc_now",
]
