"""Treatment and holdout assignment: deterministic, and in proportion."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.domain.campaigns.assignment import Assigner, bucket
from clarion.domain.campaigns.model import BUCKETS

ids = st.text(min_size=1, max_size=40)


@given(ids, ids)
def test_bucket_is_deterministic_and_in_range(campaign_id: str, endpoint_id: str):
    value = bucket(campaign_id, endpoint_id)
    assert 0 <= value < BUCKETS
    assert bucket(campaign_id, endpoint_id) == value


@st.composite
def shares(draw: st.DrawFn) -> tuple[int, list[int]]:
    holdout = draw(st.integers(0, 40))
    sizes = []
    left = 100 - holdout
    for _ in range(draw(st.integers(0, 4))):
        size = draw(st.integers(0, left))
        sizes.append(size)
        left -= size
    return holdout, sizes


def _reference(value: int, holdout: int, sizes: list[int]) -> str:
    """The rule written out: holdout first, then each treatment, the base the rest."""
    edge = holdout * 100
    if value < edge:
        return "holdout"
    for index, size in enumerate(sizes, start=1):
        edge += size * 100
        if value < edge:
            return str(index)
    return "0"


@settings(max_examples=60, deadline=None)
@given(shares(), st.text(min_size=1, max_size=10))
def test_assignment_matches_the_bucket_rule_and_reruns_agree(
    plan: tuple[int, list[int]], campaign_id: str
):
    holdout, sizes = plan
    treatments = [("0", 100 - holdout - sum(sizes))] + [
        (str(i), s) for i, s in enumerate(sizes, start=1)
    ]
    assigner = Assigner(campaign_id, holdout, treatments)
    # A rerun (a new process) agrees; where the base is listed does not matter.
    again = Assigner(campaign_id, holdout, [*treatments[1:], treatments[0]])
    for n in range(300):
        endpoint_id = f"ep-{n}"
        got = assigner.assign(endpoint_id)
        expected = _reference(bucket(campaign_id, endpoint_id), holdout, sizes)
        assert ("holdout" if got.holdout else got.treatment_id) == expected
        assert again.assign(endpoint_id) == got


@settings(max_examples=8, deadline=None)
@given(shares(), st.text(min_size=1, max_size=10))
def test_proportions_over_many_endpoints(plan: tuple[int, list[int]], campaign_id: str):
    holdout, sizes = plan
    treatments = [("0", 100 - holdout - sum(sizes))] + [
        (str(i), s) for i, s in enumerate(sizes, start=1)
    ]
    assigner = Assigner(campaign_id, holdout, treatments)
    n = 20_000
    counts = Counter(
        "holdout" if (a := assigner.assign(f"endpoint-{i}")).holdout else a.treatment_id
        for i in range(n)
    )
    expected = {"holdout": holdout, **dict(treatments)}
    for key, percent in expected.items():
        share = counts.get(key, 0) / n * 100
        # Binomial: 4 standard deviations at n=20,000 is under 1.5 percentage points.
        assert abs(share - percent) < 1.5, (key, share, percent)
        if percent == 0:
            assert counts.get(key, 0) == 0
