"""What the send ledger records per (run, endpoint): the outcome reasons every send
path shares (campaigns, transactional sends, triggers), and cap counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Reason(StrEnum):
    """Every outcome a run records for an endpoint (one per endpoint and run)."""

    SEND = "SEND"  # a decision only: delivery makes it SENT or FAILED
    SENT = "SENT"
    FAILED = "FAILED"
    CLAIMED = "CLAIMED"  # claimed for delivery, outcome not recorded (a crash): in doubt
    HOLDOUT = "HOLDOUT"
    SKIPPED_NOT_FOUND = "SKIPPED_NOT_FOUND"
    SKIPPED_OPT_OUT = "SKIPPED_OPT_OUT"
    SKIPPED_INACTIVE = "SKIPPED_INACTIVE"
    SKIPPED_NO_ADDRESS = "SKIPPED_NO_ADDRESS"
    SKIPPED_CHANNEL = "SKIPPED_CHANNEL"
    SKIPPED_EXPIRED = "SKIPPED_EXPIRED"
    SKIPPED_TOTAL_CAP = "SKIPPED_TOTAL_CAP"
    SKIPPED_DAILY_CAP = "SKIPPED_DAILY_CAP"
    # The project's caps across campaigns, journeys and triggers (the message governor).
    SKIPPED_PROJECT_DAILY_CAP = "SKIPPED_PROJECT_DAILY_CAP"
    SKIPPED_PROJECT_TIMEFRAME_CAP = "SKIPPED_PROJECT_TIMEFRAME_CAP"
    SKIPPED_PROJECT_TOTAL_CAP = "SKIPPED_PROJECT_TOTAL_CAP"
    SKIPPED_HOOK_FILTER = "SKIPPED_HOOK_FILTER"  # a FILTER CampaignHook left it out
    DEFERRED_LOCAL_TIME = "DEFERRED_LOCAL_TIME"
    DEFERRED_QUIET_TIME = "DEFERRED_QUIET_TIME"
    # Journeys: the journey's TimeframeCap, a quiet time or sending schedule it does not
    # wait for (WaitForQuietTime false), and the open hours and closed days it waits for.
    SKIPPED_TIMEFRAME_CAP = "SKIPPED_TIMEFRAME_CAP"
    SKIPPED_QUIET_TIME = "SKIPPED_QUIET_TIME"
    SKIPPED_OPEN_HOURS = "SKIPPED_OPEN_HOURS"
    SKIPPED_CLOSED_DAY = "SKIPPED_CLOSED_DAY"
    DEFERRED_OPEN_HOURS = "DEFERRED_OPEN_HOURS"
    DEFERRED_CLOSED_DAY = "DEFERRED_CLOSED_DAY"

    @property
    def is_skip(self) -> bool:
        return self.value.startswith("SKIPPED_")

    @property
    def is_deferral(self) -> bool:
        return self.value.startswith("DEFERRED_")


# The ``campaign_send_status`` attribute of ``_campaign.send`` events, per outcome
# (delivery failures use the DeliveryStatus instead).
SEND_STATUS = {
    Reason.SENT: "SUCCESS",
    Reason.HOLDOUT: "HOLDOUT",
    Reason.SKIPPED_OPT_OUT: "OPT_OUT",
    Reason.SKIPPED_DAILY_CAP: "DAILY_CAP",
    Reason.SKIPPED_TOTAL_CAP: "TOTAL_CAP",
    Reason.SKIPPED_EXPIRED: "EXPIRED",
    Reason.SKIPPED_PROJECT_DAILY_CAP: "PROJECT_DAILY_CAP",
    Reason.SKIPPED_PROJECT_TIMEFRAME_CAP: "PROJECT_TIMEFRAME_CAP",
    Reason.SKIPPED_PROJECT_TOTAL_CAP: "PROJECT_TOTAL_CAP",
    Reason.DEFERRED_QUIET_TIME: "QUIET_TIME",
}


# The detail of an in-doubt claim that reconciliation found no delivery evidence for:
# recorded FAILED (never resent), and looked at again by a later reconciliation, which
# makes it SENT if the provider's events arrive after all.
IN_DOUBT_DETAIL = "IN_DOUBT"


def is_unresolved_in_doubt(outcome: LedgerOutcome) -> bool:
    """True for a claim with no outcome (``CLAIMED``) and for one reconciliation
    released as not seen (``FAILED`` with an ``IN_DOUBT`` detail)."""
    return outcome.reason == Reason.CLAIMED or (
        outcome.reason == Reason.FAILED and (outcome.detail or "").startswith(IN_DOUBT_DETAIL)
    )


@dataclass(frozen=True, slots=True)
class CapCount:
    """Successful sends of one campaign to one endpoint: on a (UTC) day, and ever."""

    daily: int = 0
    total: int = 0


NO_SENDS = CapCount()


@dataclass(frozen=True, slots=True)
class LedgerOutcome:
    """What the send ledger keeps per (run, endpoint).

    ``warnings`` are the keys of the warnings the message's render produced
    (``RenderWarning.key``: the template part, expression and kind, never the data).
    """

    reason: Reason
    treatment_id: str | None = None
    until_ms: int | None = None
    message_id: str | None = None
    detail: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WarningTally:
    """A run's rendering warnings: messages that rendered with at least one, and the
    messages each warning (by key) touched."""

    messages: int = 0
    by_warning: dict[str, int] = field(default_factory=dict)


def cap_day(now: datetime) -> str:
    """The key of the day Limits.Daily counts in: the UTC calendar date."""
    return now.astimezone(UTC).date().isoformat()


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)
