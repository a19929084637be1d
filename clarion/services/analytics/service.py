"""Campaign analytics and event counts, from the one SQL source in
``clarion/resources/sql/analytics``.

The SQL is Trino's dialect; the AnalyticsQuery adapter runs it on Athena or transpiles it
to DuckDB. Metrics and rates are defined in docs/analytics.md. With a
:class:`~clarion.services.analytics.conversions.ConversionService`, a campaign's metrics
also carry its conversions, the funnel down to them, and the A/B comparison on opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from clarion.domain.analytics.conversions import Contender, ab_test
from clarion.domain.common.errors import NotFoundError
from clarion.ports.analytics import AnalyticsQuery
from clarion.resources import read_json, read_text
from clarion.services.analytics.conversions import ConversionService


def _campaign_metrics_columns(role: str) -> tuple[str, ...]:
    """The campaign-metrics columns of one role, in the contract's order."""
    view = read_json("contracts/analytics_columns.json")["views"]["campaign_metrics"]
    return tuple(column["name"] for column in view if column["role"] == role)


# The counts and rates the campaign_metrics query returns, as the contract declares them.
COUNT_COLUMNS = _campaign_metrics_columns("count")
RATE_COLUMNS = _campaign_metrics_columns("rate")

HOLDOUT = "HOLDOUT"
FUNNEL = ("sent", "delivered", "opened", "clicked")


@cache
def analytics_sql(name: str) -> str:
    """The text of ``clarion/resources/sql/analytics/<name>.sql``."""
    return read_text(f"sql/analytics/{name}.sql")


def campaign_metrics_sql() -> str:
    """The campaign-metrics query for one campaign (``:campaign_id`` placeholder)."""
    return (
        f"SELECT * FROM ({analytics_sql('campaign_metrics')}) AS metrics "
        "WHERE campaign_id = :campaign_id"
    )


def event_counts_sql(*, with_type: bool, with_since: bool, with_until: bool) -> str:
    conditions = ["TRUE"]
    if with_type:
        conditions.append("event_type = :event_type")
    if with_since:
        conditions.append("day >= :since")
    if with_until:
        conditions.append("day <= :until")
    return (
        f"SELECT * FROM ({analytics_sql('event_counts')}) AS counts "
        f"WHERE {' AND '.join(conditions)} ORDER BY day, event_type"
    )


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    counts = {name: int(row.get(name) or 0) for name in COUNT_COLUMNS}
    # Rates are recomputed from the counts: the same definitions as the SQL, and exact
    # whatever the engine's floating-point text form.
    return {
        **counts,
        "delivery_rate": rate(counts["delivered"], counts["sent"]),
        "open_rate": rate(counts["opened"], counts["delivered"]),
        "click_rate": rate(counts["clicked"], counts["delivered"]),
        "bounce_rate": rate(counts["bounced"], counts["sent"]),
    }


@dataclass(frozen=True)
class CampaignMetrics:
    """Metrics of one campaign: totals, per treatment, the holdout, per run, per day."""

    campaign_id: str
    totals: dict[str, Any]
    treatments: list[dict[str, Any]]
    holdout: dict[str, Any] | None
    runs: list[dict[str, Any]]
    days: list[dict[str, Any]]
    detail: list[dict[str, Any]]
    conversions: dict[str, Any] | None = None

    @property
    def funnel(self) -> dict[str, Any]:
        """sent, delivered, opened, clicked (messages) and converted: the messages
        credited with a conversion of the first goal (None without conversions)."""
        steps: dict[str, Any] = {name: self.totals[name] for name in FUNNEL}
        goals = (self.conversions or {}).get("goals") or []
        steps["converted"] = goals[0]["attributed"]["converted_messages"] if goals else None
        steps["goal"] = goals[0]["goal"] if goals else None
        return steps

    @property
    def ab_test_on_opens(self) -> dict[str, Any] | None:
        """Which treatment wins on unique opens over delivered messages (each goal's
        ``ab_test`` compares the treatments on conversions)."""
        return ab_test(
            "open_rate",
            [
                Contender(str(t["treatment_id"]), int(t["opened"]), int(t["delivered"]))
                for t in self.treatments
            ],
        )

    def to_json(self) -> dict[str, Any]:
        data = {
            "campaign_id": self.campaign_id,
            **self.totals,
            "treatments": self.treatments,
            "holdout": self.holdout,
            "runs": self.runs,
            "days": self.days,
            "by_treatment_run_day": self.detail,
        }
        if self.conversions is not None:
            data["funnel"] = self.funnel
            data["ab_test_on_opens"] = self.ab_test_on_opens
            data["conversions"] = self.conversions
        return data


