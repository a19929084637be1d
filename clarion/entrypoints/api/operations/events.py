"""Events: PutEvents (reserved system events refused per event), and the event stream
(PutEventStream, GetEventStream, DeleteEventStream)."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.errors import BadRequestError
from clarion.entrypoints.api.registry import operation


@operation("PutEvents")
def put_events(call: Call) -> dict[str, Any]:
    """Records app and custom events (the CLI's ``events put``); each event answered."""
    outcome = call.project().event_intake_service.put_events_body(
        call.body("EventsRequest"), app_id=call.app_id
    )
    if outcome.problems or outcome.response is None:
        raise BadRequestError.of(outcome.problems)
    return outcome.response


@operation("PutEventStream")
def put_event_stream(call: Call) -> dict[str, Any]:
    """Forwards every event record of the project to a Kinesis or Firehose stream."""
    call.project()
    return call.root.event_stream_service.put_event_stream(
        call.app_id, call.body("WriteEventStream")
    )


@operation("GetEventStream")
def get_event_stream(call: Call) -> dict[str, Any]:
    """The project's event stream."""
    call.project()
    return call.root.event_stream_service.get_event_stream(call.app_id)


@operation("DeleteEventStream")
def delete_event_stream(call: Call) -> dict[str, Any]:
    """Stops forwarding; answers what the stream was."""
    call.project()
    return call.root.event_stream_service.delete_event_stream(call.app_id)
