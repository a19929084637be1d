"""AWS audience adapters: the DynamoDB ProfileStore (also the EndpointLocator), the
Firehose EndpointChangeFeed, the Athena EndpointCompactor and the S3 ImportFileStore."""

from clarion.adapters.aws.audience.endpoint_change_feed import FirehoseEndpointChangeFeed
from clarion.adapters.aws.audience.endpoint_compactor import (
    AthenaEndpointCompactor,
    compaction_statement,
)
from clarion.adapters.aws.audience.import_file_store import S3ImportFileStore
from clarion.adapters.aws.audience.profile_store import (
    ATTRIBUTE_NAMES_ID,
    DynamoDBBatches,
    DynamoDBProfileStore,
    UnprocessedItemsError,
    endpoints_table_spec,
)

__all__ = [
    "ATTRIBUTE_NAMES_ID",
    "AthenaEndpointCompactor",
    "DynamoDBBatches",
    "DynamoDBProfileStore",
    "FirehoseEndpointChangeFeed",
    "S3ImportFileStore",
    "UnprocessedItemsError",
    "compaction_statement",
    "endpoints_table_spec",
]
