"""How each AWS delivery API's errors are classified: throttled, temporary or
permanent (a permanent failure is never retried), with the reason recorded. The codes
are the domain's (:func:`clarion.domain.messaging.retry.classify_provider_error`); this
module maps botocore's exceptions onto them."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
)

from clarion.domain.messaging.delivery import DeliveryStatus
from clarion.domain.messaging.retry import classify_provider_error


class ChannelConfigurationError(ValueError):
    """The deployment lacks a setting a channel needs (nothing was sent)."""


def classify_error(error: Exception) -> tuple[DeliveryStatus, str]:
    """The delivery status and reason for an exception from a send call.

    Called after botocore's retries are spent, so a throttling code here means the
    backoff did not get through: ``THROTTLED`` (retryable later). End User Messaging's
    ``ConflictException`` with reason ``DESTINATION_PHONE_NUMBER_OPTED_OUT`` is
    ``OPT_OUT``. A request that could not be built (client-side validation) is
    ``PERMANENT_FAILURE``; a connection that never opened is ``TEMPORARY_FAILURE``; a
    request whose response was lost (read timeout) is ``UNKNOWN_FAILURE``, because it
    may have been sent, and retrying it could send it twice.
    """
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        reason_code = error.response.get("Reason") or err.get("Reason")
        text = f"{code}: {err.get('Message', '')}".rstrip(": ")
        if reason_code:
            text += f" ({reason_code})"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return (
            classify_provider_error(
                code,
                http_status=status if isinstance(status, int) else None,
                reason_code=str(reason_code) if reason_code else None,
            ),
            text,
        )
    if isinstance(error, ParamValidationError):
        return DeliveryStatus.PERMANENT_FAILURE, f"invalid request: {error}"
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return DeliveryStatus.TEMPORARY_FAILURE, f"{type(error).__name__}: {error}"
    if isinstance(error, BotoCoreError):
        return DeliveryStatus.UNKNOWN_FAILURE, f"{type(error).__name__}: {error}"
    return DeliveryStatus.UNKNOWN_FAILURE, f"{type(error).__name__}: {error}"
