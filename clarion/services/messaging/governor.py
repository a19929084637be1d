"""The one message governor: before a campaign, a journey or a social trigger sends to
an endpoint, it asks here, and the project's caps (``ApplicationSettings`` Limits and
JourneyLimits, rules in :mod:`clarion.domain.messaging.governor`) count every message
the person gets from all of them together. A message over a cap is not sent: the caller
records it with the cap's reason (``SKIPPED_PROJECT_DAILY_CAP`` and kin), never drops it
silently. Transactional sends (SendMessages, SendUsersMessages) are exempt unless the
deployment says otherwise (``CLARION_GOVERN_TRANSACTIONAL``).

The journeys engine calls :meth:`MessageGovernor.admit` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from clarion.domain.messaging.governor import GovernorCaps
from clarion.domain.messaging.ledger import Reason, cap_day
from clarion.ports.messaging import MessageCounts


class MessageGovernor:
    """The project's per-endpoint caps across every send path (module docstring).

    Parameters
    ----------
    counts
        The per-endpoint counts.
    settings
        The project's ApplicationSettingsResource, read when asked (settings change).
    app_id
        The project.
    governs_transactional
        Whether transactional sends count and are capped too.
    """

    def __init__(
        self,
        counts: MessageCounts,
        settings: Callable[[], Mapping[str, Any]],
        app_id: str,
        *,
        governs_transactional: bool = False,
    ) -> None:
        self._counts = counts
        self._settings = settings
        self._app_id = app_id
        self.governs_transactional = governs_transactional

    def caps(self) -> GovernorCaps:
        return GovernorCaps.from_settings(self._settings())

    def admit(self, endpoint_ids: Sequence[str], now: datetime) -> dict[str, Reason | None]:
        """Count one message for each endpoint that every cap allows (None) and name the
        cap of each that one would break; with no caps set, every endpoint is admitted
        and nothing is counted."""
        caps = self.caps()
        if not caps.any:
            return dict.fromkeys(endpoint_ids)
        return self._counts.admit(self._app_id, endpoint_ids, caps, cap_day(now))
