"""Campaigns: Pinpoint's campaign shapes and the pure rules a run applies (assignment,
schedules, quiet time, event filters, the per-endpoint decision, per-channel messages).

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.campaigns.assignment import Assigner, assign, assigner_for, bucket
    from clarion.domain.campaigns.channel_messages import (
        ChannelMessage,
        campaign_channel_messages,
        campaign_send_event,
        compile_inline,
    )
    from clarion.domain.campaigns.event_filter import event_dimensions_match, event_filter_matches
    from clarion.domain.campaigns.model import (
        BASE_TREATMENT_ID,
        BUCKETS,
        IMMEDIATE,
        CampaignEventFilter,
        CampaignLimits,
        CampaignResponse,
        CampaignStatus,
        Frequency,
        MessageConfiguration,
        QuietTime,
        Schedule,
        WriteCampaignRequest,
        parse_utc_offset,
        validate_campaign_request,
        validate_campaign_response,
    )
    from clarion.domain.campaigns.quiet_time import QuietWindow, quiet_time_until
    from clarion.domain.campaigns.run import Decision, RunRules, RunSummary, decide
    from clarion.domain.campaigns.schedule import local_send_time, next_run_time, run_times
    from clarion.domain.campaigns.schedule_expressions import (
        FEBRUARY_SUFFIX,
        ScheduleSpec,
        local_time_lead,
        nominal_run_time,
        schedule_name,
        schedule_specs,
    )
    from clarion.domain.campaigns.send_rate import (
        MAX_BATCH_SIZE,
        MAX_CONCURRENCY,
        MIN_BATCH_SIZE,
        batched_audience_sql,
        pause_needed,
        send_plan,
    )

_HOMES: dict[str, str] = {
    "Assigner": "clarion.domain.campaigns.assignment",
    "BASE_TREATMENT_ID": "clarion.domain.campaigns.model",
    "BUCKETS": "clarion.domain.campaigns.model",
    "CampaignEventFilter": "clarion.domain.campaigns.model",
    "CampaignLimits": "clarion.domain.campaigns.model",
    "CampaignResponse": "clarion.domain.campaigns.model",
    "CampaignStatus": "clarion.domain.campaigns.model",
    "ChannelMessage": "clarion.domain.campaigns.channel_messages",
    "Decision": "clarion.domain.campaigns.run",
    "FEBRUARY_SUFFIX": "clarion.domain.campaigns.schedule_expressions",
    "Frequency": "clarion.domain.campaigns.model",
    "IMMEDIATE": "clarion.domain.campaigns.model",
    "MAX_BATCH_SIZE": "clarion.domain.campaigns.send_rate",
    "MAX_CONCURRENCY": "clarion.domain.campaigns.send_rate",
    "MIN_BATCH_SIZE": "clarion.domain.campaigns.send_rate",
    "MessageConfiguration": "clarion.domain.campaigns.model",
    "QuietTime": "clarion.domain.campaigns.model",
    "QuietWindow": "clarion.domain.campaigns.quiet_time",
    "RunRules": "clarion.domain.campaigns.run",
    "RunSummary": "clarion.domain.campaigns.run",
    "Schedule": "clarion.domain.campaigns.model",
    "ScheduleSpec": "clarion.domain.campaigns.schedule_expressions",
    "WriteCampaignRequest": "clarion.domain.campaigns.model",
    "assign": "clarion.domain.campaigns.assignment",
    "assigner_for": "clarion.domain.campaigns.assignment",
    "batched_audience_sql": "clarion.domain.campaigns.send_rate",
    "bucket": "clarion.domain.campaigns.assignment",
    "campaign_channel_messages": "clarion.domain.campaigns.channel_messages",
    "campaign_send_event": "clarion.domain.campaigns.channel_messages",
    "compile_inline": "clarion.domain.campaigns.channel_messages",
    "decide": "clarion.domain.campaigns.run",
    "event_dimensions_match": "clarion.domain.campaigns.event_filter",
    "event_filter_matches": "clarion.domain.campaigns.event_filter",
    "local_send_time": "clarion.domain.campaigns.schedule",
    "local_time_lead": "clarion.domain.campaigns.schedule_expressions",
    "next_run_time": "clarion.domain.campaigns.schedule",
    "nominal_run_time": "clarion.domain.campaigns.schedule_expressions",
    "parse_utc_offset": "clarion.domain.campaigns.model",
    "pause_needed": "clarion.domain.campaigns.send_rate",
    "quiet_time_until": "clarion.domain.campaigns.quiet_time",
    "run_times": "clarion.domain.campaigns.schedule",
    "schedule_name": "clarion.domain.campaigns.schedule_expressions",
    "schedule_specs": "clarion.domain.campaigns.schedule_expressions",
    "send_plan": "clarion.domain.campaigns.send_rate",
    "validate_campaign_request": "clarion.domain.campaigns.model",
    "validate_campaign_response": "clarion.domain.campaigns.model",
}

__all__ = [
    "BASE_TREATMENT_ID",
    "BUCKETS",
    "FEBRUARY_SUFFIX",
    "IMMEDIATE",
    "MAX_BATCH_SIZE",
    "MAX_CONCURRENCY",
    "MIN_BATCH_SIZE",
    "Assigner",
    "CampaignEventFilter",
    "CampaignLimits",
    "CampaignResponse",
    "CampaignStatus",
    "ChannelMessage",
    "Decision",
    "Frequency",
    "MessageConfiguration",
    "QuietTime",
    "QuietWindow",
    "RunRules",
    "RunSummary",
    "Schedule",
    "ScheduleSpec",
    "WriteCampaignRequest",
    "assign",
    "assigner_for",
    "batched_audience_sql",
    "bucket",
    "campaign_channel_messages",
    "campaign_send_event",
    "compile_inline",
    "decide",
    "event_dimensions_match",
    "event_filter_matches",
    "local_send_time",
    "local_time_lead",
    "next_run_time",
    "nominal_run_time",
    "parse_utc_offset",
    "pause_needed",
    "quiet_time_until",
    "run_times",
    "schedule_name",
    "schedule_specs",
    "send_plan",
    "validate_campaign_request",
    "validate_campaign_response",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
