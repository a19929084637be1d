"""Pinpoint's date-range KPIs and Clarion's conversion KPIs beside them: values on a small
hand-checked campaign, and every response checked against botocore's ``pinpoint`` model
(the Stubber validates a response against the operation's output shape, as a real
client parses it).

Campaign C1 on 2026-03-02 (T = 09:00 UTC): m1 to e1 and m2 to e2 sent and delivered, m1
opened; e3 held out. Run R1. e1 buys 2 x 10.00 on 2026-03-03 and e3 (held out) 5.00 on
2026-03-04; e2 buys 7.50 in the project on 2026-03-10, outside the campaign's window.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery
from clarion.adapters.local.analytics.goal_store import DuckDBConversionGoalStore
from clarion.adapters.local.campaigns.campaign_repository import DuckDBCampaignRepository
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.event_sink import DuckDBEventStore
from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.domain.common.intervals import difference_of_proportions
from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
from clarion.services.analytics import (
    APPLICATION_KPIS,
    CAMPAIGN_KPIS,
    ConversionService,
    GoalService,
    KpiService,
)

T = 1_772_442_000_000
DAY = 86_400_000
APP = "app-1"
RANGE = ("2026-03-01T00:00:00Z", "2026-03-31T23:59:59Z")


def _record(kind: str, endpoint: str, at: int, attributes: dict, metrics: dict | None = None):
    return {
        "event_type": kind,
        "event_timestamp": at,
        "arrival_timestamp": at,
        "application": {"app_id": APP},
        "client": {"client_id": endpoint},
        "attributes": attributes,
        "metrics": metrics or {},
    }


def _campaign(endpoint: str, kind: str, message: str | None, **extra: str) -> dict[str, Any]:
    attributes = {"campaign_id": "C1", "treatment_id": "0", "run_id": "R1", **extra}
    if message:
        attributes["message_id"] = message
    return _record(kind, endpoint, T, attributes)


def records() -> list[dict[str, Any]]:
    return [
        _campaign("e1", "_campaign.send", "m1", campaign_send_status="SUCCESS"),
        _campaign("e2", "_campaign.send", "m2", campaign_send_status="SUCCESS"),
        _campaign("e3", "_campaign.send", None, campaign_send_status="HOLDOUT"),
        _campaign("e1", "_email.send", "m1"),
        _campaign("e2", "_email.send", "m2"),
        _campaign("e1", "_email.delivered", "m1"),
        _campaign("e2", "_email.delivered", "m2"),
        _campaign("e1", "_email.open", "m1"),
        _record("_monetization.purchase", "e1", T + DAY, {}, {"_item_price": 10.0, "_quantity": 2}),
        _record("_monetization.purchase", "e3", T + 2 * DAY, {}, {"_item_price": 5.0}),
        _record("_monetization.purchase", "e2", T + 8 * DAY, {"_currency": "USD"},
                {"_item_price": 7.5}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def kpis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KpiService]:
    database = LocalDatabase(Path(tmp_path_factory.mktemp("kpis")) / "home")
    DuckDBEventStore(database).put_records(normalise_pinpoint_records(records()).records)
    campaigns = DuckDBCampaignRepository(database)
    campaigns.save_campaign({"Id": "C1", "Version": 1, "Name": "c1"})
    query = DuckDBAnalyticsQuery(database)
    goals = GoalService(DuckDBConversionGoalStore(database))
    yield KpiService(query, ConversionService(query, goals, campaigns), goals, campaigns)
    database.close()


def _values(response: dict[str, Any]) -> list[tuple[list[str], dict[str, float]]]:
    return [
        (
            [g["Value"] for g in row["GroupedBys"]],
            {v["Key"]: float(v["Value"]) for v in row["Values"]},
        )
        for row in response["KpiResult"]["Rows"]
    ]


def _campaign_kpi(kpis: KpiService, name: str, *period: str) -> dict[str, Any]:
    return kpis.campaign_date_range_kpi(APP, "C1", name, *(period or RANGE))


def test_pinpoints_campaign_kpis(kpis: KpiService) -> None:
    assert _values(_campaign_kpi(kpis, "unique-deliveries")) == [([], {"UniqueDeliveries": 2.0})]
    assert _values(_campaign_kpi(kpis, "successful-delivery-rate")) == [
        ([], {"SuccessfulDeliveryRate": 100.0})  # a percentage, as Pinpoint gave it
    ]
    assert _values(_campaign_kpi(kpis, "email-open-rate-grouped-by-campaign-activity")) == [
        (["R1"], {"EmailOpenRate": 50.0})
    ]
    assert _values(_campaign_kpi(kpis, "unique-deliveries-grouped-by-date")) == [
        (["2026-03-02"], {"UniqueDeliveries": 2.0})
    ]
    assert _values(_campaign_kpi(kpis, "attempted-deliveries-grouped-by-campaign-activity")) == [
        (["R1"], {"AttemptedDeliveries": 2.0})
    ]
    # Nothing in the range: no rows, as Pinpoint answers a null metric.
    empty = _campaign_kpi(kpis, "unique-deliveries", "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z")
    assert empty["KpiResult"] == {"Rows": []}


def test_clarions_conversion_kpis_beside_them(kpis: KpiService) -> None:
    assert _values(_campaign_kpi(kpis, "conversions")) == [([], {"Conversions": 1.0})]
    assert _values(_campaign_kpi(kpis, "conversion-revenue")) == [([], {"ConversionRevenue": 20.0})]
    assert _values(_campaign_kpi(kpis, "conversion-rate")) == [([], {"ConversionRate": 50.0})]
    assert _values(_campaign_kpi(kpis, "conversions-grouped-by-date")) == [
        (["2026-03-03"], {"Conversions": 1.0})
    ]
    # Only the conversions inside the range count.
    before = _campaign_kpi(kpis, "conversions", "2026-03-01T00:00:00Z", "2026-03-02T23:59:59Z")
    assert _values(before) == [([], {"Conversions": 0.0})]
    (([], lift),) = _values(_campaign_kpi(kpis, "conversion-lift"))
    expected = difference_of_proportions(1, 2, 1, 1)
    assert lift == pytest.approx(
        {
            "ConversionLift": expected.difference * 100,
            "ConversionLiftLow": expected.low * 100,
            "ConversionLiftHigh": expected.high * 100,
        }
    )


def test_the_projects_kpis(kpis: KpiService) -> None:
    def values(name: str) -> list[tuple[list[str], dict[str, float]]]:
        return _values(kpis.application_date_range_kpi(APP, name, *RANGE))

    assert values("unique-deliveries-grouped-by-campaign") == [(["C1"], {"UniqueDeliveries": 2.0})]
    assert values("conversions-grouped-by-campaign") == [(["C1"], {"Conversions": 1.0})]
    assert values("purchases") == [([], {"Purchases": 3.0})]
    assert values("revenue") == [([], {"Revenue": 32.5})]
    assert values("units-sold") == [([], {"UnitsSold": 4.0})]
    assert values("paying-endpoints") == [([], {"PayingEndpoints": 3.0})]
    assert [g for g, _ in values("revenue-grouped-by-date")] == [
        ["2026-03-03"],
        ["2026-03-04"],
        ["2026-03-10"],
    ]


@pytest.mark.parametrize(
    "name",
    [
        "unique-deliveries",
        "email-open-rate-grouped-by-campaign-activity",
        "conversions",
        "conversions-grouped-by-date",
        "incremental-revenue",
        "conversion-rate-grouped-by-campaign-activity",
    ],
)
def test_campaign_responses_are_what_a_pinpoint_client_parses(kpis: KpiService, name: str) -> None:
    response = _campaign_kpi(kpis, name)
    client = boto3.client(
        "pinpoint", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "get_campaign_date_range_kpi",
            {"CampaignDateRangeKpiResponse": response},
            {"ApplicationId": APP, "CampaignId": "C1", "KpiName": name},
        )
        parsed = client.get_campaign_date_range_kpi(
            ApplicationId=APP, CampaignId="C1", KpiName=name
        )
    assert parsed["CampaignDateRangeKpiResponse"]["KpiName"] == name
    assert response["KpiResult"]["Rows"], name


@pytest.mark.parametrize("name", ["successful-delivery-rate-grouped-by-date", "revenue"])
def test_application_responses_are_what_a_pinpoint_client_parses(
    kpis: KpiService, name: str
) -> None:
    response = kpis.application_date_range_kpi(APP, name, *RANGE)
    client = boto3.client(
        "pinpoint", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "get_application_date_range_kpi",
            {"ApplicationDateRangeKpiResponse": response},
            {"ApplicationId": APP, "KpiName": name},
        )
        client.get_application_date_range_kpi(ApplicationId=APP, KpiName=name)
    assert response["KpiResult"]["Rows"]


def test_names_keep_pinpoints_style() -> None:
    import re

    for name in {*CAMPAIGN_KPIS, *APPLICATION_KPIS}:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+|[a-z]+", name), name
        assert ("grouped-by" in name) == (
            (CAMPAIGN_KPIS.get(name) or APPLICATION_KPIS[name]).grouped_by is not None
        ), name
    for pinpoint in ("successful-delivery-rate", "unique-deliveries", "email-open-rate"):
        assert pinpoint in CAMPAIGN_KPIS and pinpoint in APPLICATION_KPIS


def test_bad_requests_name_the_field(kpis: KpiService) -> None:
    with pytest.raises(InvalidRecordError) as unknown:
        _campaign_kpi(kpis, "push-open-rate")
    assert unknown.value.problems[0].field == "KpiName"
    with pytest.raises(InvalidRecordError) as backwards:
        _campaign_kpi(kpis, "conversions", "2026-03-05T00:00:00Z", "2026-03-01T00:00:00Z")
    assert backwards.value.problems[0].field == "StartTime"
    with pytest.raises(InvalidRecordError, match="EndTime"):
        _campaign_kpi(kpis, "conversions", "2026-03-05T00:00:00Z", "yesterday")
    with pytest.raises(NotFoundError):
        kpis.campaign_date_range_kpi(APP, "nope", "conversions", *RANGE)


def test_the_default_range_is_the_31_days_before_now(kpis: KpiService) -> None:
    response = kpis.campaign_date_range_kpi(APP, "C1", "conversions")

    start = response["StartTime"]
    end = response["EndTime"]
    from datetime import datetime

    span = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(
        start.replace("Z", "+00:00")
    )
    assert span.days == 31
