"""Cost estimates: a workload priced with the price list Clarion ships
(``clarion/resources/pricing/prices.json``) or one given, beside Pinpoint's price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarion.domain.cost.model import (
    DEFAULT_USAGE,
    CostEstimate,
    PriceList,
    UsageProfile,
    Workload,
    estimate,
)
from clarion.resources import read_json

PRICES_RESOURCE = "pricing/prices.json"


class CostService:
    """Estimates Clarion's monthly AWS cost.

    Parameters
    ----------
    prices
        A price list (the ``prices.json`` shape); the shipped one when None.
    usage
        What Clarion uses per unit of work (docs/cost.md).
    """

    def __init__(
        self, prices: Mapping[str, Any] | None = None, usage: UsageProfile = DEFAULT_USAGE
    ) -> None:
        self._prices = prices
        self._usage = usage

    def prices(self) -> PriceList:
        """The price list in use. Raises InvalidRecordError for a broken one."""
        return PriceList.from_json(
            self._prices if self._prices is not None else read_json(PRICES_RESOURCE)
        )

    def estimate(
        self,
        endpoints: int,
        *,
        emails_per_month: float = 0.0,
        sms_per_month: float = 0.0,
        push_per_month: float = 0.0,
        events_per_month: float = 0.0,
    ) -> CostEstimate:
        """The month of ``endpoints`` receiving, each, the given messages and recording
        the given events, on Clarion and on Pinpoint.

        Raises
        ------
        InvalidRecordError
            A figure is negative or not finite (named by field).
        """
        workload = Workload(
            endpoints,
            emails_per_endpoint=emails_per_month,
            sms_per_endpoint=sms_per_month,
            push_per_endpoint=push_per_month,
            events_per_endpoint=events_per_month,
        )
        return estimate(workload, self.prices(), self._usage)
