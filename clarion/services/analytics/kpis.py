"""Pinpoint's date-range KPIs: ``GetCampaignDateRangeKpi`` and
``GetApplicationDateRangeKpi`` answered as Pinpoint answered them (a
``CampaignDateRangeKpiResponse`` or ``ApplicationDateRangeKpiResponse`` holding a
``KpiResult`` of ``Rows``, each with ``GroupedBys`` and ``Values``), so the REST API
returns what these methods return.

Pinpoint's own KPI names are computed from the campaign-metrics SQL over the events of
the date range; Clarion adds its conversion KPIs (from the conversions SQL, each
campaign's first goal) and the project's purchases and revenue (the Revenue page of
Pinpoint's console, which had no API names of its own), named in the same style.
docs/analytics.md lists every name and its definition.

Names only the per-message counts answer (``messages-sent``, ``emails-opened``, the
transactional ``txn-*`` KPIs, which count every message of the project rather than its
campaigns) are passed to ``MessageKpis`` (``message_kpis``), which keeps Pinpoint's
31-day window.

Rules kept from Pinpoint: a date range is inclusive, given as ``StartTime`` and
``EndTime`` (ISO 8601), and defaults to the 31 days before now; a rate is a percentage;
every value is a ``Double`` written as text; a single-value KPI with nothing to report
has no rows. Clarion keeps events for as long as the lake does, so ranges are not
limited to 31 days or the last 90 days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clarion.domain.analytics.conversions import Arm, incrementality
from clarion.domain.analytics.goal_sql import MeasuredGoal, within_period
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.campaigns import CampaignRepository
from clarion.resources import read_text
from clarion.services.analytics.conversions import CAMPAIGN, ConversionService
from clarion.services.analytics.goals import GoalService
from clarion.services.analytics.message_kpis import (
    MessageKpis,
    is_message_kpi,
    message_kpi_names,
)
from clarion.services.analytics.service import analytics_sql

DEFAULT_DAYS = 31
CAMPAIGN_ACTIVITY = "CampaignActivityId"
CAMPAIGN_ID = "CampaignId"
DATE = "Date"


def _now() -> datetime:
    return datetime.now(UTC)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _percent(numerator: float, denominator: float) -> float | None:
    value = _ratio(numerator, denominator)
    return None if value is None else value * 100


# -- the KPIs ------------------------------------------------------------------------------

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Kpi:
    """One KPI: where its figures come from, what it groups by, and how a row's values
    are computed (name → value, the KPI's own first; the row is left out when that is
    None, and any other None value, such as an interval that cannot be estimated, is)."""

    source: str  # "delivery", "conversions", "experiment" or "monetization"
    grouped_by: str | None
    values: Callable[[Row], dict[str, float | None]]


def _delivery(key: str, count: str | None = None, over: str | None = None) -> Callable:
    def values(row: Row) -> dict[str, float | None]:
        if over is None:
            return {key: float(row.get(count or "", 0) or 0)}
        return {key: _percent(float(row.get(count or "") or 0), float(row.get(over) or 0))}

    return values


def _count(key: str, column: str) -> Callable:
    return lambda row: {key: float(row.get(column) or 0)}


def _conversion_rate(row: Row) -> dict[str, float | None]:
    return {
        "ConversionRate": _percent(
            float(row.get("converted_endpoints") or 0), float(row.get("endpoints") or 0)
        )
    }


def _lift(name: str) -> Callable:
    def values(row: Row) -> dict[str, float | None]:
        lift = row["lift"]
        if name == "ConversionLift":
            d = lift["conversion_rate_difference"]
            scaled = {"estimate": d["difference"], "low": d["low"], "high": d["high"]}
            factor = 100.0
        else:
            key = {
                "IncrementalConversions": "incremental_conversions",
                "IncrementalConvertedEndpoints": "incremental_converted_endpoints",
                "IncrementalRevenue": "incremental_revenue",
            }[name]
            scaled, factor = lift[key], 1.0
        return {
            name: scaled["estimate"] * factor,
            f"{name}Low": None if scaled["low"] is None else scaled["low"] * factor,
            f"{name}High": None if scaled["high"] is None else scaled["high"] * factor,
        }

    return values


def _delivery_kpis(prefix: str, grouped: str | None) -> dict[str, Kpi]:
    suffix = f"-grouped-by-{prefix}" if prefix else ""
    return {
        f"successful-delivery-rate{suffix}": Kpi(
            "delivery", grouped, _delivery("SuccessfulDeliveryRate", "delivered", "sent")
        ),
        f"email-open-rate{suffix}": Kpi(
            "delivery", grouped, _delivery("EmailOpenRate", "opened", "delivered")
        ),
        f"unique-deliveries{suffix}": Kpi(
            "delivery", grouped, _delivery("UniqueDeliveries", "endpoint_deliveries")
        ),
    }


def _conversion_kpis(prefix: str, grouped: str | None) -> dict[str, Kpi]:
    suffix = f"-grouped-by-{prefix}" if prefix else ""
    kpis = {
        f"conversions{suffix}": Kpi("conversions", grouped, _count("Conversions", "conversions")),
        f"converted-endpoints{suffix}": Kpi(
            "conversions", grouped, _count("ConvertedEndpoints", "converted_endpoints")
        ),
        f"conversion-revenue{suffix}": Kpi(
            "conversions", grouped, _count("ConversionRevenue", "revenue")
        ),
    }
    if grouped != DATE:  # a rate needs its messages, which a day of conversions has not
        kpis[f"conversion-rate{suffix}"] = Kpi("conversions", grouped, _conversion_rate)
    return kpis


def _experiment_kpis(prefix: str, grouped: str | None) -> dict[str, Kpi]:
    suffix = f"-grouped-by-{prefix}" if prefix else ""
    return {
        f"{name}{suffix}": Kpi("experiment", grouped, _lift(key))
        for name, key in (
            ("conversion-lift", "ConversionLift"),
            ("incremental-conversions", "IncrementalConversions"),
            ("incremental-converted-endpoints", "IncrementalConvertedEndpoints"),
            ("incremental-revenue", "IncrementalRevenue"),
        )
    }


def _monetization_kpis() -> dict[str, Kpi]:
    kpis = {}
    for name, key, column in (
        ("purchases", "Purchases", "purchases"),
        ("paying-endpoints", "PayingEndpoints", "paying_endpoints"),
        ("units-sold", "UnitsSold", "units_sold"),
        ("revenue", "Revenue", "revenue"),
    ):
        kpis[name] = Kpi("monetization", None, _count(key, column))
        kpis[f"{name}-grouped-by-date"] = Kpi("monetization", DATE, _count(key, column))
    return kpis


CAMPAIGN_KPIS: dict[str, Kpi] = {
    # Pinpoint's campaign metrics
    **_delivery_kpis("", None),
    **_delivery_kpis("campaign-activity", CAMPAIGN_ACTIVITY),
    **{k: v for k, v in _delivery_kpis("date", DATE).items() if "open" not in k},
    "direct-email-opens-grouped-by-campaign-activity": Kpi(
        "delivery", CAMPAIGN_ACTIVITY, _count("DirectEmailOpens", "opened")
    ),
    "successful-deliveries-grouped-by-campaign-activity": Kpi(
        "delivery", CAMPAIGN_ACTIVITY, _count("SuccessfulDeliveries", "delivered")
    ),
    "attempted-deliveries-grouped-by-campaign-activity": Kpi(
        "delivery", CAMPAIGN_ACTIVITY, _count("AttemptedDeliveries", "sent")
    ),
    # Clarion's conversions
    **_conversion_kpis("", None),
    **_conversion_kpis("campaign-activity", CAMPAIGN_ACTIVITY),
    **_conversion_kpis("date", DATE),
    **_experiment_kpis("", None),
    **_experiment_kpis("campaign-activity", CAMPAIGN_ACTIVITY),
}
APPLICATION_KPIS: dict[str, Kpi] = {
    # Pinpoint's application metrics for campaigns
    "successful-delivery-rate": CAMPAIGN_KPIS["successful-delivery-rate"],
    "successful-delivery-rate-grouped-by-date": CAMPAIGN_KPIS[
        "successful-delivery-rate-grouped-by-date"
    ],
    "email-open-rate": CAMPAIGN_KPIS["email-open-rate"],
    "unique-deliveries": CAMPAIGN_KPIS["unique-deliveries"],
    "unique-deliveries-grouped-by-date": CAMPAIGN_KPIS["unique-deliveries-grouped-by-date"],
    **{k: v for k, v in _delivery_kpis("campaign", CAMPAIGN_ID).items() if "rate" not in k},
    "email-open-rate-grouped-by-campaign": Kpi(
        "delivery", CAMPAIGN_ID, _delivery("EmailOpenRate", "opened", "delivered")
    ),
    "successful-deliveries-grouped-by-campaign": Kpi(
        "delivery", CAMPAIGN_ID, _count("SuccessfulDeliveries", "delivered")
    ),
    # Clarion's conversions, every campaign by its first goal
    **_conversion_kpis("", None),
    **_conversion_kpis("campaign", CAMPAIGN_ID),
    **_conversion_kpis("date", DATE),
    **_experiment_kpis("campaign", CAMPAIGN_ID),
    # The console's Revenue page
    **_monetization_kpis(),
}


# -- the date range ------------------------------------------------------------------------


def _instant(value: datetime | str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidRecordError(
                [FieldProblem(field, f"{value!r} is not an ISO 8601 date and time")]
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive date range (Pinpoint's StartTime and EndTime)."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: datetime | str | None, end: datetime | str | None, now: datetime) -> Period:
        finish = _instant(end, "EndTime") or now
        begin = _instant(start, "StartTime") or finish - timedelta(days=DEFAULT_DAYS)
        if begin > finish:
            raise InvalidRecordError([FieldProblem("StartTime", "must not be after EndTime")])
        return cls(begin, finish)

    @property
    def days(self) -> tuple[date, date]:
        return self.start.astimezone(UTC).date(), self.end.astimezone(UTC).date()

    @property
    def milliseconds(self) -> tuple[int, int]:
        """[start, end] as a half-open range of epoch milliseconds."""
        return int(self.start.timestamp() * 1000), int(self.end.timestamp() * 1000) + 1

    def parameters(self) -> dict[str, Any]:
        since, until = self.days
        low, high = self.milliseconds
        return {
            "period_since": since.isoformat(),
            "period_until": until.isoformat(),
            "period_from_ms": low,
            "period_to_ms": high,
        }


def _value(key: str, value: float) -> dict[str, str]:
    return {"Key": key, "Type": "Double", "Value": repr(float(value))}


def _rows(kpi: Kpi, rows: Sequence[tuple[str | None, Row]]) -> list[dict[str, Any]]:
    out = []
    for group, row in rows:
        values = kpi.values(row)
        if next(iter(values.values())) is None:  # no figure: Pinpoint leaves the row out
            continue
        grouped = (
            [{"Key": kpi.grouped_by, "Type": "String", "Value": str(group)}]
            if kpi.grouped_by
            else []
        )
        out.append(
            {
                "GroupedBys": grouped,
                "Values": [_value(k, v) for k, v in values.items() if v is not None],
            }
        )
    return out


class KpiService:
    """Date-range KPIs of campaigns and of the project (module docstring).

    Parameters
    ----------
    query
        Runs the SQL.
    conversions, goals
        The conversion figures and the goals they measure.
    campaigns
        The campaigns (every one, for the project's KPIs).
    messages
        The per-message KPIs, for the names only they answer.
    """

    def __init__(
        self,
        query: AnalyticsQuery,
        conversions: ConversionService,
        goals: GoalService,
        campaigns: CampaignRepository,
        *,
        messages: MessageKpis | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._messages = messages
        self._query = query
        self._conversions = conversions
        self._goals = goals
        self._campaigns = campaigns
        self._clock = clock

    def _kpi(self, table: Mapping[str, Kpi], name: str) -> Kpi:
        kpi = table.get(name)
        if kpi is None:
            known = sorted([*table, *(message_kpi_names() if self._messages else [])])
            raise InvalidRecordError(
                [FieldProblem("KpiName", f"{name!r} is not a KPI: one of {', '.join(known)}")]
            )
        return kpi

    def _by_message(self, table: Mapping[str, Kpi], name: str) -> MessageKpis | None:
        """The per-message KPIs when they, not ``table``, answer ``name``."""
        if name in table or self._messages is None or not is_message_kpi(name):
            return None
        return self._messages

    def campaign_date_range_kpi(
        self,
        application_id: str,
        campaign_id: str,
        kpi_name: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        next_token: str | None = None,
        page_size: str | None = None,
    ) -> dict[str, Any]:
        """``GetCampaignDateRangeKpi``: the ``CampaignDateRangeKpiResponse``.

        ``next_token`` and ``page_size`` are accepted and ignored, as Pinpoint did for
        metrics (every row comes in one page).

        Raises
        ------
        InvalidRecordError
            An unknown KPI name, or a date range that is not one (a BadRequest).
        NotFoundError
            No such campaign.
        """
        self._campaigns.get_campaign(campaign_id)
        if (messages := self._by_message(CAMPAIGN_KPIS, kpi_name)) is not None:
            return messages.date_range_kpi(
                kpi_name,
                _instant(start_time, "StartTime"),
                _instant(end_time, "EndTime"),
                campaign_id=campaign_id,
            )
        kpi = self._kpi(CAMPAIGN_KPIS, kpi_name)
        period = Period.of(start_time, end_time, self._clock())
        rows = self._figures(kpi, [campaign_id], period, per_campaign=False)
        return {
            "ApplicationId": application_id,
            "CampaignId": campaign_id,
            "EndTime": _iso(period.end),
            "KpiName": kpi_name,
            "KpiResult": {"Rows": _rows(kpi, rows)},
            "StartTime": _iso(period.start),
        }

    def application_date_range_kpi(
        self,
        application_id: str,
        kpi_name: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        next_token: str | None = None,
        page_size: str | None = None,
    ) -> dict[str, Any]:
        """``GetApplicationDateRangeKpi``: the ``ApplicationDateRangeKpiResponse``, over
        every campaign of the project. Raises InvalidRecordError as
        :meth:`campaign_date_range_kpi`."""
        if (messages := self._by_message(APPLICATION_KPIS, kpi_name)) is not None:
            return messages.date_range_kpi(
                kpi_name, _instant(start_time, "StartTime"), _instant(end_time, "EndTime")
            )
        kpi = self._kpi(APPLICATION_KPIS, kpi_name)
        period = Period.of(start_time, end_time, self._clock())
        campaign_ids = [str(c["Id"]) for c in self._campaigns.list_campaigns()]
        rows = self._figures(kpi, campaign_ids, period, per_campaign=True)
        return {
            "ApplicationId": application_id,
            "EndTime": _iso(period.end),
            "KpiName": kpi_name,
            "KpiResult": {"Rows": _rows(kpi, rows)},
            "StartTime": _iso(period.start),
        }

    # -- figures ------------------------------------------------------------------------

    def _figures(
        self, kpi: Kpi, campaign_ids: Sequence[str], period: Period, *, per_campaign: bool
    ) -> list[tuple[str | None, Row]]:
        if kpi.source == "monetization":
            return self._monetization(kpi, period)
        if not campaign_ids:
            return []
        if kpi.source == "delivery":
            return self._delivery(kpi, campaign_ids, period, per_campaign)
        return self._conversion(kpi, campaign_ids, period, per_campaign)

    def _delivery(
        self, kpi: Kpi, campaign_ids: Sequence[str], period: Period, per_campaign: bool
    ) -> list[tuple[str | None, Row]]:
        grain = {None: "campaign", CAMPAIGN_ID: "campaign", CAMPAIGN_ACTIVITY: "run", DATE: "day"}
        sql = (
            f"SELECT * FROM ({within_period(analytics_sql('campaign_metrics'))}) AS m "
            f"WHERE grain = :grain"
        )
        parameters = {**period.parameters(), "grain": grain[kpi.grouped_by]}
        if not per_campaign:
            sql += " AND campaign_id = :campaign_id"
            parameters["campaign_id"] = campaign_ids[0]
        rows = [r for r in self._query.rows(sql, parameters) if r["campaign_id"] in campaign_ids]
        key = {CAMPAIGN_ID: "campaign_id", CAMPAIGN_ACTIVITY: "run_id", DATE: "day"}
        if kpi.grouped_by in key:
            column = key[kpi.grouped_by]
            if kpi.grouped_by == DATE and per_campaign:
                return _summed(rows, column)
            return sorted(((str(r[column]), r) for r in rows), key=lambda p: str(p[0]))
        return [(None, _total(rows))] if rows else []

    def _measured(self, campaign_ids: Sequence[str]) -> list[MeasuredGoal]:
        return [
            MeasuredGoal(CAMPAIGN, campaign_id, self._goals.resolve(campaign_id).goals.goals[0])
            for campaign_id in campaign_ids
        ]

    def _conversion(
        self, kpi: Kpi, campaign_ids: Sequence[str], period: Period, per_campaign: bool
    ) -> list[tuple[str | None, Row]]:
        measured = self._measured(campaign_ids)
        bounds = self._conversions.bounds(campaign_ids, [m.goal for m in measured])
        rows = self._conversions.rows(measured, bounds, period.milliseconds)
        if kpi.source == "experiment":
            return _experiment_rows(rows, kpi.grouped_by)
        treated = [r for r in rows if r["section"] == "attribution" and r["arm"] == "treated"]
        if kpi.grouped_by == DATE:
            return _summed([r for r in treated if r["grain"] == "day"], "day")
        if kpi.grouped_by == CAMPAIGN_ACTIVITY:
            runs = [r for r in treated if r["grain"] == "run"]
            return sorted(((str(r["run_id"]), r) for r in runs), key=lambda p: str(p[0]))
        arms = [r for r in treated if r["grain"] == "arm"]
        if kpi.grouped_by == CAMPAIGN_ID:
            return sorted(((str(r["source_id"]), r) for r in arms), key=lambda p: str(p[0]))
        return [(None, _total(arms))] if arms else []

    def _monetization(self, kpi: Kpi, period: Period) -> list[tuple[str | None, Row]]:
        since, until = period.days
        low, high = period.milliseconds
        currency = self._goals.resolve(None).goals.goals[0].currency
        rows = self._query.rows(
            read_text("sql/analytics/monetization.sql"),
            {
                "since": since.isoformat(),
                "until": until.isoformat(),
                "from_ms": low,
                "to_ms": high,
                "currency": currency,
            },
        )
        if kpi.grouped_by == DATE:
            days = [r for r in rows if r["grain"] == "day"]
            return sorted(((str(r["day"]), r) for r in days), key=lambda p: str(p[0]))
        period_rows = [r for r in rows if r["grain"] == "period" and r["purchases"]]
        return [(None, period_rows[0])] if period_rows else []


def _total(rows: Sequence[Row]) -> dict[str, Any]:
    """Campaigns' figures added up (distinct counts per campaign are summed: a project
    figure is the sum of its campaigns', as Pinpoint's application metrics were)."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


def _summed(rows: Sequence[Row], column: str) -> list[tuple[str | None, Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row[column]), []).append(row)
    return [(key, _total(group)) for key, group in sorted(groups.items())]


def _experiment_rows(rows: Sequence[Row], grouped_by: str | None) -> list[tuple[str | None, Row]]:
    arms: dict[tuple[str, str], dict[str, Arm]] = {}
    for row in rows:
        if row["section"] != "experiment" or row["grain"] != "arm":
            continue
        key = (str(row["source_id"]), str(row["run_id"]))
        arms.setdefault(key, {})[str(row["arm"])] = Arm.of(row)
    out: list[tuple[str | None, Row]] = []
    for (source, run), pair in sorted(arms.items()):
        treated, holdout = pair.get("treated"), pair.get("holdout")
        if treated is None or holdout is None or not treated.endpoints or not holdout.endpoints:
            continue
        lift = {"lift": incrementality(treated, holdout)}
        if grouped_by == CAMPAIGN_ACTIVITY and run:
            out.append((run, lift))
        elif grouped_by == CAMPAIGN_ID and not run:
            out.append((source, lift))
        elif grouped_by is None and not run:
            out.append((None, lift))
    return out
