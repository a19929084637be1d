"""Conversion goals: stored per campaign or for the project, versioned, and resolved for
a campaign (its own goals, else the project's, else the built-in default)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clarion.domain.analytics.goals import (
    DEFAULT_GOALS,
    PROJECT_SCOPE,
    ConversionGoals,
    campaign_scope,
    validate_goals,
)
from clarion.domain.common.errors import NotFoundError
from clarion.ports.analytics import ConversionGoalStore

DEFAULT_SCOPE = "default"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ResolvedGoals:
    """The goals that apply to a campaign and where they came from: ``campaign:<id>``,
    ``project`` or ``default`` (nothing stored), with the stored version."""

    scope: str
    version: int | None
    goals: ConversionGoals


class GoalService:
    """Conversion goals over a ConversionGoalStore."""

    def __init__(self, store: ConversionGoalStore, *, clock: Callable[[], datetime] = _now) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def scope_of(campaign_id: str | None) -> str:
        """``campaign:<id>``, or ``project`` without a campaign."""
        return campaign_scope(campaign_id) if campaign_id else PROJECT_SCOPE

    @staticmethod
    def check_goals(body: Mapping[str, Any]) -> ConversionGoals:
        """The goals of ``body``, validated. Raises InvalidRecordError."""
        return validate_goals(body)

    def put_goals(self, body: Mapping[str, Any], campaign_id: str | None = None) -> dict[str, Any]:
        """Store ``body`` (``{"Goals": [...]}``) as the campaign's goals (or the project's
        default) in a new version; returns the stored document.

        Raises
        ------
        InvalidRecordError
            The goals break a rule (each problem names its field, such as
            ``Goals[0].AttributionWindow``).
        """
        goals = validate_goals(body)
        scope = self.scope_of(campaign_id)
        try:
            version = int(self._store.get_goals(scope)["Version"]) + 1
        except NotFoundError:
            version = 1
        stamp = self._clock().astimezone(UTC).isoformat(timespec="milliseconds")
        document = {
            "Scope": scope,
            "Version": version,
            "LastModifiedDate": stamp.replace("+00:00", "Z"),
            **goals.to_pinpoint(),
        }
        self._store.save_goals(document)
        return document

    def get_goals(self, campaign_id: str | None = None, version: int | None = None) -> dict:
        """The stored goals document of the campaign (or the project). Raises
        NotFoundError."""
        return self._store.get_goals(self.scope_of(campaign_id), version)

    def list_goals(self) -> list[dict[str, Any]]:
        """The latest goals of every scope that has some."""
        return self._store.list_goals()

    def resolve(self, campaign_id: str | None) -> ResolvedGoals:
        """The goals that measure ``campaign_id`` (or, without one, the project's
        default): the campaign's own, else the project's, else the built-in default."""
        scopes = (campaign_scope(campaign_id), PROJECT_SCOPE) if campaign_id else (PROJECT_SCOPE,)
        for scope in scopes:
            try:
                document = self._store.get_goals(scope)
            except NotFoundError:
                continue
            return ResolvedGoals(scope, int(document["Version"]), validate_goals(document))
        return ResolvedGoals(DEFAULT_SCOPE, None, DEFAULT_GOALS)
