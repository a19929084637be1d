"""The reference model of campaign conversions: attribution and the holdout experiment
decided in plain Python, record by record, with the rules docs/analytics.md states.

Written without SQL so the property tests can check ``conversions.sql`` on DuckDB (and
on Athena's text) against an independent reading of the same rules. Inputs are Pinpoint
event records (:class:`~clarion.domain.events.records.EventRecord`); goal events are
found with the event-triggered campaigns' own matcher,
:func:`~clarion.domain.campaigns.event_filter.event_filter_matches`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from clarion.domain.analytics.goals import AttributionModel, ConversionGoal
from clarion.domain.campaigns.event_filter import event_filter_matches
from clarion.domain.events.records import EventRecord

# Skipped before the random assignment: in neither arm of the experiment.
NOT_ASSIGNED = frozenset({"OPT_OUT", "DAILY_CAP", "TOTAL_CAP", "EXPIRED", "QUIET_TIME"})
HOLDOUT = "HOLDOUT"


@dataclass(frozen=True, slots=True)
class Touch:
    source_id: str
    variant: str
    run_id: str
    endpoint_id: str
    at_ms: int
    is_message: bool


@dataclass(frozen=True, slots=True)
class Conversion:
    event_id: str
    endpoint_id: str
    at_ms: int
    amount: Decimal | None
    in_currency: bool


@dataclass
class Figures:
    """Attributed figures of one group of touches."""

    touches: set[tuple[str, str, str, int]] = field(default_factory=set)
    converted_touches: set[tuple[str, str, str, int]] = field(default_factory=set)
    converted_endpoints: set[str] = field(default_factory=set)
    conversions: set[str] = field(default_factory=set)
    revenue: Decimal = Decimal(0)

    @property
    def endpoints(self) -> int:
        return len({t[0] for t in self.touches})


@dataclass
class ArmFigures:
    """Experiment figures of one arm: endpoint -> (conversion ids, revenue)."""

    endpoints: dict[str, tuple[set[str], Decimal]] = field(default_factory=dict)

    @property
    def converted(self) -> int:
        return sum(1 for ids, _ in self.endpoints.values() if ids)

    @property
    def conversions(self) -> int:
        return sum(len(ids) for ids, _ in self.endpoints.values())

    @property
    def revenue(self) -> Decimal:
        return sum((r for _, r in self.endpoints.values()), Decimal(0))


def _sends(records: Iterable[EventRecord]) -> list[tuple[str, str, str, str, str, int]]:
    """(campaign, variant, run, status, endpoint, at) of every _campaign.send."""
    out = []
    for r in records:
        campaign = r.attributes.get("campaign_id")
        endpoint = r.client.client_id if r.client else None
        if r.event_type != "_campaign.send" or not campaign or not endpoint:
            continue
        status = r.attributes.get("campaign_send_status") or ""
        variant = HOLDOUT if status == HOLDOUT else (r.attributes.get("treatment_id") or "0")
        run = r.attributes.get("run_id") or r.attributes.get("campaign_activity_id") or ""
        out.append((campaign, variant, run, status, endpoint, r.event_timestamp))
    return out


def _amount(record: EventRecord, goal: ConversionGoal) -> Decimal | None:
    metrics = record.metrics
    if goal.revenue_metric is not None:
        value = metrics.get(goal.revenue_metric)
    elif "_item_price" in metrics:
        value = metrics["_item_price"] * metrics.get("_quantity", 1.0)
    else:
        value = None
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


class ReferenceConversions:
    """Conversions of ``campaign_id`` for one goal over ``records``."""

    def __init__(self, records: Sequence[EventRecord], campaign_id: str, goal: ConversionGoal):
        self.campaign_id = campaign_id
        self.goal = goal
        # The event store keeps one record per event id (the first copy), so identical
        # events (the same id) are one conversion and one amount of revenue here too.
        unique: dict[str, EventRecord] = {}
        for index, record in enumerate(records):
            unique.setdefault(record.event_id or f"#{index}", record)
        records = list(unique.values())
        sends = _sends(records)
        self.assignments = [s for s in sends if s[0] == campaign_id and s[3] not in NOT_ASSIGNED]
        audience = {s[4] for s in self.assignments}
        self.touches = [
            Touch(c, v, run, e, at, status == "SUCCESS")
            for c, v, run, status, e, at in sends
            if e in audience and (status == "SUCCESS" or (status == HOLDOUT and c == campaign_id))
        ]
        self.conversions = []
        for r in records:
            endpoint = r.client.client_id if r.client else None
            if endpoint in audience and event_filter_matches(goal.event_filter, r):
                currency = r.attributes.get("_currency") or goal.currency
                self.conversions.append(
                    Conversion(
                        r.event_id or "",
                        endpoint or "",
                        r.event_timestamp,
                        _amount(r, goal),
                        currency == goal.currency,
                    )
                )

    def credited(self, conversion: Conversion) -> Touch | None:
        """The touch that takes the credit for ``conversion`` (or None)."""
        window = self.goal.window_ms
        candidates = [
            t
            for t in self.touches
            if t.endpoint_id == conversion.endpoint_id
            and t.at_ms <= conversion.at_ms < t.at_ms + window
            and (t.is_message or t.source_id == self.campaign_id)
        ]
        if not candidates:
            return None
        first = self.goal.attribution_model == AttributionModel.FIRST_TOUCH
        candidates.sort(
            key=lambda t: (
                t.at_ms if first else -t.at_ms,
                "campaign",
                t.source_id,
                t.run_id,
                t.variant,
            )
        )
        return candidates[0] if candidates[0].source_id == self.campaign_id else None

    def attribution(self) -> dict[str, Figures]:
        """Attributed figures by variant (``HOLDOUT`` for the held-out endpoints)."""
        groups: dict[str, Figures] = defaultdict(Figures)
        for t in self.touches:
            if t.source_id == self.campaign_id and (t.is_message or t.variant == HOLDOUT):
                groups[t.variant].touches.add((t.endpoint_id, t.run_id, t.variant, t.at_ms))
        for c in self.conversions:
            touch = self.credited(c)
            if touch is None:
                continue
            figures = groups[touch.variant]
            figures.converted_touches.add(
                (touch.endpoint_id, touch.run_id, touch.variant, touch.at_ms)
            )
            figures.converted_endpoints.add(c.endpoint_id)
            figures.conversions.add(c.event_id)
            if c.in_currency and c.amount is not None:
                figures.revenue += c.amount
        return dict(groups)

    def experiment(self) -> dict[str, ArmFigures]:
        """The campaign-wide experiment by arm (``treated``, ``holdout``)."""
        first: dict[str, tuple[int, str]] = {}
        last: dict[str, int] = {}
        for _, variant, _, _, endpoint, at in self.assignments:
            if endpoint not in first or at < first[endpoint][0]:
                first[endpoint] = (at, variant)
            last[endpoint] = max(last.get(endpoint, at), at)
        arms: dict[str, ArmFigures] = defaultdict(ArmFigures)
        for endpoint, (start, variant) in first.items():
            end = last[endpoint] + self.goal.window_ms
            mine = [
                c for c in self.conversions if c.endpoint_id == endpoint and start <= c.at_ms < end
            ]
            revenue = sum(
                (c.amount for c in mine if c.in_currency and c.amount is not None), Decimal(0)
            )
            arm = "holdout" if variant == HOLDOUT else "treated"
            arms[arm].endpoints[endpoint] = ({c.event_id for c in mine}, revenue)
        return dict(arms)
