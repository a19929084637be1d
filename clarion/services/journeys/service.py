"""Journeys in Pinpoint's operations: each method takes and returns the bodies of one
Pinpoint API operation, in botocore's shapes, so each API route is one call.

=============================  ===========================================================
Pinpoint operation             method (request → response)
=============================  ===========================================================
CreateJourney                  ``create_journey(WriteJourneyRequest) → JourneyResponse``
GetJourney                     ``get_journey(id) → JourneyResponse``
UpdateJourney                  ``update_journey(id, WriteJourneyRequest) → JourneyResponse``
UpdateJourneyState             ``update_journey_state(id, JourneyStateRequest) → JourneyResponse``
DeleteJourney                  ``delete_journey(id) → JourneyResponse``
ListJourneys                   ``list_journeys(page_size, token) → JourneysResponse``
=============================  ===========================================================

The metrics operations are in :mod:`clarion.services.journeys.reports`. Every method
takes the application (project) id; journeys belong to one, and another application's
journey is not found.

Lifecycle, as Pinpoint's: a journey is created DRAFT (or ACTIVE: published at once);
publishing checks what running needs (activities, StartActivity, StartCondition, its
templates and segments). ACTIVE ↔ PAUSED (paused: no one enters or moves, waits stop);
ACTIVE or PAUSED → CANCELLED (the next tick ends every participant where it is); the tick
makes a journey COMPLETED. The activities, start activity and start condition of a
published journey cannot change; a COMPLETED or CANCELLED journey cannot change at all.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.journeys.conditions import journey_conditions
from clarion.domain.journeys.durations import iso, to_ms
from clarion.domain.journeys.engine import PreparedJourney
from clarion.domain.journeys.graph import graph_problems, publish_problems
from clarion.domain.journeys.model import (
    JourneyResponse,
    JourneyRunStatus,
    JourneyState,
    SegmentCondition,
    WaitTime,
    validate_journey_request,
    validate_journey_response,
)
from clarion.ports.journeys import JourneyRepository, ParticipantStore
from clarion.services.journeys.engine import JourneyAudience, JourneyEngine, utc_now

ARN_PREFIX = "arn:clarion:journeys"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
TEST_OF_TAG = "clarion:test-of"
_WRITABLE_STATES = (JourneyState.DRAFT, JourneyState.ACTIVE)
_LOCKED = ("Activities", "StartActivity", "StartCondition")


def page_size(value: str | int | None) -> int:
    """A PageSize parameter (Pinpoint passes it as a string).

    Raises
    ------
    InvalidRecordError
        For anything but a whole number from 1 to 1000.
    """
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidRecordError(
            [
                FieldProblem(
                    "PageSize", f"{value!r} must be a whole number from 1 to {MAX_PAGE_SIZE}"
                )
            ]
        )
    return size


def encode_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode()


def decode_token(token: str | None, field: str = "Token") -> int:
    """The position a page token stands for. Raises InvalidRecordError for a token this
    service did not give."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, position = text.split(":", 1)
        if prefix != "v1" or int(position) < 0:
            raise ValueError(text)
        return int(position)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRecordError([FieldProblem(field, f"{token!r} is not a page token")]) from None


def page(
    items: list[dict[str, Any]], size: int, token: str | None, field: str = "Token"
) -> tuple[list[dict[str, Any]], str | None]:
    start = decode_token(token, field)
    chunk = items[start : start + size]
    following = start + size
    return chunk, encode_token(following) if following < len(items) else None


