"""The ports: what services need from the outside world, one module per feature.

Each Protocol has two adapters, one per backend (``clarion.adapters.local.<feature>``
for DuckDB and files, ``clarion.adapters.aws.<feature>`` for boto3), named after the
port, and one contract test-suite in ``tests/integration`` that both pass. Services
depend on these Protocols only.

The names are imported on first use (PEP 562): a Lambda handler that imports one
feature's port module (``clarion.ports.audience``) runs this package first, and should
not pay for every other feature's domain models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.ports.analytics import AnalyticsQuery, ConversionGoalStore
    from clarion.ports.audience import (
        ColumnarEndpointImport,
        EndpointChangeFeed,
        EndpointCompactor,
        EndpointLocator,
        ImportChunk,
        ImportFileStore,
        ImportJobStarter,
        JobFiles,
        LakeRewriter,
        PersonalDataEraser,
        ProfileStore,
    )
    from clarion.ports.campaigns import (
        BatchObject,
        CampaignAudienceQuery,
        CampaignBatchStore,
        CampaignHookInvoker,
        CampaignRepository,
        CampaignRunStarter,
        CampaignScheduler,
        CampaignTrigger,
        HookTarget,
    )
    from clarion.ports.churn import (
        ChurnFiles,
        ChurnJobs,
        ChurnLearner,
        ChurnModelStore,
        ChurnQueryStarter,
        ChurnSimulator,
        ColumnarAnalytics,
        ColumnarChurnLearner,
        ColumnarEventSink,
        SimulatedEvents,
        SimulatedPopulation,
    )
    from clarion.ports.common import ProjectStore
    from clarion.ports.events import (
        ColumnarEventIngest,
        ColumnarIngestResult,
        DeadLetterSink,
        EventForwarder,
        EventSink,
        StreamDestination,
    )
    from clarion.ports.journeys import CommitResult, CounterKey, JourneyRepository, ParticipantStore
    from clarion.ports.messaging import DeliveryChannel, MessageCounts, SendLedger
    from clarion.ports.segments import AudienceQuery, SegmentRepository
    from clarion.ports.sentiment import (
        HandleLookup,
        PostDedupeStore,
        PostQueue,
        SentimentAnalyzer,
        SocialAuthorStore,
    )
    from clarion.ports.templates import TemplateRepository

_HOMES: dict[str, str] = {
    "AnalyticsQuery": "clarion.ports.analytics",
    "AudienceQuery": "clarion.ports.segments",
    "BatchObject": "clarion.ports.campaigns",
    "CampaignAudienceQuery": "clarion.ports.campaigns",
    "CampaignBatchStore": "clarion.ports.campaigns",
    "CampaignHookInvoker": "clarion.ports.campaigns",
    "CampaignRepository": "clarion.ports.campaigns",
    "CampaignRunStarter": "clarion.ports.campaigns",
    "CampaignScheduler": "clarion.ports.campaigns",
    "CampaignTrigger": "clarion.ports.campaigns",
    "ChurnFiles": "clarion.ports.churn",
    "ChurnJobs": "clarion.ports.churn",
    "ChurnLearner": "clarion.ports.churn",
    "ChurnModelStore": "clarion.ports.churn",
    "ChurnQueryStarter": "clarion.ports.churn",
    "ChurnSimulator": "clarion.ports.churn",
    "ColumnarAnalytics": "clarion.ports.churn",
    "ColumnarChurnLearner": "clarion.ports.churn",
    "ColumnarEndpointImport": "clarion.ports.audience",
    "ColumnarEventIngest": "clarion.ports.events",
    "ColumnarEventSink": "clarion.ports.churn",
    "ColumnarIngestResult": "clarion.ports.events",
    "CommitResult": "clarion.ports.journeys",
    "ConversionGoalStore": "clarion.ports.analytics",
    "CounterKey": "clarion.ports.journeys",
    "DeadLetterSink": "clarion.ports.events",
    "DeliveryChannel": "clarion.ports.messaging",
    "EndpointChangeFeed": "clarion.ports.audience",
    "EndpointCompactor": "clarion.ports.audience",
    "EndpointLocator": "clarion.ports.audience",
    "EventForwarder": "clarion.ports.events",
    "EventSink": "clarion.ports.events",
    "HandleLookup": "clarion.ports.sentiment",
    "HookTarget": "clarion.ports.campaigns",
    "ImportChunk": "clarion.ports.audience",
    "ImportFileStore": "clarion.ports.audience",
    "ImportJobStarter": "clarion.ports.audience",
    "JobFiles": "clarion.ports.audience",
    "JourneyRepository": "clarion.ports.journeys",
    "LakeRewriter": "clarion.ports.audience",
    "MessageCounts": "clarion.ports.messaging",
    "ParticipantStore": "clarion.ports.journeys",
    "PersonalDataEraser": "clarion.ports.audience",
    "PostDedupeStore": "clarion.ports.sentiment",
    "PostQueue": "clarion.ports.sentiment",
    "ProfileStore": "clarion.ports.audience",
    "ProjectStore": "clarion.ports.common",
    "SegmentRepository": "clarion.ports.segments",
    "SendLedger": "clarion.ports.messaging",
    "SentimentAnalyzer": "clarion.ports.sentiment",
    "SimulatedEvents": "clarion.ports.churn",
    "SimulatedPopulation": "clarion.ports.churn",
    "SocialAuthorStore": "clarion.ports.sentiment",
    "StreamDestination": "clarion.ports.events",
    "TemplateRepository": "clarion.ports.templates",
}

__all__ = [
    "AnalyticsQuery",
    "AudienceQuery",
    "BatchObject",
    "CampaignAudienceQuery",
    "CampaignBatchStore",
    "CampaignHookInvoker",
    "CampaignRepository",
    "CampaignRunStarter",
    "CampaignScheduler",
    "CampaignTrigger",
    "ChurnFiles",
    "ChurnJobs",
    "ChurnLearner",
    "ChurnModelStore",
    "ChurnQueryStarter",
    "ChurnSimulator",
    "ColumnarAnalytics",
    "ColumnarChurnLearner",
    "ColumnarEndpointImport",
    "ColumnarEventIngest",
    "ColumnarEventSink",
    "ColumnarIngestResult",
    "CommitResult",
    "ConversionGoalStore",
    "CounterKey",
    "DeadLetterSink",
    "DeliveryChannel",
    "EndpointChangeFeed",
    "EndpointCompactor",
    "EndpointLocator",
    "EventForwarder",
    "EventSink",
    "HandleLookup",
    "HookTarget",
    "ImportChunk",
    "ImportFileStore",
    "ImportJobStarter",
    "JobFiles",
    "JourneyRepository",
    "LakeRewriter",
    "MessageCounts",
    "ParticipantStore",
    "PersonalDataEraser",
    "PostDedupeStore",
    "PostQueue",
    "ProfileStore",
    "ProjectStore",
    "SegmentRepository",
    "SendLedger",
    "SentimentAnalyzer",
    "SimulatedEvents",
    "SimulatedPopulation",
    "SocialAuthorStore",
    "StreamDestination",
    "TemplateRepository",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__, submodules=False)
