"""How each AWS delivery API's errors are classified: throttled, temporary or
permanent (a permanent failure is never retried), with the reason recorded."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
)

from clarion.domain.messaging.delivery import DeliveryStatus


class ChannelConfigurationError(ValueError):
    """The deployment lacks a setting a channel needs (nothing was sent)."""


# -------------------------------------------------------------------- error classification

_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",  # SES: the sending rate; botocore retries it as such
        "EC2ThrottledException",
    }
)
# Deployment or account state, not the message: once fixed, the same message goes out.
_TEMPORARY = frozenset(
    {
        "AccessDeniedException",
        "ForbiddenException",
        "AccountSuspendedException",
        "SendingPausedException",
        "ServiceQuotaExceededException",  # End User Messaging spend limits reset monthly
        "InternalServerException",
        "InternalServerErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceException",
        "ResourceNotReadyException",
        "ResourceConflictException",
        "KMSAccessDeniedException",
        "EC2UnexpectedException",
        "ENILimitReachedException",
    }
)
# Sending the same message again through this deployment can never succeed.
_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "BadRequestException",
        "NotFoundException",
        "ValidationException",
        "ResourceNotFoundException",
        "ConflictException",
        "PayloadTooLargeException",
        "MethodNotAllowedException",
        "InvalidRequestContentException",
        "RequestTooLargeException",
        "InvalidParameterValueException",
        "UnsupportedMediaTypeException",
        "RecursiveInvocationException",
    }
)
_SMS_OPT_OUT_REASONS = frozenset({"DESTINATION_PHONE_NUMBER_OPTED_OUT"})


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
        if code == "ConflictException" and reason_code in _SMS_OPT_OUT_REASONS:
            return DeliveryStatus.OPT_OUT, text
        if code in _THROTTLING:
            return DeliveryStatus.THROTTLED, text
        if code in _TEMPORARY:
            return DeliveryStatus.TEMPORARY_FAILURE, text
        if code in _PERMANENT:
            return DeliveryStatus.PERMANENT_FAILURE, text
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if isinstance(status, int) and status >= 500:
            return DeliveryStatus.TEMPORARY_FAILURE, text
        return DeliveryStatus.UNKNOWN_FAILURE, text
    if isinstance(error, ParamValidationError):
        return DeliveryStatus.PERMANENT_FAILURE, f"invalid request: {error}"
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return DeliveryStatus.TEMPORARY_FAILURE, f"{type(error).__name__}: {error}"
    if isinstance(error, BotoCoreError):
        return DeliveryStatus.UNKNOWN_FAILURE, f"{type(error).__name__}: {error}"
    return DeliveryStatus.UNKNOWN_FAILURE, f"{type(error).__name__}: {error}"
