"""Journey use cases: definitions and lifecycle in Pinpoint's operations, the engine that
admits and moves participants (one send seam for every message), the tick (locally in
process; on AWS as a state machine's steps), events into journeys, metrics and explain.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.journeys.engine import (
        BatchMembership,
        BatchReport,
        JourneyAudience,
        JourneyEngine,
    )
    from clarion.services.journeys.reports import KPI_NAMES, JourneyReports
    from clarion.services.journeys.sending import (
        JourneyMessages,
        PreparedMessages,
        SendGovernor,
    )
    from clarion.services.journeys.service import JourneyService
    from clarion.services.journeys.tick_steps import JourneyTickSteps, ProjectsTickSteps
    from clarion.services.journeys.ticks import JourneyTicker, PendingEntry, TickPlan
    from clarion.services.journeys.trigger import JourneyEventTrigger

_HOMES: dict[str, str] = {
    "BatchMembership": "clarion.services.journeys.engine",
    "BatchReport": "clarion.services.journeys.engine",
    "JourneyAudience": "clarion.services.journeys.engine",
    "JourneyEngine": "clarion.services.journeys.engine",
    "JourneyEventTrigger": "clarion.services.journeys.trigger",
    "JourneyMessages": "clarion.services.journeys.sending",
    "JourneyReports": "clarion.services.journeys.reports",
    "JourneyService": "clarion.services.journeys.service",
    "JourneyTickSteps": "clarion.services.journeys.tick_steps",
    "JourneyTicker": "clarion.services.journeys.ticks",
    "KPI_NAMES": "clarion.services.journeys.reports",
    "PendingEntry": "clarion.services.journeys.ticks",
    "PreparedMessages": "clarion.services.journeys.sending",
    "ProjectsTickSteps": "clarion.services.journeys.tick_steps",
    "SendGovernor": "clarion.services.journeys.sending",
    "TickPlan": "clarion.services.journeys.ticks",
}

__all__ = [
    "KPI_NAMES",
    "BatchMembership",
    "BatchReport",
    "JourneyAudience",
    "JourneyEngine",
    "JourneyEventTrigger",
    "JourneyMessages",
    "JourneyReports",
    "JourneyService",
    "JourneyTickSteps",
    "JourneyTicker",
    "PendingEntry",
    "PreparedMessages",
    "ProjectsTickSteps",
    "SendGovernor",
    "TickPlan",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
