"""Deterministic holdout and treatment assignment per (campaign, endpoint).

A hash gives a bucket 0..9999; the holdout takes the first ``HoldoutPercent`` buckets,
each additional treatment the next ``SizePercent``, and the base treatment (id ``"0"``)
the rest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from clarion.domain.campaigns.model import BASE_TREATMENT_ID, BUCKETS, CampaignResponse

# -- assignment -----------------------------------------------------------------------


def bucket(campaign_id: str, endpoint_id: str) -> int:
    """The endpoint's bucket 0..9999 for this campaign: stable across runs and
    processes (a hash, not Python's salted ``hash``)."""
    digest = hashlib.blake2b(f"{campaign_id}\x1f{endpoint_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one endpoint falls: the holdout, or a treatment."""

    holdout: bool
    treatment_id: str | None


class Assigner:
    """Precomputed bucket boundaries for one campaign (assignment in a loop)."""

    __slots__ = ("_bounds", "_campaign_id", "_holdout_end")

    def __init__(
        self, campaign_id: str, holdout_percent: int, treatments: Sequence[tuple[str, int]]
    ) -> None:
        self._campaign_id = campaign_id
        self._holdout_end = holdout_percent * (BUCKETS // 100)
        bounds: list[tuple[int, str]] = []
        edge = self._holdout_end
        # Additional treatments first (in request order), the base takes the rest, so
        # the base's share is exactly what the others leave.
        base = [t for t in treatments if t[0] == BASE_TREATMENT_ID]
        for treatment_id, size in [t for t in treatments if t[0] != BASE_TREATMENT_ID]:
            edge += size * (BUCKETS // 100)
            bounds.append((edge, treatment_id))
        if base:
            bounds.append((BUCKETS, BASE_TREATMENT_ID))
        self._bounds = bounds

    def assign(self, endpoint_id: str) -> Assignment:
        value = bucket(self._campaign_id, endpoint_id)
        if value < self._holdout_end:
            return Assignment(True, None)
        for edge, treatment_id in self._bounds:
            if value < edge:
                return Assignment(False, treatment_id)
        return Assignment(False, BASE_TREATMENT_ID)


def assigner_for(campaign: CampaignResponse) -> Assigner:
    return Assigner(
        campaign.id,
        campaign.holdout_percent or 0,
        [(t.treatment_id, t.size_percent) for t in campaign.treatments()],
    )


def assign(campaign: CampaignResponse, endpoint_id: str) -> Assignment:
    """Holdout or treatment for one endpoint (see :class:`Assigner` for loops)."""
    return assigner_for(campaign).assign(endpoint_id)
