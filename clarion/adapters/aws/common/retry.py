"""The backoff of the adapters' own retries: of the parts of a batch call (PutRecords,
BatchWriteItem, BatchDetectSentiment) that AWS did not process."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float = 0.05) -> float:
    """Seconds to wait before retry ``attempt + 1``: full jitter, so that many writers
    throttled together do not retry in step; at most two seconds."""
    return random.uniform(0, min(2.0, base * 2**attempt))  # noqa: S311
