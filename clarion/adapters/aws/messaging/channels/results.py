"""What the AWS delivery channels hand back to the composite channel: results keyed by
the message's place in the batch, the jobs that produce them, and a channel's plan for
its share of a batch (jobs to run and messages refused before any call)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from clarion.adapters.aws.messaging.channels.errors import classify_error
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage

IndexedResult = tuple[int, DeliveryResult]
"""A result and the index of its message in the batch given to ``deliver``."""

Job = Callable[[], list[IndexedResult]]
"""One provider call (or a few, for a split push batch), run on the thread pool."""


class PlannedJob(NamedTuple):
    """A job and the indices of the messages it answers for.

    If the job raises, every one of these messages gets a result from the error, so a
    bug in one job never costs the other messages their results.
    """

    run: Job
    indices: list[int]


@dataclass
class Plan:
    """A batching channel's share of a batch: the jobs to run, and the messages it
    refused before any call (index -> result)."""

    jobs: list[PlannedJob] = field(default_factory=list)
    refused: dict[int, DeliveryResult] = field(default_factory=dict)


def result_for(
    message: OutboundMessage,
    status: DeliveryStatus,
    reason: str | None = None,
    *,
    provider_id: str | None = None,
) -> DeliveryResult:
    """The result of ``message``, with the provider's message id when one came back."""
    return DeliveryResult(message.message_id, status, provider_id, reason)


def failure_for(message: OutboundMessage, error: Exception) -> DeliveryResult:
    """The result of ``message`` when its send call raised ``error`` (classified)."""
    status, reason = classify_error(error)
    return result_for(message, status, reason)
