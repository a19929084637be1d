"""AWS campaign adapters: the DynamoDB CampaignRepository, the Step Functions run
starter, the EventBridge Scheduler CampaignScheduler, the Athena CampaignAudienceQuery
and the S3 CampaignBatchStore."""

from clarion.adapters.aws.campaigns.campaign_audience_query import AthenaCampaignAudienceQuery
from clarion.adapters.aws.campaigns.campaign_batch_store import S3CampaignBatchStore
from clarion.adapters.aws.campaigns.campaign_repository import DynamoDBCampaignRepository
from clarion.adapters.aws.campaigns.campaign_run_starter import StepFunctionsRunStarter
from clarion.adapters.aws.campaigns.campaign_scheduler import (
    EventBridgeCampaignScheduler,
    SchedulerNotConfiguredError,
)

__all__ = [
    "AthenaCampaignAudienceQuery",
    "DynamoDBCampaignRepository",
    "EventBridgeCampaignScheduler",
    "S3CampaignBatchStore",
    "SchedulerNotConfiguredError",
    "StepFunctionsRunStarter",
]
