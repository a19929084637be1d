"""The cost model's arithmetic: itemised lines that sum to the totals, costs that grow
with every input, Pinpoint's meters with their free allowances, and the price list."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.cost import PriceList, Workload, estimate
from clarion.resources import read_json
from clarion.services.cost import PRICES_RESOURCE, CostService

PRICES = PriceList.from_json(read_json(PRICES_RESOURCE))
FIELDS = (
    "endpoints",
    "emails_per_endpoint",
    "sms_per_endpoint",
    "push_per_endpoint",
    "events_per_endpoint",
)
counts = st.integers(min_value=0, max_value=50_000_000)
rates = st.floats(min_value=0, max_value=60, allow_nan=False, allow_infinity=False)
workloads = st.builds(
    Workload,
    endpoints=counts,
    emails_per_endpoint=rates,
    sms_per_endpoint=rates,
    push_per_endpoint=rates,
    events_per_endpoint=rates,
)


@settings(max_examples=300)
@given(workloads)
def test_the_lines_sum_to_each_total(workload: Workload) -> None:
    result = estimate(workload, PRICES)

    assert math.isclose(
        result.clarion_total, sum(line.cost for line in result.clarion), rel_tol=1e-9
    )
    assert math.isclose(
        result.pinpoint_total, sum(line.cost for line in result.pinpoint), rel_tol=1e-9
    )
    for line in (*result.clarion, *result.pinpoint):
        assert line.cost >= 0
        assert math.isclose(line.cost, line.quantity * line.unit_price)
    document = result.to_json()
    assert math.isclose(
        document["Clarion"]["Total"], sum(line["Cost"] for line in document["Clarion"]["Lines"])
    )


@settings(max_examples=300)
@given(workloads, st.sampled_from(FIELDS), st.floats(min_value=0, max_value=1e6))
def test_cost_never_falls_when_an_input_grows(workload: Workload, name: str, more: float) -> None:
    current = getattr(workload, name)
    grown = Workload(
        **{
            **{f: getattr(workload, f) for f in FIELDS},
            name: current + (math.ceil(more) if name == "endpoints" else more),
        }
    )

    before, after = estimate(workload, PRICES), estimate(grown, PRICES)

    assert after.clarion_total >= before.clarion_total - 1e-9 * max(1.0, before.clarion_total)
    assert after.pinpoint_total >= before.pinpoint_total - 1e-9 * max(1.0, before.pinpoint_total)


def test_the_issue_workload_against_pinpoints_published_meters() -> None:
    result = CostService().estimate(1_000_000, emails_per_month=4, events_per_month=20)
    pinpoint = {line.item: line for line in result.pinpoint}

    # 995,000 targeted endpoints after the 5,000 free at $0.0012; 20M events inside the
    # 100M free; 4M emails at $1 per 10,000.
    assert pinpoint["monthly targeted endpoints (after the free ones)"].cost == pytest.approx(1194)
    assert pinpoint["events (after the free ones)"].cost == 0
    assert pinpoint["emails"].cost == pytest.approx(400)
    assert result.pinpoint_total == pytest.approx(1594)
    clarion = {(line.service, line.item): line for line in result.clarion}
    assert clarion[("SES", "emails")].cost == pytest.approx(400)
    assert clarion[("Kinesis", "on-demand stream")].quantity == 730
    assert result.ratio is not None and 0 < result.ratio < 1


def test_nothing_sent_is_no_targeted_audience() -> None:
    result = estimate(Workload(1_000_000, events_per_endpoint=200), PRICES)

    (targeted, events, *_) = result.pinpoint
    assert targeted.quantity == 0
    assert events.quantity == 100_000_000  # 200M events, the first 100M free
    assert result.pinpoint_total == pytest.approx(100)


def test_the_price_list_is_dated_and_complete() -> None:
    data = read_json(PRICES_RESOURCE)

    assert PRICES.priced_on == date.fromisoformat(data["priced_on"])
    assert PRICES.region == "us-east-1"
    assert set(PRICES.aws) == set(data["aws"])
    assert set(PRICES.pinpoint) == set(data["pinpoint"])
    # SMS goes through End User Messaging in both: one price.
    assert PRICES.aws["sms_message"] == PRICES.pinpoint["sms_message"]


def test_a_broken_price_list_names_each_field() -> None:
    data: dict[str, Any] = {
        "priced_on": "last week",
        "aws": {**read_json(PRICES_RESOURCE)["aws"], "ses_email": -1},
        "pinpoint": {
            k: v for k, v in read_json(PRICES_RESOURCE)["pinpoint"].items() if k != "email"
        },
    }

    with pytest.raises(InvalidRecordError) as caught:
        PriceList.from_json(data)

    assert {p.field for p in caught.value.problems} == {
        "priced_on",
        "aws.ses_email",
        "pinpoint.email",
    }


@pytest.mark.parametrize("name", FIELDS)
def test_a_negative_or_infinite_input_is_refused_by_name(name: str) -> None:
    for bad in (-1, math.inf):
        with pytest.raises(InvalidRecordError, match=name):
            Workload(**{"endpoints": 10, name: bad})
