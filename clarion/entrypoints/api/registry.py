"""Which operation each function answers, and why the others are not offered.

An operation module (``clarion/entrypoints/api/operations/<feature>.py``) registers a
small function per operation with :func:`operation`; the function takes the
:class:`~clarion.entrypoints.api.context.Call` (the request's members, by their names in
the model) and returns the output payload as a dict (or None for an operation without
a body), from one service call. Every other operation of the model must be listed in
:data:`NOT_OFFERED` with the reason it gives callers, so that a new botocore model with
an operation nobody looked at fails the tests instead of answering silently.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from clarion.entrypoints.api.model import operation_specs

if TYPE_CHECKING:
    from clarion.entrypoints.api.context import Call

Handler = Callable[["Call"], Any]

OPERATION_MODULES = (
    "apps",
    "settings",
    "channels",
    "endpoints",
    "segments",
    "jobs",
    "templates",
    "campaigns",
    "messages",
    "events",
    "analytics",
    "inapp",
    "tags",
)

_JOURNEYS = "journeys are not offered yet: they come with Clarion's journeys engine"
_RECOMMENDERS = (
    "recommender models (Amazon Personalize) are not part of Clarion: put the model's "
    "output on endpoints as attributes or metrics instead"
)
_BAIDU = "Baidu push is not delivered by Clarion (no delivery service remains for it)"
_OTP = (
    "one-time passwords live on in AWS End User Messaging SMS (pinpoint-sms-voice-v2 "
    "SendTextMessage and its verified destinations), not in Clarion"
)

NOT_OFFERED: dict[str, str] = {
    "CreateJourney": _JOURNEYS,
    "DeleteJourney": _JOURNEYS,
    "GetJourney": _JOURNEYS,
    "ListJourneys": _JOURNEYS,
    "UpdateJourney": _JOURNEYS,
    "UpdateJourneyState": _JOURNEYS,
    "GetJourneyDateRangeKpi": _JOURNEYS,
    "GetJourneyExecutionActivityMetrics": _JOURNEYS,
    "GetJourneyExecutionMetrics": _JOURNEYS,
    "GetJourneyRunExecutionActivityMetrics": _JOURNEYS,
    "GetJourneyRunExecutionMetrics": _JOURNEYS,
    "GetJourneyRuns": _JOURNEYS,
    "CreateRecommenderConfiguration": _RECOMMENDERS,
    "DeleteRecommenderConfiguration": _RECOMMENDERS,
    "GetRecommenderConfiguration": _RECOMMENDERS,
    "GetRecommenderConfigurations": _RECOMMENDERS,
    "UpdateRecommenderConfiguration": _RECOMMENDERS,
    "GetBaiduChannel": _BAIDU,
    "UpdateBaiduChannel": _BAIDU,
    "DeleteBaiduChannel": _BAIDU,
    "SendOTPMessage": _OTP,
    "VerifyOTPMessage": _OTP,
    "PhoneNumberValidate": (
        "phone number validation lives on in AWS End User Messaging; Clarion checks "
        "E.164 form when endpoints are written"
    ),
}

_HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the answer to operation ``name``.

    Raises
    ------
    ValueError
        When the model has no such operation, or it is registered twice.
    """

    def register(function: Handler) -> Handler:
        if name not in operation_specs():
            raise ValueError(f"{name} is not an operation of the pinpoint model")
        if name in _HANDLERS:
            raise ValueError(f"{name} is registered twice")
        _HANDLERS[name] = function
        return function

    return register


@cache
def handlers() -> dict[str, Handler]:
    """Every registered operation (the operation modules imported once)."""
    for module in OPERATION_MODULES:
        importlib.import_module(f"clarion.entrypoints.api.operations.{module}")
    return dict(_HANDLERS)


@dataclass(frozen=True, slots=True)
class OperationStatus:
    """One row of the operations table."""

    name: str
    method: str
    uri: str
    offered: bool
    note: str


def operation_table() -> list[OperationStatus]:
    """Every operation of the model, offered or with the reason it is not.

    Raises
    ------
    LookupError
        For an operation neither registered nor listed in NOT_OFFERED.
    """
    offered = handlers()
    rows = []
    for name, spec in sorted(operation_specs().items()):
        if name in offered:
            doc = (offered[name].__doc__ or "").strip().splitlines()
            rows.append(OperationStatus(name, spec.method, spec.uri, True, doc[0] if doc else ""))
        elif name in NOT_OFFERED:
            rows.append(OperationStatus(name, spec.method, spec.uri, False, NOT_OFFERED[name]))
        else:
            raise LookupError(f"{name} is neither offered nor listed in NOT_OFFERED")
    return rows
