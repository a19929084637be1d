"""Campaign use cases: create, update, launch and schedule campaigns, run them (plan,
send batches, summarise; on AWS as the campaign state machine's steps), and start EVENT
campaigns from ingested events, and resolve runs' in-doubt messages from the delivery
events."""

from clarion.services.campaigns.reconcile import CampaignReconciler, Reconciliation
from clarion.services.campaigns.run_steps import (
    BatchSent,
    CampaignRunSteps,
    PassSummary,
    ResumePass,
    RunStart,
    step_functions_time,
)
from clarion.services.campaigns.runner import CampaignRunner, batches, load_templates, utc_now
from clarion.services.campaigns.service import CampaignService, EventCampaignTrigger

__all__ = [
    "BatchSent",
    "CampaignReconciler",
    "CampaignRunSteps",
    "CampaignRunner",
    "CampaignService",
    "EventCampaignTrigger",
    "PassSummary",
    "Reconciliation",
    "ResumePass",
    "RunStart",
    "batches",
    "load_templates",
    "step_functions_time",
    "utc_now",
]
