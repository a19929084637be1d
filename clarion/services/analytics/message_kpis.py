"""Message KPIs by date range: Pinpoint's per-message counts (``messages-sent``,
``emails-opened``, the transactional ``txn-*`` KPIs...) over every message of the
project, transactional sends included, as ``KpiResult`` rows. ``KpiService`` answers
the campaign KPIs itself and asks this for the names only these count.

Each KPI counts distinct messages (``attributes['message_id']``, else the event id, as
the campaign metrics do) of the project's events between StartTime (inclusive) and
EndTime (exclusive), optionally of one campaign. A ``-grouped-by-date`` KPI answers one
row per UTC date (``GroupedBys: [{"Key": "Date", ...}]``); the others one row.
Transactional (``txn-``) KPIs count messages that belong to no campaign and no journey.
docs/api.md lists every message KPI with its definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.ports.analytics import AnalyticsQuery

_SENT = ("_email.send", "_SMS.BUFFERED", "_MMS.BUFFERED", "_VOICE.BUFFERED")
_DELIVERED = ("_email.delivered", "_SMS.SUCCESS", "_MMS.SUCCESS", "_VOICE.SUCCESS")


def _types(types: tuple[str, ...]) -> str:
    return "event_type IN (" + ", ".join(f"'{t}'" for t in types) + ")"


# Count expressions (Trino), by name, over the scoped events below.
_COUNTS = {
    "sent": f"count(DISTINCT CASE WHEN {_types(_SENT)} THEN message_key END)",
    "delivered": f"count(DISTINCT CASE WHEN {_types(_DELIVERED)} THEN message_key END)",
    "emails_sent": "count(DISTINCT CASE WHEN event_type = '_email.send' THEN message_key END)",
    "emails_delivered": (
        "count(DISTINCT CASE WHEN event_type = '_email.delivered' THEN message_key END)"
    ),
    "emails_opened": "count(DISTINCT CASE WHEN event_type = '_email.open' THEN message_key END)",
    "emails_clicked": (
        "count(DISTINCT CASE WHEN event_type = '_email.click' THEN message_key END)"
    ),
    "emails_bounced": (
        "count(DISTINCT CASE WHEN event_type IN ('_email.hardbounce', '_email.softbounce') "
        "THEN message_key END)"
    ),
    "emails_complained": (
        "count(DISTINCT CASE WHEN event_type = '_email.complaint' THEN message_key END)"
    ),
    "emails_unsubscribed": (
        "count(DISTINCT CASE WHEN event_type = '_email.unsubscribe' THEN message_key END)"
    ),
    "sms_sent": "count(DISTINCT CASE WHEN event_type = '_SMS.BUFFERED' THEN message_key END)",
    "sms_delivered": ("count(DISTINCT CASE WHEN event_type = '_SMS.SUCCESS' THEN message_key END)"),
    "unique_deliveries": f"count(DISTINCT CASE WHEN {_types(_DELIVERED)} THEN endpoint_id END)",
}


@dataclass(frozen=True, slots=True)
class MessageKpi:
    """One KPI: its value key, the count (or rate numerator and denominator) and
    whether it counts transactional messages only."""

    key: str
    numerator: str
    denominator: str | None = None
    transactional: bool = False
    description: str = ""


MESSAGE_KPIS: dict[str, MessageKpi] = {
    "email-open-rate": MessageKpi(
        "EmailOpenRate", "emails_opened", "emails_delivered", description="opened / delivered"
    ),
    "email-click-rate": MessageKpi(
        "EmailClickRate", "emails_clicked", "emails_delivered", description="clicked / delivered"
    ),
    "email-bounce-rate": MessageKpi(
        "EmailBounceRate", "emails_bounced", "emails_sent", description="bounced / sent"
    ),
    "successful-delivery-rate": MessageKpi(
        "SuccessfulDeliveryRate", "delivered", "sent", description="delivered / sent"
    ),
    "unique-deliveries": MessageKpi(
        "UniqueDeliveries", "unique_deliveries", description="endpoints with a delivery"
    ),
    "messages-sent": MessageKpi("MessagesSent", "sent", description="messages sent, every channel"),
    "messages-delivered": MessageKpi("MessagesDelivered", "delivered", description="delivered"),
    "emails-sent": MessageKpi("EmailsSent", "emails_sent", description="emails sent"),
    "emails-delivered": MessageKpi("EmailsDelivered", "emails_delivered", description="delivered"),
    "emails-opened": MessageKpi("EmailsOpened", "emails_opened", description="unique opens"),
    "emails-clicked": MessageKpi("EmailsClicked", "emails_clicked", description="unique clicks"),
    "emails-complained": MessageKpi(
        "EmailsComplained", "emails_complained", description="complaints"
    ),
    "emails-unsubscribed": MessageKpi(
        "EmailsUnsubscribed", "emails_unsubscribed", description="unsubscribes"
    ),
    "txn-emails-sent": MessageKpi(
        "TxnEmailsSent", "emails_sent", transactional=True, description="transactional emails"
    ),
    "txn-emails-delivered": MessageKpi(
        "TxnEmailsDelivered", "emails_delivered", transactional=True, description="delivered"
    ),
    "txn-emails-opened": MessageKpi(
        "TxnEmailsOpened", "emails_opened", transactional=True, description="unique opens"
    ),
    "txn-emails-clicked": MessageKpi(
        "TxnEmailsClicked", "emails_clicked", transactional=True, description="unique clicks"
    ),
    "txn-sms-sent": MessageKpi(
        "TxnSmsSent", "sms_sent", transactional=True, description="transactional SMS sent"
    ),
    "txn-sms-delivered": MessageKpi(
        "TxnSmsDelivered", "sms_delivered", transactional=True, description="delivered"
    ),
}
GROUPED = "-grouped-by-date"
MAX_RANGE = timedelta(days=31)  # Pinpoint's KPI window: at most 31 days
DEFAULT_RANGE = timedelta(days=7)


def message_kpi_names() -> list[str]:
    """Every KPI name, with its ``-grouped-by-date`` form."""
    return sorted([*MESSAGE_KPIS, *(name + GROUPED for name in MESSAGE_KPIS)])


def is_message_kpi(name: str) -> bool:
    """Whether ``name`` (or its ``-grouped-by-date`` form) is a message KPI."""
    return name.removesuffix(GROUPED) in MESSAGE_KPIS


def _kpi(name: str) -> tuple[MessageKpi, bool]:
    grouped = name.endswith(GROUPED)
    kpi = MESSAGE_KPIS.get(name.removesuffix(GROUPED))
    if kpi is None:
        raise InvalidRecordError(
            [FieldProblem("KpiName", f"{name!r} is not a KPI Clarion computes (docs/api.md)")]
        )
    return kpi, grouped


def message_kpi_sql(kpi: MessageKpi, *, grouped: bool, campaign: bool) -> str:
    """The Trino query of a KPI over ``events`` (placeholders ``:app_id``,
    ``:start_ms``, ``:end_ms`` and, for a campaign, ``:campaign_id``)."""
    conditions = [
        "application.app_id = :app_id",
        "event_timestamp >= :start_ms",
        "event_timestamp < :end_ms",
    ]
    if campaign:
        conditions.append("element_at(attributes, 'campaign_id') = :campaign_id")
    if kpi.transactional:
        conditions.append("element_at(attributes, 'campaign_id') IS NULL")
        conditions.append("element_at(attributes, 'journey_id') IS NULL")
    counts = [f"{_COUNTS[kpi.numerator]} AS numerator"]
    if kpi.denominator:
        counts.append(f"{_COUNTS[kpi.denominator]} AS denominator")
    group = "day, " if grouped else ""
    tail = " GROUP BY day ORDER BY day" if grouped else ""
    return (
        f"SELECT {group}{', '.join(counts)} FROM ("
        "SELECT dt AS day, event_type, endpoint_id, "
        "coalesce(element_at(attributes, 'message_id'), event_id) AS message_key "
        f"FROM events WHERE {' AND '.join(conditions)}) AS scoped{tail}"
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class MessageKpis:
    """Message KPIs of a project (module docstring).

    Parameters
    ----------
    query
        Runs the KPI SQL.
    app_id
        The project.
    """

    def __init__(self, query: AnalyticsQuery, app_id: str) -> None:
        self._query = query
        self._app_id = app_id

    def date_range_kpi(
        self,
        kpi_name: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        campaign_id: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """ApplicationDateRangeKpiResponse (CampaignDateRangeKpiResponse with a
        campaign): the window defaults to the 7 days before ``end`` (now).

        Raises
        ------
        InvalidRecordError
            An unknown KPI, or a window that is empty, reversed or over 31 days.
        """
        kpi, grouped = _kpi(kpi_name)
        end = end or now or datetime.now(UTC)
        start = start or end - DEFAULT_RANGE
        if start >= end:
            raise InvalidRecordError([FieldProblem("StartTime", "must be before EndTime")])
        if end - start > MAX_RANGE:
            raise InvalidRecordError(
                [FieldProblem("EndTime", "the window is at most 31 days after StartTime")]
            )
        parameters: dict[str, Any] = {
            "app_id": self._app_id,
            "start_ms": int(start.timestamp() * 1000),
            "end_ms": int(end.timestamp() * 1000),
        }
        if campaign_id is not None:
            parameters["campaign_id"] = campaign_id
        sql = message_kpi_sql(kpi, grouped=grouped, campaign=campaign_id is not None)
        rows = [r for r in self._query.rows(sql, parameters) if not grouped or r.get("day")]
        result_rows = [self._row(kpi, row, grouped) for row in rows]
        response: dict[str, Any] = {
            "ApplicationId": self._app_id,
            "KpiName": kpi_name,
            "StartTime": _iso(start),
            "EndTime": _iso(end),
            "KpiResult": {"Rows": result_rows},
        }
        if campaign_id is not None:
            response["CampaignId"] = campaign_id
        return response

    @staticmethod
    def _row(kpi: MessageKpi, row: Mapping[str, Any], grouped: bool) -> dict[str, Any]:
        numerator = int(row.get("numerator") or 0)
        if kpi.denominator:
            denominator = int(row.get("denominator") or 0)
            value: dict[str, str] = {
                "Key": kpi.key,
                "Type": "Double",
                "Value": str(numerator / denominator if denominator else 0.0),
            }
        else:
            value = {"Key": kpi.key, "Type": "Long", "Value": str(numerator)}
        groups = [{"Key": "Date", "Type": "String", "Value": str(row["day"])}] if grouped else []
        return {"GroupedBys": groups, "Values": [value]}
