"""The ports: what services need from the outside world, one module per feature.

Each Protocol has two adapters, one per backend (``clarion.adapters.local.<feature>``
for DuckDB and files, ``clarion.adapters.aws.<feature>`` for boto3), named after the
port, and one contract test-suite in ``tests/integration`` that both pass. Services
depend on these Protocols only.
"""

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
from clarion.ports.events import DeadLetterSink, EventForwarder, EventSink, StreamDestination
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
    "ColumnarEventSink",
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
