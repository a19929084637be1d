"""The AWS delivery channels, one module per channel (email, SMS, voice, push, custom),
and what they share: error classification, webhook signing and the results they hand
to the composite :class:`~clarion.adapters.aws.messaging.AwsDeliveryChannel`."""

from clarion.adapters.aws.messaging.channels.custom import (
    CUSTOM_PAYLOAD_VERSION,
    MAX_CUSTOM_MESSAGES,
    MAX_CUSTOM_PAYLOAD_BYTES,
    SECRET_TTL_SECONDS,
    CustomChannel,
)
from clarion.adapters.aws.messaging.channels.email import EmailChannel
from clarion.adapters.aws.messaging.channels.errors import ChannelConfigurationError, classify_error
from clarion.adapters.aws.messaging.channels.push import MAX_PUSH_ADDRESSES, PushChannel
from clarion.adapters.aws.messaging.channels.results import (
    IndexedResult,
    Job,
    Plan,
    PlannedJob,
)
from clarion.adapters.aws.messaging.channels.sms import SmsChannel
from clarion.adapters.aws.messaging.channels.voice import VoiceChannel
from clarion.adapters.aws.messaging.channels.webhooks import (
    BATCH_ID_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_ATTEMPTS,
    WEBHOOK_TIMEOUT_SECONDS,
    HttpPost,
    sign_webhook_body,
    urllib_post,
    verify_webhook_signature,
)

__all__ = [
    "BATCH_ID_HEADER",
    "CUSTOM_PAYLOAD_VERSION",
    "MAX_CUSTOM_MESSAGES",
    "MAX_CUSTOM_PAYLOAD_BYTES",
    "MAX_PUSH_ADDRESSES",
    "SECRET_TTL_SECONDS",
    "SIGNATURE_HEADER",
    "WEBHOOK_ATTEMPTS",
    "WEBHOOK_TIMEOUT_SECONDS",
    "ChannelConfigurationError",
    "CustomChannel",
    "EmailChannel",
    "HttpPost",
    "IndexedResult",
    "Job",
    "Plan",
    "PlannedJob",
    "PushChannel",
    "SmsChannel",
    "VoiceChannel",
    "classify_error",
    "sign_webhook_body",
    "urllib_post",
    "verify_webhook_signature",
]