class JourneyService:
    """Journeys in Pinpoint's operations (module docstring).

    Parameters
    ----------
    repository, participants
        Journeys, runs and control records; participant state.
    engine
        The engine (publishing compiles the journey's messages through it).
    audience
        Segments: those a journey names must exist.
    app_id
        The default application id (Settings' app_id).
    """

    def __init__(
        self,
        repository: JourneyRepository,
        participants: ParticipantStore,
        engine: JourneyEngine,
        audience: JourneyAudience | None = None,
        *,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._participants = participants
        self.engine = engine
        self._audience = audience
        self.app_id = app_id
        self._clock = clock

    # -- reading ----------------------------------------------------------------------

    def _stored(self, journey_id: str, application_id: str | None) -> JourneyResponse:
        journey = validate_journey_response(self._repository.get_journey(journey_id))
        if journey.application_id != (application_id or self.app_id):
            raise NotFoundError("journey", journey_id)
        return journey

    def get_journey(self, journey_id: str, application_id: str | None = None) -> dict[str, Any]:
        """GetJourney: the JourneyResponse. Raises NotFoundError."""
        return self._stored(journey_id, application_id).to_pinpoint()

    def list_journeys(
        self,
        application_id: str | None = None,
        page_size_value: str | int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """ListJourneys: the application's journeys by id, ``PageSize`` at a time; the
        JourneysResponse (``Item``, and ``NextToken`` while there are more)."""
        app = application_id or self.app_id
        journeys = [
            document
            for document in self._repository.list_journeys()
            if document.get("ApplicationId") == app
        ]
        items, following = page(journeys, page_size(page_size_value), token)
        response: dict[str, Any] = {"Item": items}
        if following:
            response["NextToken"] = following
        return response

    # -- writing ----------------------------------------------------------------------

    def create_journey(
        self, request: Mapping[str, Any], application_id: str | None = None
    ) -> dict[str, Any]:
        """CreateJourney: a WriteJourneyRequest in, the JourneyResponse out (DRAFT, or
        published when the request's State is ACTIVE).

        Raises
        ------
        InvalidRecordError
            A rule is broken (each problem names the activity and field), a segment it
            names does not exist, or (publishing) a template.
        """
        body = validate_journey_request(request)
        state = body.effective_state
        self._check_request_state(state)
        now = self._clock()
        stamp = iso(now)
        app = application_id or self.app_id
        journey_id = uuid.uuid4().hex
        document = {
            **body.to_pinpoint(),
            "Id": journey_id,
            "ApplicationId": app,
            "CreationDate": body.creation_date or stamp,
            "LastModifiedDate": stamp,
            "State": JourneyState.DRAFT.value,
        }
        journey = validate_journey_response(document)
        self._check_segments(journey)
        if state == JourneyState.ACTIVE:
            return self._publish(journey, now).to_pinpoint()
        self._repository.save_journey(journey.to_pinpoint())
        return journey.to_pinpoint()

    def update_journey(
        self,
        journey_id: str,
        request: Mapping[str, Any],
        application_id: str | None = None,
    ) -> dict[str, Any]:
        """UpdateJourney: the WriteJourneyRequest replaces the journey's settings (its
        id, application, creation date and tags stay). A published journey keeps its
        activities, start activity and start condition; State ACTIVE publishes a draft.

        Raises NotFoundError or InvalidRecordError.
        """
        current = self._stored(journey_id, application_id)
        body = validate_journey_request(request)
        requested = body.effective_state
        self._check_request_state(requested)
        state = current.effective_state
        if state not in (JourneyState.DRAFT, JourneyState.ACTIVE, JourneyState.PAUSED):
            raise InvalidRecordError(
                [FieldProblem("State", f"a {state.value} journey cannot be changed")]
            )
        given = body.to_pinpoint()
        stored = current.to_pinpoint()
        if state != JourneyState.DRAFT:
            problems = [
                FieldProblem(
                    name,
                    f"the {name} of a published ({state.value}) journey cannot be changed; "
                    "create a new journey (or a copy) to run different ones",
                )
                for name in _LOCKED
                if given.get(name) != stored.get(name)
            ]
            if problems:
                raise InvalidRecordError(problems)
        now = self._clock()
        document = {
            **given,
            "Id": current.id,
            "ApplicationId": current.application_id,
            "CreationDate": current.creation_date or iso(now),
            "LastModifiedDate": iso(now),
            "State": state.value,
        }
        if current.tags:
            document["tags"] = dict(current.tags)
        journey = validate_journey_response(document)
        self._check_segments(journey)
        if state == JourneyState.DRAFT and requested == JourneyState.ACTIVE:
            return self._publish(journey, now).to_pinpoint()
        self._repository.save_journey(journey.to_pinpoint())
        return journey.to_pinpoint()

    @staticmethod
    def _check_request_state(state: JourneyState) -> None:
        if state not in _WRITABLE_STATES:
            raise InvalidRecordError(
                [
                    FieldProblem(
                        "State",
                        f"{state.value} is not a state a journey is created or updated in "
                        "(DRAFT or ACTIVE); use UpdateJourneyState to pause, resume or cancel",
                    )
                ]
            )

    def _check_segments(self, journey: JourneyResponse) -> None:
        if self._audience is None:
            return
        named: list[tuple[str, str]] = []
        start = journey.start_condition
        if start and start.segment_start_condition:
            named.append(
                (
                    "StartCondition.SegmentStartCondition.SegmentId",
                    start.segment_start_condition.segment_id,
                )
            )
        if start and start.event_start_condition and start.event_start_condition.segment_id:
            named.append(
                (
                    "StartCondition.EventStartCondition.SegmentId",
                    start.event_start_condition.segment_id,
                )
            )
        for key, activity_id, condition in journey_conditions(journey):
            if condition.segment_condition is not None:
                where = key.split("/", 1)[1]
                path = (
                    f"Activities.{activity_id}.MultiCondition.Branches[{where[1:]}].Condition"
                    if where.startswith("b")
                    else f"Activities.{activity_id}.ConditionalSplit.Condition.Conditions[{where}]"
                )
                named.append(
                    (f"{path}.SegmentCondition.SegmentId", condition.segment_condition.segment_id)
                )
        problems = []
        for field, segment_id in named:
            try:
                self._audience.get_segment(segment_id)
            except NotFoundError as exc:
                problems.append(FieldProblem(field, str(exc)))
        if problems:
            raise InvalidRecordError(problems)

    # -- lifecycle --------------------------------------------------------------------

    def _publish(self, journey: JourneyResponse, now: datetime) -> JourneyResponse:
        # A test copy's waits are shortened below the hour a published wait lasts.
        test = TEST_OF_TAG in (journey.tags or {})
        problems = publish_problems(journey) + graph_problems(journey, wait_limits=not test)
        if problems:
            raise InvalidRecordError(problems)
        published = journey.model_copy(update={"state": JourneyState.ACTIVE})
        self.engine.messages.prepare(PreparedJourney(published))  # its templates must exist
        control = dict(self._repository.get_control(journey.id))
        control["ActivatedAt"] = iso(now)
        start = journey.start_condition
        if start is not None and start.event_start_condition is not None:
            run_id = uuid.uuid4().hex
            stamp = iso(now)
            self._repository.save_run(
                {
                    "JourneyId": journey.id,
                    "RunId": run_id,
                    "CreationTime": stamp,
                    "LastUpdateTime": stamp,
                    "Status": JourneyRunStatus.RUNNING.value,
                    "Trigger": "EVENTS",
                    "RunTime": stamp,
                }
            )
            control["EventRunId"] = run_id
        self._repository.save_control(journey.id, control)
        self._repository.save_journey(published.to_pinpoint())
        return published

    def update_journey_state(
        self,
        journey_id: str,
        request: Mapping[str, Any],
        application_id: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """UpdateJourneyState: a JourneyStateRequest (``{"State": ...}``) in, the
        JourneyResponse out. ACTIVE publishes a draft or resumes a paused journey (its
        participants continue where they were; waits are lengthened by the pause);
        PAUSED holds everyone where they are; CANCELLED ends the journey (the next tick
        ends its participants).

        Raises
        ------
        NotFoundError
            No such journey in the application.
        InvalidRecordError
            The state is not one to move to from the journey's (the problem says which).
        """
        journey = self._stored(journey_id, application_id)
        moment = now or self._clock()
        wanted_text = request.get("State") if isinstance(request, Mapping) else None
        try:
            wanted = JourneyState(str(wanted_text))
        except ValueError:
            raise InvalidRecordError(
                [FieldProblem("State", f"{wanted_text!r} must be ACTIVE, PAUSED or CANCELLED")]
            ) from None
        state = journey.effective_state
        control = dict(self._repository.get_control(journey.id))
        if wanted == JourneyState.ACTIVE and state == JourneyState.DRAFT:
            return self._publish(journey, moment).to_pinpoint()
        if wanted == JourneyState.ACTIVE and state == JourneyState.PAUSED:
            paused_at = control.pop("PausedAt", None)
            if paused_at is not None:
                control["Pauses"] = [*control.get("Pauses", []), [int(paused_at), to_ms(moment)]]
        elif wanted == JourneyState.PAUSED and state == JourneyState.ACTIVE:
            control["PausedAt"] = to_ms(moment)
        elif wanted == JourneyState.CANCELLED and state in (
            JourneyState.DRAFT,
            JourneyState.ACTIVE,
            JourneyState.PAUSED,
        ):
            paused_at = control.pop("PausedAt", None)
            if paused_at is not None:
                control["Pauses"] = [*control.get("Pauses", []), [int(paused_at), to_ms(moment)]]
            control["CancelledAt"] = iso(moment)
        elif wanted == state:
            return journey.to_pinpoint()
        else:
            allowed = {
                JourneyState.DRAFT: "ACTIVE (publish) or CANCELLED",
                JourneyState.ACTIVE: "PAUSED or CANCELLED",
                JourneyState.PAUSED: "ACTIVE (resume) or CANCELLED",
            }.get(state, "nothing: it is finished")
            raise InvalidRecordError(
                [
                    FieldProblem(
                        "State",
                        f"a {state.value} journey cannot become {wanted.value}; it can become "
                        f"{allowed}",
                    )
                ]
            )
        self._repository.save_control(journey.id, control)
        changed = journey.model_copy(update={"state": wanted, "last_modified_date": iso(moment)})
        self._repository.save_journey(changed.to_pinpoint())
        return changed.to_pinpoint()

    def delete_journey(self, journey_id: str, application_id: str | None = None) -> dict[str, Any]:
        """DeleteJourney: removes the journey, its runs and its participants' state;
        returns the JourneyResponse it was. Raises NotFoundError."""
        journey = self._stored(journey_id, application_id)
        self._participants.delete(journey.id)
        self._repository.delete_journey(journey.id)
        return journey.to_pinpoint()

    def erase_endpoints(self, endpoint_ids: list[str]) -> int:
        """Remove these endpoints' participant records from every journey (erasure of
        personal data); returns how many records were removed."""
        return sum(
            self._participants.delete(str(document["Id"]), endpoint_ids)
            for document in self._repository.list_journeys()
        )

    # -- test mode --------------------------------------------------------------------

    def test_journey(
        self,
        journey_id: str,
        segment_id: str,
        *,
        wait: str = "PT1M",
        application_id: str | None = None,
    ) -> dict[str, Any]:
        """Run a journey over a test segment with its waits shortened: a published copy
        (tagged ``clarion:test-of``) whose start is the test segment, whose every wait
        and evaluation window lasts ``wait`` (an ISO-8601 duration), which never
        refreshes and which lets test endpoints re-enter. Drive it with the tick.

        Raises NotFoundError or InvalidRecordError.
        """
        original = self._stored(journey_id, application_id)
        shortened = WaitTime(wait_for=wait)
        activities = {}
        for activity_id, activity in (original.activities or {}).items():
            settings = activity.settings
            updates: dict[str, Any] = {}
            if getattr(settings, "wait_time", None) is not None:
                updates["wait_time"] = shortened
            if getattr(settings, "evaluation_wait_time", None) is not None:
                updates["evaluation_wait_time"] = shortened
            if updates:
                activity = activity.with_settings(settings.model_copy(update=updates))
            activities[activity_id] = activity
        limits = (
            original.limits.model_copy(update={"endpoint_reentry_cap": 0})
            if original.limits
            else None
        )
        now = self._clock()
        test = original.model_copy(
            update={
                "id": uuid.uuid4().hex,
                "name": f"{original.name}-test"[:150],
                "activities": activities,
                "start_condition": original.start_condition.model_copy(
                    update={
                        "event_start_condition": None,
                        "segment_start_condition": SegmentCondition(segment_id=segment_id),
                    }
                )
                if original.start_condition
                else None,
                "schedule": None,
                "refresh_frequency": None,
                "refresh_on_segment_update": None,
                "limits": limits,
                "state": JourneyState.DRAFT,
                "creation_date": iso(now),
                "last_modified_date": iso(now),
                "tags": {**(original.tags or {}), TEST_OF_TAG: original.id},
            }
        )
        test = validate_journey_response(test.to_pinpoint())
        self._check_segments(test)
        return self._publish(test, now).to_pinpoint()
