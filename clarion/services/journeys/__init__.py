"""Journey use cases: definitions and lifecycle in Pinpoint's operations, the engine that
admits and moves participants (one send seam for every message), the tick (locally in
process; on AWS as a state machine's steps), events into journeys, metrics and explain."""

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
