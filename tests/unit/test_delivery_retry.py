"""The retry rules of delivery: which failures are retried, the backoff and its budget,
and the classification of providers' error codes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clarion.domain.messaging.delivery import DeliveryStatus
from clarion.domain.messaging.retry import (
    RetryPolicy,
    classify_provider_error,
    is_retryable,
)
from lambdas.campaign_send_batch.handler import RETRY_MARGIN_S, retry_budget_s


def test_throttling_and_temporary_errors_are_retryable_and_the_rest_final():
    assert classify_provider_error("TooManyRequestsException") == DeliveryStatus.THROTTLED
    assert classify_provider_error("Throttling") == DeliveryStatus.THROTTLED  # SES
    assert classify_provider_error("ThrottlingException") == DeliveryStatus.THROTTLED  # SMS
    assert classify_provider_error("Whatever", http_status=429) == DeliveryStatus.THROTTLED
    assert classify_provider_error("Whatever", http_status=503) == DeliveryStatus.TEMPORARY_FAILURE
    assert classify_provider_error("MessageRejected") == DeliveryStatus.PERMANENT_FAILURE
    assert (
        classify_provider_error(
            "ConflictException", reason_code="DESTINATION_PHONE_NUMBER_OPTED_OUT"
        )
        == DeliveryStatus.OPT_OUT
    )
    # A code nobody knows, without a status that says more: it may have gone out.
    assert classify_provider_error("Whatever", http_status=400) == DeliveryStatus.UNKNOWN_FAILURE
    assert {s for s in DeliveryStatus if is_retryable(s)} == {
        DeliveryStatus.THROTTLED,
        DeliveryStatus.TEMPORARY_FAILURE,
    }


def test_backoff_doubles_up_to_its_cap():
    policy = RetryPolicy(first_delay_s=0.5, multiplier=2, max_delay_s=3, max_attempts=10)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]


@given(
    attempts=st.integers(min_value=1, max_value=20),
    remaining=st.none() | st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_a_retry_never_overruns_the_budget_nor_the_attempts(attempts, remaining):
    policy = RetryPolicy(max_attempts=5)
    wait = policy.next_delay(attempts, remaining)
    if attempts >= policy.max_attempts:
        assert wait is None
    elif wait is not None:
        assert wait == policy.delay(attempts)
        assert remaining is None or wait < remaining
    else:
        assert remaining is not None and policy.delay(attempts) >= remaining


def test_the_batch_lambda_keeps_a_margin_for_recording_outcomes():
    assert retry_budget_s(900_000) == 900 - RETRY_MARGIN_S
    assert retry_budget_s(30_000) == 10.0  # little left: a third of it
