"""The user's definition of churn: which events count as activity, the label window and
the population window.

For a cut-off ``c``, an endpoint is in the population when it had an activity event in
the ``active_days`` before ``c`` (and was created before ``c``); it is **churned** when
it has no activity event in ``[c, c + label_days)``. A shop with purchases only says
``activity_events=("_monetization.purchase",)``; an app, ``("_session.start",)``; any
custom event list works. The definition is recorded with every model, and a model is
never scored with another one (:func:`require_same_definition`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_LABEL_DAYS = 28
DEFAULT_ACTIVE_DAYS = 90
DEFAULT_ACTIVITY_EVENTS: tuple[str, ...] = ("_session.start", "_monetization.purchase")
MIN_LOOKBACK_DAYS = 365
"""Features look back this far at least (and as far as the population window)."""
MAX_WINDOW_DAYS = 3_650


class DefinitionMismatchError(ValueError):
    """A model asked to score with a definition of churn other than its own."""


def parse_event_list(text: str) -> tuple[str, ...]:
    """``a,b`` as ``("a", "b")`` (blanks around names dropped, order kept, no repeats)."""
    names: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return tuple(names)


@dataclass(frozen=True, slots=True)
class ChurnDefinition:
    """What churn means for this business.

    Parameters
    ----------
    label_days
        The window after a cut-off in which no activity event means churned.
    active_days
        Only endpoints with an activity event in these days before the cut-off are in
        the population (those already gone are not "at risk").
    activity_events
        The event types that count as activity (Pinpoint event types, custom ones too).
    """

    label_days: int = DEFAULT_LABEL_DAYS
    active_days: int = DEFAULT_ACTIVE_DAYS
    activity_events: tuple[str, ...] = DEFAULT_ACTIVITY_EVENTS

    def __post_init__(self) -> None:
        for name in ("label_days", "active_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number of days, not {value!r}")
            if not 1 <= value <= MAX_WINDOW_DAYS:
                raise ValueError(f"{name} must be 1 to {MAX_WINDOW_DAYS} days, not {value}")
        if isinstance(self.activity_events, str):
            raise ValueError("activity_events must be a list of event types, not one string")
        events = tuple(self.activity_events)
        if not events:
            raise ValueError("activity_events must name at least one event type")
        for event in events:
            if not isinstance(event, str) or not event.strip():
                raise ValueError(f"activity_events: {event!r} is not an event type")
            if "," in event or "'" in event or len(event) > 100:
                raise ValueError(
                    f"activity_events: {event!r} is not an event type (no commas or quotes, "
                    "at most 100 characters)"
                )
        if len(set(events)) != len(events):
            raise ValueError("activity_events names an event type twice")
        object.__setattr__(self, "activity_events", events)

    @property
    def lookback_days(self) -> int:
        """How far back features look: a year, or the population window if longer."""
        return max(MIN_LOOKBACK_DAYS, self.active_days)

    def sql_parameters(self) -> dict[str, Any]:
        """The definition's parameters of the features SQL: the windows, and the activity
        events as one ``,a,b,`` string (matched with ``strpos``, on Athena and DuckDB)."""
        return {
            "label_days": self.label_days,
            "active_days": self.active_days,
            "lookback_days": self.lookback_days,
            "activity_events": "," + ",".join(self.activity_events) + ",",
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "label_days": self.label_days,
            "active_days": self.active_days,
            "activity_events": list(self.activity_events),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ChurnDefinition:
        """From :meth:`to_json`; ``None`` (a model recorded before definitions were
        recorded) is the default definition, the one it was trained with."""
        if not data:
            return cls()
        events = data.get("activity_events", DEFAULT_ACTIVITY_EVENTS)
        if isinstance(events, str):
            events = parse_event_list(events)
        return cls(
            int(data.get("label_days", DEFAULT_LABEL_DAYS)),
            int(data.get("active_days", DEFAULT_ACTIVE_DAYS)),
            tuple(str(e) for e in events),
        )

    def with_overrides(
        self,
        label_days: int | None = None,
        active_days: int | None = None,
        activity_events: Iterable[str] | None = None,
    ) -> ChurnDefinition:
        """This definition with the given parts replaced."""
        return ChurnDefinition(
            self.label_days if label_days is None else label_days,
            self.active_days if active_days is None else active_days,
            self.activity_events if activity_events is None else tuple(activity_events),
        )

    def describe(self) -> str:
        """In words, for messages and the report."""
        return (
            f"no {' or '.join(self.activity_events)} in {self.label_days} days, among "
            f"endpoints with one in the {self.active_days} days before"
        )

    def options(self) -> str:
        """The CLI options that give this definition."""
        return (
            f"--label-days {self.label_days} --active-days {self.active_days} "
            f"--activity-events {','.join(self.activity_events)}"
        )


def require_same_definition(model_id: str, model: ChurnDefinition, asked: ChurnDefinition) -> None:
    """Refuse to score with a definition other than the model's own.

    Raises
    ------
    DefinitionMismatchError
        Naming both definitions and the options that give the model's.
    """
    if model != asked:
        raise DefinitionMismatchError(
            f"model {model_id} defines churn as {model.describe()}; this run asks for "
            f"{asked.describe()}. Score with the model's own definition "
            f"({model.options()}) or train a model for this one."
        )
