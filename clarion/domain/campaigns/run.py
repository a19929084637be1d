"""What a campaign run decides for one endpoint, and how a run's outcomes add up.

:func:`decide` is pure: given the endpoint, the run's rules, the time and the
endpoint's cap counts, it returns a :class:`Decision`. The order (docs/campaigns.md):

1. the endpoint no longer exists → ``SKIPPED_NOT_FOUND``
2. ``OptOut: ALL`` → ``SKIPPED_OPT_OUT`` (always honoured, nothing overrides it)
3. ``EndpointStatus: INACTIVE`` → ``SKIPPED_INACTIVE``
4. no ChannelType or Address → ``SKIPPED_NO_ADDRESS``
5. no treatment sends on the endpoint's channel → ``SKIPPED_CHANNEL``
6. past Limits.MaximumDuration after the run started → ``SKIPPED_EXPIRED``
7. a local-time schedule not yet due in the endpoint's zone → ``DEFERRED_LOCAL_TIME``
8. inside QuietTime in the endpoint's zone → ``DEFERRED_QUIET_TIME``
9. Limits.Total, then Limits.Daily reached → ``SKIPPED_TOTAL_CAP``/``SKIPPED_DAILY_CAP``
10. in the holdout → ``HOLDOUT`` (recorded, never sent)
11. the assigned treatment has no message for the channel → ``SKIPPED_CHANNEL``
12. otherwise ``SEND`` with the treatment; delivery turns it into ``SENT`` or ``FAILED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.domain.campaigns.assignment import Assigner
from clarion.domain.campaigns.model import Schedule, zone_for
from clarion.domain.campaigns.quiet_time import QuietWindow
from clarion.domain.campaigns.schedule import local_send_time
from clarion.domain.messaging.ledger import NO_SENDS, CapCount, Reason, WarningTally


@dataclass(frozen=True, slots=True)
class Decision:
    reason: Reason
    treatment_id: str | None = None
    until: datetime | None = None  # deferrals: when the endpoint may next be messaged


@dataclass(frozen=True)
class RunRules:
    """Everything :func:`decide` needs about a campaign run, prepared once per run.

    ``treatment_channels`` maps each treatment id to the channel types it has a message
    for; ``daily_cap`` and ``total_cap`` of 0 or None mean no cap.
    """

    campaign_id: str
    assigner: Assigner
    treatment_channels: Mapping[str, frozenset[ChannelType]]
    schedule: Schedule
    run_time: datetime
    quiet: QuietWindow | None = None
    daily_cap: int | None = None
    total_cap: int | None = None
    expires_at: datetime | None = None
    channels: frozenset[ChannelType] = field(init=False)

    def __post_init__(self) -> None:
        union: frozenset[ChannelType] = frozenset().union(*self.treatment_channels.values())
        object.__setattr__(self, "channels", union)

    @property
    def caps_apply(self) -> bool:
        return bool(self.daily_cap) or bool(self.total_cap)


def decide(
    endpoint: Endpoint | None,
    rules: RunRules,
    now: datetime,
    sends: CapCount = NO_SENDS,
) -> Decision:
    """The decision for one endpoint in a run (the order is in the module docstring)."""
    if endpoint is None:
        return Decision(Reason.SKIPPED_NOT_FOUND)
    if endpoint.is_opted_out:
        return Decision(Reason.SKIPPED_OPT_OUT)
    if not endpoint.is_active:
        return Decision(Reason.SKIPPED_INACTIVE)
    channel = endpoint.channel_type
    if channel is None or not endpoint.address:
        return Decision(Reason.SKIPPED_NO_ADDRESS)
    if channel not in rules.channels:
        return Decision(Reason.SKIPPED_CHANNEL)
    if rules.expires_at is not None and now > rules.expires_at:
        return Decision(Reason.SKIPPED_EXPIRED)
    zone_name = endpoint.demographic.timezone if endpoint.demographic else None
    if rules.schedule.is_local_time:
        due = local_send_time(rules.run_time, rules.schedule, zone_name)
        if due > now:
            return Decision(Reason.DEFERRED_LOCAL_TIME, until=due)
    if rules.quiet is not None:
        until = rules.quiet.until(now, zone_for(zone_name, rules.schedule.timezone))
        if until is not None:
            return Decision(Reason.DEFERRED_QUIET_TIME, until=until)
    if rules.total_cap and sends.total >= rules.total_cap:
        return Decision(Reason.SKIPPED_TOTAL_CAP)
    if rules.daily_cap and sends.daily >= rules.daily_cap:
        return Decision(Reason.SKIPPED_DAILY_CAP)
    assignment = rules.assigner.assign(endpoint.id)
    if assignment.holdout:
        return Decision(Reason.HOLDOUT)
    treatment_id = assignment.treatment_id
    if treatment_id is None or channel not in rules.treatment_channels.get(treatment_id, ()):
        return Decision(Reason.SKIPPED_CHANNEL, treatment_id=treatment_id)
    return Decision(Reason.SEND, treatment_id=treatment_id)


@dataclass
class RunSummary:
    """A run's outcomes counted by reason (one outcome per targeted endpoint)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: Reason | str, count: int = 1) -> None:
        key = str(reason)
        self.counts[key] = self.counts.get(key, 0) + count

    def merge(self, other: RunSummary) -> None:
        for reason, count in other.counts.items():
            self.add(reason, count)

    def _count(self, reason: Reason) -> int:
        return self.counts.get(reason.value, 0)

    @property
    def targeted(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        return self._count(Reason.SENT)

    @property
    def failed(self) -> int:
        return self._count(Reason.FAILED)

    @property
    def held_out(self) -> int:
        return self._count(Reason.HOLDOUT)

    @property
    def in_doubt(self) -> int:
        return self._count(Reason.CLAIMED)

    @property
    def skipped(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.counts.items()) if Reason(k).is_skip and v}

    @property
    def deferred(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.counts.items()) if Reason(k).is_deferral and v}

    def to_json(self) -> dict[str, Any]:
        return {
            "Targeted": self.targeted,
            "Sent": self.sent,
            "Failed": self.failed,
            "HeldOut": self.held_out,
            "Skipped": self.skipped,
            "Deferred": self.deferred,
            "InDoubt": self.in_doubt,
        }

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> RunSummary:
        return cls({str(k): int(v) for k, v in counts.items() if v})


def render_warnings_json(tally: WarningTally) -> dict[str, Any]:
    """A run record's ``RenderWarnings``: messages rendered with a warning, and the
    messages each warning touched, most first."""
    ordered = sorted(tally.by_warning.items(), key=lambda item: (-item[1], item[0]))
    return {"Messages": tally.messages, "Warnings": dict(ordered)}


def render_warnings_report(stored: Mapping[str, Any] | None, summary: RunSummary) -> dict[str, Any]:
    """``RenderWarnings`` as a run report shows it: the stored counts, and the share of
    the run's rendered messages (sent or failed) that had a warning (None when it
    rendered none)."""
    messages = int((stored or {}).get("Messages", 0))
    rendered = summary.sent + summary.failed
    return {
        "Messages": messages,
        "Share": round(messages / rendered, 4) if rendered else None,
        "Warnings": dict((stored or {}).get("Warnings") or {}),
    }
