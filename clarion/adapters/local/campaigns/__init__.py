"""Local campaign adapters: the DuckDB CampaignRepository and CampaignScheduler."""

from clarion.adapters.local.campaigns.campaign_repository import DuckDBCampaignRepository
from clarion.adapters.local.campaigns.campaign_scheduler import DuckDBCampaignScheduler

__all__ = ["DuckDBCampaignRepository", "DuckDBCampaignScheduler"]
