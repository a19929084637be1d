"""How a campaign run on AWS spreads Limits.MessagesPerSecond over batches.

The state machine's Distributed Map runs the audience in batches of ``batch_size``
endpoints, at most ``max_concurrency`` batches at a time, each a send-batch Lambda
invocation that is held to ``invocation_rate`` messages a second. So the whole run
sends at most ``max_concurrency * invocation_rate <= MessagesPerSecond`` messages a
second.

The formula aims at about one second per invocation:

- ``batch_size = clamp(MessagesPerSecond * TARGET_BATCH_SECONDS, MIN_BATCH_SIZE,
  MAX_BATCH_SIZE)``: a batch holds about a second of the campaign's rate, but never fewer
  than ``MIN_BATCH_SIZE`` (at 1 message a second, one Lambda invocation per message would
  cost more than it sends) nor more than ``MAX_BATCH_SIZE`` (the runner's batch size).
- ``max_concurrency = clamp(ceil(MessagesPerSecond / batch_size), 1,
  MAX_CONCURRENCY)``;
- ``invocation_rate = MessagesPerSecond / max_concurrency``: each invocation's share.

Examples: 20,000/s → batches of 500, 40 at a time, 500/s each; 50/s → batches of 50,
one at a time; 1/s → batches of 25 (25 s each), one at a time. Without a
MessagesPerSecond the run is not paced: batches of ``MAX_BATCH_SIZE``,
``UNPACED_CONCURRENCY`` at a time.

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TARGET_BATCH_SECONDS = 1.0
MIN_BATCH_SIZE = 25
MAX_BATCH_SIZE = 500
MAX_CONCURRENCY = 100
UNPACED_CONCURRENCY = 10
# Pinpoint's own bound on Limits.MessagesPerSecond.
MAX_MESSAGES_PER_SECOND = 20_000


@dataclass(frozen=True, slots=True)
class SendPlan:
    """Batch size, Map concurrency and per-invocation rate (None: not paced)."""

    batch_size: int
    max_concurrency: int
    invocation_rate: float | None

    def to_json(self) -> dict[str, int | float]:
        """The plan as the state machine carries it (``InvocationRate`` 0: not paced)."""
        return {
            "BatchSize": self.batch_size,
            "MaxConcurrency": self.max_concurrency,
            "InvocationRate": self.invocation_rate or 0,
        }


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def send_plan(messages_per_second: int | None) -> SendPlan:
    """The batch size, concurrency and per-invocation rate for a campaign's
    Limits.MessagesPerSecond (module docstring).

    Raises
    ------
    ValueError
        When ``messages_per_second`` is not a positive integer.
    """
    if messages_per_second is None:
        return SendPlan(MAX_BATCH_SIZE, UNPACED_CONCURRENCY, None)
    if isinstance(messages_per_second, bool) or messages_per_second < 1:
        raise ValueError(f"MessagesPerSecond must be at least 1, not {messages_per_second!r}")
    rate = min(int(messages_per_second), MAX_MESSAGES_PER_SECOND)
    batch = _clamp(math.ceil(rate * TARGET_BATCH_SECONDS), MIN_BATCH_SIZE, MAX_BATCH_SIZE)
    concurrency = _clamp(math.ceil(rate / batch), 1, MAX_CONCURRENCY)
    return SendPlan(batch, concurrency, rate / concurrency)


def pause_needed(sent: int, elapsed_s: float, invocation_rate: float | None) -> float:
    """Seconds an invocation that sent ``sent`` messages in ``elapsed_s`` must still wait
    to stay within ``invocation_rate`` (0 when not paced or already slow enough)."""
    if not invocation_rate or sent <= 0:
        return 0.0
    return max(0.0, sent / invocation_rate - elapsed_s)


def batched_audience_sql(audience_sql: str, batch_size: int) -> str:
    """Trino SQL that numbers the audience's distinct ids and groups them into batches of
    ``batch_size``: one row per batch, columns ``batch`` (0, 1, ...) and ``ids`` (a JSON
    array of endpoint ids).

    Step Functions reads the query's CSV result with a Distributed Map, one item per row,
    so each row is one send-batch invocation (the batching happens in the query, not in
    an ``ItemBatcher``, which moto's interpreter does not run). A JSON array survives any
    character in an id; Athena's CSV quotes the field and doubles its quotes (RFC 4180).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    inner = audience_sql.strip().rstrip(";").strip()
    if not inner:
        raise ValueError("the audience SQL is empty")
    return (
        "SELECT batch, json_format(CAST(array_agg(id) AS JSON)) AS ids\n"
        "FROM (\n"
        "  SELECT id, CAST(floor((row_number() OVER (ORDER BY id) - 1) / "
        f"CAST({int(batch_size)} AS double)) AS bigint) AS batch\n"
        f"  FROM (SELECT DISTINCT id FROM (\n{inner}\n  ) AS audience) AS members\n"
        ") AS numbered\n"
        "GROUP BY batch\n"
        "ORDER BY batch"
    )
