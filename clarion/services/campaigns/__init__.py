"""Campaign use cases: create, update, launch and schedule campaigns, run them (plan,
send batches, summarise; on AWS as the campaign state machine's steps), and start EVENT
campaigns from ingested events.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.campaigns.reconcile import CampaignReconciler, Reconciliation
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

_HOMES: dict[str, str] = {
    "Reconciliation": "clarion.services.campaigns.reconcile",
    "CampaignReconciler": "clarion.services.campaigns.reconcile",
    "BatchSent": "clarion.services.campaigns.run_steps",
    "CampaignRunSteps": "clarion.services.campaigns.run_steps",
    "CampaignRunner": "clarion.services.campaigns.runner",
    "CampaignService": "clarion.services.campaigns.service",
    "EventCampaignTrigger": "clarion.services.campaigns.service",
    "PassSummary": "clarion.services.campaigns.run_steps",
    "ResumePass": "clarion.services.campaigns.run_steps",
    "RunStart": "clarion.services.campaigns.run_steps",
    "RunStarted": "clarion.services.campaigns.run_steps",
    "batches": "clarion.services.campaigns.runner",
    "load_templates": "clarion.services.campaigns.runner",
    "step_functions_time": "clarion.services.campaigns.run_steps",
    "utc_now": "clarion.services.campaigns.runner",
}

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
    "RunStarted",
    "batches",
    "load_templates",
    "step_functions_time",
    "utc_now",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
