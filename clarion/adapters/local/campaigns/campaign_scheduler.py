"""Campaign schedules in DuckDB: the local CampaignScheduler.

One row per scheduled campaign: its Schedule, whether it is paused, and the next run
(``run_time_ms``, the run's nominal time) with the moment it is due (``due_ms``: the run
time, or with IsLocalTime the moment that wall-clock time arrives in UTC+14, as on AWS;
:func:`clarion.domain.campaigns.schedule_expressions.local_time_lead`). Nothing fires by itself:
``clarion campaigns tick`` (run it from cron, every few minutes) runs every due campaign
(``CampaignService.tick``), the local equivalent of EventBridge Scheduler firing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.campaigns.model import (
    IMMEDIATE,
    CampaignResponse,
    Frequency,
    Schedule,
)
from clarion.domain.campaigns.schedule import next_run_time, run_times
from clarion.domain.campaigns.schedule_expressions import local_time_lead, schedule_name
from clarion.domain.messaging.ledger import from_ms, to_ms

# Runs a tick may pass over when it comes late (an hourly campaign a year late).
_MAX_MISSED = 10_000


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS campaign_schedules ("
        "campaign_id VARCHAR PRIMARY KEY, schedule VARCHAR NOT NULL, "
        "paused BOOLEAN NOT NULL, run_time_ms BIGINT NOT NULL, due_ms BIGINT NOT NULL)"
    )


@dataclass(frozen=True, slots=True)
class DueRun:
    """A scheduled run whose moment has come: the latest one due (missed earlier runs
    of a late tick are folded into it)."""

    campaign_id: str
    run_time: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DuckDBCampaignScheduler:
    """CampaignScheduler on the embedded database, plus ``due`` and ``mark_ran`` for
    ``CampaignService.tick`` (module docstring)."""

    def __init__(
        self, database: LocalDatabase, *, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._database = database
        self._clock = clock

    def put_schedule(self, campaign: CampaignResponse) -> str | None:
        schedule = campaign.schedule
        now = self._clock()
        run_time = _first_run(schedule, now) if schedule is not None else None
        if schedule is None or run_time is None:
            self.delete_schedule(campaign.id)
            return None
        self._database.cursor().execute(
            "INSERT INTO campaign_schedules VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (campaign_id) DO UPDATE SET schedule = excluded.schedule, "
            "paused = excluded.paused, run_time_ms = excluded.run_time_ms, "
            "due_ms = excluded.due_ms",
            [
                campaign.id,
                schedule.model_dump_json(by_alias=True, exclude_none=True),
                bool(campaign.is_paused),
                to_ms(run_time),
                to_ms(run_time - local_time_lead(schedule)),
            ],
        )
        return schedule_name(campaign.id)

    def delete_schedule(self, campaign_id: str) -> None:
        self._database.cursor().execute(
            "DELETE FROM campaign_schedules WHERE campaign_id = ?", [campaign_id]
        )

    def next_run(self, campaign_id: str) -> datetime | None:
        """The campaign's next scheduled run time, or None when it has none."""
        row = (
            self._database.cursor()
            .execute(
                "SELECT run_time_ms FROM campaign_schedules WHERE campaign_id = ?", [campaign_id]
            )
            .fetchone()
        )
        return from_ms(int(row[0])) if row else None

    def due(self, now: datetime) -> list[DueRun]:
        """The campaigns (not paused) with a run due at ``now``, each with the latest
        run time due (a late tick runs a campaign once, not once per missed run)."""
        rows = (
            self._database.cursor()
            .execute(
                "SELECT campaign_id, schedule, run_time_ms FROM campaign_schedules "
                "WHERE NOT paused AND due_ms <= ? ORDER BY due_ms, campaign_id",
                [to_ms(now)],
            )
            .fetchall()
        )
        found = []
        for campaign_id, text, run_time_ms in rows:
            schedule = Schedule.model_validate_json(text)
            latest = from_ms(int(run_time_ms))
            horizon = now + local_time_lead(schedule)
            after = latest
            for moment in run_times(schedule, now, after=after, limit=_MAX_MISSED):
                if moment > horizon:
                    break
                latest = moment
            found.append(DueRun(str(campaign_id), latest))
        return found

    def mark_ran(self, campaign_id: str, run_time: datetime) -> None:
        """Move the campaign's schedule past ``run_time`` (dropped when it has no later
        run)."""
        row = (
            self._database.cursor()
            .execute("SELECT schedule FROM campaign_schedules WHERE campaign_id = ?", [campaign_id])
            .fetchone()
        )
        if row is None:
            return
        schedule = Schedule.model_validate_json(row[0])
        following = next_run_time(schedule, self._clock(), after=run_time)
        if following is None:
            self.delete_schedule(campaign_id)
            return
        self._database.cursor().execute(
            "UPDATE campaign_schedules SET run_time_ms = ?, due_ms = ? WHERE campaign_id = ?",
            [
                to_ms(following),
                to_ms(following - local_time_lead(schedule)),
                campaign_id,
            ],
        )


def _first_run(schedule: Schedule, now: datetime) -> datetime | None:
    """The schedule's first run after ``now`` (None for EVENT, IMMEDIATE, or when every
    run is past). With IsLocalTime its due moment may already have come: the next tick
    starts it, and the endpoints still before their local time wait for it."""
    frequency = schedule.effective_frequency
    if frequency in (Frequency.EVENT, Frequency.IN_APP_EVENT) or schedule.start_time == IMMEDIATE:
        return None
    return next_run_time(schedule, now, after=now)
