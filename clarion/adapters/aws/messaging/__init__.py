"""AWS messaging adapters: the DeliveryChannel (SES v2, End User Messaging, Pinpoint
push, custom), composed of one channel class per channel, and the DynamoDB SendLedger."""

from clarion.adapters.aws.messaging.channels.custom import MAX_CUSTOM_PAYLOAD_BYTES
from clarion.adapters.aws.messaging.channels.errors import ChannelConfigurationError
from clarion.adapters.aws.messaging.channels.webhooks import (
    SIGNATURE_HEADER,
    sign_webhook_body,
    urllib_post,
    verify_webhook_signature,
)
from clarion.adapters.aws.messaging.delivery_channel import AwsDeliveryChannel
from clarion.adapters.aws.messaging.send_ledger import DynamoDBSendLedger, sends_table_spec

__all__ = [
    "MAX_CUSTOM_PAYLOAD_BYTES",
    "SIGNATURE_HEADER",
    "AwsDeliveryChannel",
    "ChannelConfigurationError",
    "DynamoDBSendLedger",
    "sends_table_spec",
    "sign_webhook_body",
    "urllib_post",
    "verify_webhook_signature",
]
