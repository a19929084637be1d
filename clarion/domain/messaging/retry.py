"""Which delivery failures are tried again, how long to wait between tries, and how a
provider's error code is classified: the rules every send path and adapter share.

A failure is retried only when the provider certainly did not accept the message:
``THROTTLED`` (a rate limit answered before sending) and ``TEMPORARY_FAILURE`` (a 5xx,
an unavailable service, a connection that never opened). ``UNKNOWN_FAILURE`` (a lost
response: the message may have gone out) and ``PERMANENT_FAILURE`` are final, so a
retry can never send a message twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from clarion.domain.messaging.delivery import DeliveryStatus

RETRYABLE = frozenset({DeliveryStatus.THROTTLED, DeliveryStatus.TEMPORARY_FAILURE})

THROTTLING_CODES = frozenset(
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
TEMPORARY_CODES = frozenset(
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
PERMANENT_CODES = frozenset(
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
SMS_OPT_OUT_REASONS = frozenset({"DESTINATION_PHONE_NUMBER_OPTED_OUT"})


def classify_provider_error(
    code: str, *, http_status: int | None = None, reason_code: str | None = None
) -> DeliveryStatus:
    """The delivery status of a provider's error response.

    Parameters
    ----------
    code
        The error code (``ThrottlingException``, ``MessageRejected``...).
    http_status
        The response's HTTP status: an unknown code with a 5xx is temporary, and 429 is
        throttling.
    reason_code
        End User Messaging's ``Reason`` (``DESTINATION_PHONE_NUMBER_OPTED_OUT`` on a
        ``ConflictException`` is ``OPT_OUT``).
    """
    if code == "ConflictException" and reason_code in SMS_OPT_OUT_REASONS:
        return DeliveryStatus.OPT_OUT
    if code in THROTTLING_CODES:
        return DeliveryStatus.THROTTLED
    if code in TEMPORARY_CODES:
        return DeliveryStatus.TEMPORARY_FAILURE
    if code in PERMANENT_CODES:
        return DeliveryStatus.PERMANENT_FAILURE
    if http_status == 429:
        return DeliveryStatus.THROTTLED
    if http_status is not None and http_status >= 500:
        return DeliveryStatus.TEMPORARY_FAILURE
    return DeliveryStatus.UNKNOWN_FAILURE


def is_retryable(status: DeliveryStatus) -> bool:
    """True when the message certainly did not go out and may be tried again."""
    return status in RETRYABLE


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for the retries of one batch, bounded by a time budget.

    Attributes
    ----------
    first_delay_s
        The wait before the first retry; each further wait is ``multiplier`` times the
        last, at most ``max_delay_s``.
    max_attempts
        Tries in all, the first included.
    """

    first_delay_s: float = 0.5
    multiplier: float = 2.0
    max_delay_s: float = 8.0
    max_attempts: int = 5

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        return min(self.first_delay_s * self.multiplier ** max(retry - 1, 0), self.max_delay_s)

    def next_delay(self, attempts: int, remaining_s: float | None) -> float | None:
        """The wait before another try after ``attempts`` tries, or None when no try is
        left: the attempts are spent, or waiting and a try would overrun the budget
        (``remaining_s``; None for no budget)."""
        if attempts >= self.max_attempts:
            return None
        wait = self.delay(attempts)
        if remaining_s is not None and wait >= remaining_s:
            return None
        return wait


NO_RETRIES = RetryPolicy(max_attempts=1)
