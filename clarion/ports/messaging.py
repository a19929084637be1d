"""Ports of the messaging feature: delivery on every channel, and the send ledger
(idempotency and caps) every send path shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.messaging.delivery import DeliveryResult, OutboundMessage
    from clarion.domain.messaging.governor import EndpointCounts, GovernorCaps
    from clarion.domain.messaging.ledger import CapCount, LedgerOutcome, Reason, WarningTally


class DeliveryChannel(Protocol):
    """Delivers messages on every channel (email, SMS, voice, push, custom).

    Adapters batch where the provider's API allows, retry throttling with backoff, and
    classify what still fails (``DeliveryStatus.PERMANENT_FAILURE`` must never be
    retried). Exactly one result per message, in any order.
    """

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]: ...


class SendLedger(Protocol):
    """Idempotency and caps for sends: one record per (run, endpoint), and per
    (campaign, endpoint) counts of successful sends.

    A batch claims the endpoints it is about to deliver to *before* delivering; a
    retried batch gets back only endpoints nobody claimed, so it never sends twice.
    """

    def claim(self, run_id: str, endpoint_ids: Sequence[str]) -> set[str]:
        """Atomically mark each endpoint claimed for the run; returns the ids this call
        claimed (those not claimed before). Unclaimed records (deferrals, skips) can be
        claimed."""
        ...

    def record_outcomes(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> None:
        """Record each endpoint's outcome. An outcome of a claimed endpoint must come
        from the claimer (``SENT``/``FAILED``); any other outcome never replaces the
        record of a claimed endpoint, so a retry cannot overwrite a send."""
        ...

    def outcomes(self, run_id: str, endpoint_ids: Sequence[str]) -> dict[str, LedgerOutcome]:
        """The recorded outcomes of these endpoints (claimed ones show ``CLAIMED``
        until their outcome is recorded)."""
        ...

    def outcome_counts(self, run_id: str) -> dict[str, int]:
        """Endpoints per outcome reason for the run."""
        ...

    def warning_tally(self, run_id: str) -> WarningTally:
        """The rendering warnings recorded with the run's outcomes: per endpoint, so a
        retried batch (which renders nothing it did not claim) counts nothing twice."""
        ...

    def deferred(self, run_id: str, due_by_ms: int) -> list[str]:
        """Endpoints deferred in the run whose deferral ends at or before ``due_by_ms``."""
        ...

    def in_doubt(self, run_id: str) -> dict[str, LedgerOutcome]:
        """The run's in-doubt records: claims without an outcome (``CLAIMED``) and
        claims reconciliation released as not seen (``FAILED``, detail starting
        ``IN_DOUBT``)."""
        ...

    def resolve_in_doubt(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> set[str]:
        """Record each outcome (``SENT`` or ``FAILED``) only where the record is still in
        doubt (as ``in_doubt`` lists it), atomically per endpoint; returns the ids
        written. The record stays claimed, so nothing resolved is ever claimed again."""
        ...

    def cap_counts(
        self, campaign_id: str, endpoint_ids: Sequence[str], day: str
    ) -> dict[str, CapCount]:
        """Successful sends of the campaign per endpoint on ``day`` and in total
        (endpoints with none may be left out)."""
        ...

    def add_sends(self, campaign_id: str, endpoint_ids: Sequence[str], day: str) -> None:
        """Count one successful send to each endpoint, on ``day`` and in total."""
        ...


class MessageCounts(Protocol):
    """The message governor's counts: messages per endpoint of a project, in total and
    per UTC day (the last 31 days).

    ``admit`` is atomic per endpoint: two senders racing for an endpoint's last
    message under a cap cannot both get it (a conditional write on DynamoDB, one
    transaction locally).
    """

    def admit(
        self, app_id: str, endpoint_ids: Sequence[str], caps: GovernorCaps, day: str
    ) -> dict[str, Reason | None]:
        """For each endpoint: count one message on ``day`` and answer None when every
        cap allows it, or answer the cap it would break (and count nothing)."""
        ...

    def counts(self, app_id: str, endpoint_ids: Sequence[str]) -> dict[str, EndpointCounts]:
        """The counts of these endpoints (zero counts may be left out)."""
        ...