def _key(value: Any) -> str:
    return "" if value is None else str(value)


class AnalyticsService:
    """Campaign metrics and event counts over the event store; with ``conversions``,
    campaign metrics include the campaign's conversions."""

    def __init__(self, query: AnalyticsQuery, conversions: ConversionService | None = None) -> None:
        self._query = query
        self._conversions = conversions

    @property
    def conversions(self) -> ConversionService | None:
        return self._conversions

    def campaign_metrics(self, campaign_id: str) -> CampaignMetrics:
        """Every metric of one campaign (and its conversions, when the service has a
        ConversionService). Raises NotFoundError when no event names it."""
        rows = self._query.rows(campaign_metrics_sql(), {"campaign_id": campaign_id})
        by_grain: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_grain.setdefault(str(row["grain"]), []).append(row)
        totals = by_grain.get("campaign")
        if not totals:
            raise NotFoundError("campaign events", campaign_id)
        treatments, holdout = [], None
        for row in sorted(by_grain.get("treatment", []), key=lambda r: _key(r["treatment_id"])):
            if row["treatment_id"] == HOLDOUT:
                holdout = {"endpoints": int(row["holdout_endpoints"] or 0)}
                continue
            treatments.append({"treatment_id": row["treatment_id"], **_metrics(row)})
        runs = [
            {
                "run_id": row["run_id"],
                "endpoints_targeted": int(row["endpoints_targeted"] or 0),
                "emails_opened": int(row["opened"] or 0),
                **_metrics(row),
            }
            for row in sorted(by_grain.get("run", []), key=lambda r: _key(r["run_id"]))
        ]
        days = [
            {"day": str(row["day"]), **_metrics(row)}
            for row in sorted(by_grain.get("day", []), key=lambda r: _key(r["day"]))
        ]
        detail = [
            {
                "treatment_id": row["treatment_id"],
                "run_id": row["run_id"],
                "day": str(row["day"]),
                **_metrics(row),
            }
            for row in sorted(
                by_grain.get("treatment_run_day", []),
                key=lambda r: (_key(r["treatment_id"]), _key(r["run_id"]), _key(r["day"])),
            )
        ]
        conversions = (
            self._conversions.campaign_conversions(campaign_id)
            if self._conversions is not None
            else None
        )
        return CampaignMetrics(
            campaign_id, _metrics(totals[0]), treatments, holdout, runs, days, detail, conversions
        )

    def event_counts(
        self,
        event_type: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[dict[str, Any]]:
        """Events and distinct endpoints by UTC date and event type."""
        parameters: dict[str, Any] = {}
        if event_type:
            parameters["event_type"] = event_type
        if since:
            parameters["since"] = since.isoformat()
        if until:
            parameters["until"] = until.isoformat()
        sql = event_counts_sql(
            with_type=bool(event_type), with_since=bool(since), with_until=bool(until)
        )
        rows = self._query.rows(sql, parameters or None)
        return [
            {
                "day": str(row["day"]),
                "event_type": row["event_type"],
                "events": int(row["events"]),
                "endpoints": int(row["endpoints"]),
            }
            for row in rows
        ]

    def endpoint_events(self, endpoint_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The endpoint's most recent events, newest first (the console's audience page)."""
        sql = (
            "SELECT event_id, event_type, event_timestamp, arrival_timestamp FROM events "
            f"WHERE endpoint_id = :endpoint_id ORDER BY event_timestamp DESC LIMIT {int(limit)}"
        )
        return [
            {
                "event_id": row["event_id"],
                "event_type": row["event_type"],
                "event_timestamp": int(row["event_timestamp"] or 0),
                "arrival_timestamp": int(row["arrival_timestamp"] or 0),
            }
            for row in self._query.rows(sql, {"endpoint_id": endpoint_id})
        ]
