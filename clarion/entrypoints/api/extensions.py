"""Clarion's extension operations: what the console needs that Pinpoint's API never
offered, under their own prefix (``/clarion/``, never inside Pinpoint's ``/v1``), so a
script can do everything the console does.

Each extension is registered with :func:`extension` beside the botocore-modelled
operations of the registry: a name, a method, a path template, the status it answers
and a docstring (its first line is its row in docs/console.md). It takes the same
:class:`~clarion.entrypoints.api.context.Call` (path members by their model names,
``ApplicationId``, ``SegmentId``...; the query string as ``Query``; the JSON body as
``Body``; a raw upload as ``Raw``) and answers JSON (or, for a download, a
:class:`Download`). Errors are Pinpoint's (``BadRequestException`` naming the field...),
so botocore-style clients read them the same way.

Written here rather than through botocore's model: that model has no such operations,
and Starlette's routing is all they need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from clarion.domain.common.errors import NotFoundError
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.errors import BadRequestError

PREFIX = "/clarion"

# Path parameters of extension routes, and the model member each one fills.
PATH_MEMBERS = {
    "application_id": "ApplicationId",
    "segment_id": "SegmentId",
    "template_name": "TemplateName",
    "template_type": "TemplateType",
    "endpoint_id": "EndpointId",
    "job_id": "JobId",
    "campaign_id": "CampaignId",
    "journey_id": "JourneyId",
}

# The largest file the console uploads in one request (API Gateway's payload limit is
# 10 MB; larger files go to the bucket directly, as Pinpoint's imports did).
MAX_UPLOAD_BYTES = 6 * 1024 * 1024

Handler = Callable[[Call], Any]


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension operation."""

    name: str
    method: str
    path: str
    status: int
    function: Handler
    raw_body: bool = False
    # Changes channels or settings: refused to a console user outside ``admin``.
    admin_only: bool = False

    @property
    def route(self) -> str:
        return PREFIX + self.path

    @property
    def summary(self) -> str:
        doc = (self.function.__doc__ or "").strip().splitlines()
        return doc[0] if doc else ""


@dataclass(frozen=True, slots=True)
class Download:
    """A file answer (an export), not JSON."""

    content: bytes
    media_type: str
    filename: str


EXTENSIONS: list[Extension] = []


def extension(
    name: str, method: str, path: str, *, status: int = 200, raw_body: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated function as extension ``name`` at ``method /clarion<path>``."""

    def register(function: Handler) -> Handler:
        if any(e.name == name for e in EXTENSIONS):
            raise ValueError(f"{name} is registered twice")
        EXTENSIONS.append(Extension(name, method, path, status, function, raw_body))
        return function

    return register


def _int(call: Call, key: str, default: int, *, low: int, high: int) -> int:
    value = (call.get("Query") or {}).get(key)
    if value in (None, ""):
        return default
    text = str(value)
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequestError(f"{key}: {text!r} must be a whole number from {low} to {high}")
    return int(text)


def _date(call: Call, key: str) -> date | None:
    value = (call.get("Query") or {}).get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequestError(f"{key}: {value!r} is not a date (YYYY-MM-DD)") from None


def _version(call: Call) -> int | None:
    value = (call.get("Query") or {}).get("version")
    if value in (None, ""):
        return None
    if not str(value).isdigit():
        raise BadRequestError(f"version: {value!r} is not a version number")
    return int(str(value))


# -- segments ---------------------------------------------------------------------------


@extension("EstimateSegment", "POST", "/apps/{application_id}/segments/estimate")
def estimate_segment(call: Call) -> dict[str, Any]:
    """Count, Trino SQL and a sample of an unsaved WriteSegmentRequest (the live estimate)."""
    sample = _int(call, "sample", 10, low=0, high=100)
    return call.project().segment_service.estimate(call.body("Body"), sample)


@extension("GetSegmentEstimate", "GET", "/apps/{application_id}/segments/{segment_id}/estimate")
def get_segment_estimate(call: Call) -> dict[str, Any]:
    """A stored segment's count (equal to ``segments preview``), Trino SQL and a sample."""
    sample = _int(call, "sample", 10, low=0, high=100)
    service = call.project().segment_service
    return service.estimate_saved(call.get("SegmentId"), _version(call), sample)


# -- templates --------------------------------------------------------------------------


@extension(
    "PreviewTemplate",
    "POST",
    "/apps/{application_id}/templates/{template_name}/{template_type}/preview",
)
def preview_template(call: Call) -> dict[str, Any]:
    """A template rendered for one of the project's endpoints: a saved version, or the
    unsaved ``Draft`` body given."""
    body = call.body("Body")
    endpoint_id = body.get("EndpointId")
    if not isinstance(endpoint_id, str) or not endpoint_id:
        raise BadRequestError("EndpointId: is required")
    variables = body.get("Variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequestError("Variables: must be a JSON object")
    service = call.project().template_service
    kind = str(call.get("TemplateType")).upper()
    draft = body.get("Draft")
    if draft is not None:
        if not isinstance(draft, dict):
            raise BadRequestError("Draft: must be a JSON object (a template request)")
        return {
            "TemplateName": call.get("TemplateName"),
            "Version": "draft",
            **service.render_draft(kind, draft, endpoint_id, variables),
        }
    return service.render(
        call.get("TemplateName"),
        endpoint_id,
        body.get("Version"),
        variables,
        template_type=kind,
    )


# -- audience ---------------------------------------------------------------------------


@extension("UploadImportFile", "POST", "/apps/{application_id}/uploads", raw_body=True)
def upload_import_file(call: Call) -> dict[str, Any]:
    """Keeps an uploaded CSV or JSON endpoint file; answers the ``S3Url`` to import it by."""
    name = str((call.get("Query") or {}).get("name") or "")
    raw = call.get("Raw") or b""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise BadRequestError(f"file: is over {MAX_UPLOAD_BYTES} bytes")
    return {"S3Url": call.project().job_service.upload(name, raw)}


@extension("FindEndpoints", "GET", "/apps/{application_id}/endpoints")
def find_endpoints(call: Call) -> dict[str, Any]:
    """The endpoints with an address (``?address=``: an email, a phone number, a token)."""
    address = str((call.get("Query") or {}).get("address") or "")
    return {"Item": call.project().endpoint_service.find_by_address(address)}


@extension("GetEndpointEvents", "GET", "/apps/{application_id}/endpoints/{endpoint_id}/events")
def get_endpoint_events(call: Call) -> dict[str, Any]:
    """The endpoint's most recent events, newest first."""
    limit = _int(call, "limit", 50, low=1, high=500)
    project = call.project()
    endpoint_id = call.get("EndpointId")
    project.endpoint_service.get_endpoint(endpoint_id)
    return {"Item": project.analytics_service.endpoint_events(endpoint_id, limit)}


@extension("ExportEndpoints", "POST", "/apps/{application_id}/exports", status=201)
def export_endpoints(call: Call) -> dict[str, Any]:
    """CreateExportJob to the backend's own location (body: optional ``SegmentId``)."""
    body = call.body("Body")
    unknown = sorted(set(body) - {"SegmentId"})
    if unknown:
        raise BadRequestError(f"{', '.join(unknown)}: not a member of the export request")
    segment_id = body.get("SegmentId")
    if segment_id is not None and not isinstance(segment_id, str):
        raise BadRequestError("SegmentId: must be a string")
    return call.project().job_service.export_for_download(segment_id or None)


@extension("GetExportFile", "GET", "/apps/{application_id}/jobs/export/{job_id}/file")
def get_export_file(call: Call) -> Download:
    """The endpoints an export job wrote, as one newline-delimited JSON download."""
    job_id = call.get("JobId")
    data = call.project().job_service.export_data(job_id)
    return Download(data, "application/x-ndjson", f"export-{job_id}.jsonl")


# -- analytics --------------------------------------------------------------------------


@extension("GetCampaignMetrics", "GET", "/apps/{application_id}/campaigns/{campaign_id}/metrics")
def get_campaign_metrics(call: Call) -> dict[str, Any]:
    """Every metric of a campaign: totals, per treatment, holdout, per run and per day."""
    project = call.project()
    campaign_id = call.get("CampaignId")
    project.campaign_service.get_campaign(campaign_id)
    try:
        return project.analytics_service.campaign_metrics(campaign_id).to_json()
    except NotFoundError:  # no event yet: every count is zero
        return {
            "campaign_id": campaign_id,
            "treatments": [],
            "holdout": None,
            "runs": [],
            "days": [],
        }


@extension(
    "GetJourneyConversions", "GET", "/apps/{application_id}/journeys/{journey_id}/conversions"
)
def get_journey_conversions(call: Call) -> dict[str, Any]:
    """A journey's conversions per goal, as ``clarion analytics journey-conversions``
    gives them (``since``, ``until``: the days the journey sent on)."""
    project = call.project()
    journey_id = call.get("JourneyId")
    project.journey_service.get_journey(journey_id, call.app_id)
    return project.conversion_service.journey_conversions(
        journey_id, since=_date(call, "since"), until=_date(call, "until")
    )


@extension("GetEventCounts", "GET", "/apps/{application_id}/events/counts")
def get_event_counts(call: Call) -> dict[str, Any]:
    """Events and distinct endpoints by UTC day and event type (``since``, ``until``)."""
    query = call.get("Query") or {}
    rows = call.project().analytics_service.event_counts(
        query.get("event_type") or None, _date(call, "since"), _date(call, "until")
    )
    return {"Item": rows}


@extension("GetChurnReport", "GET", "/apps/{application_id}/churn/report")
def get_churn_report(call: Call) -> dict[str, Any]:
    """The churn model beside its baselines, its curves (calibration...) and the uplift
    (``Evaluated`` false before any model was evaluated)."""
    try:
        return {"Evaluated": True, **call.project().churn_service.dashboard()}
    except NotFoundError:
        return {"Evaluated": False}


@extension("GetSentimentReport", "GET", "/apps/{application_id}/sentiment/report")
def get_sentiment_report(call: Call) -> dict[str, Any]:
    """Posts by sentiment and day, top negative authors, influencers (``top``, ``since``)."""
    top = _int(call, "top", 10, low=1, high=100)
    since = _date(call, "since")
    service = call.project().sentiment_service
    return service.report(top=top, since_day=since.isoformat() if since else None)


# -- journeys ---------------------------------------------------------------------------


@extension("ExplainJourney", "GET", "/apps/{application_id}/journeys/{journey_id}/explain")
def explain_journey(call: Call) -> dict[str, Any]:
    """Why an endpoint (``?endpoint=``) did or did not enter or advance, as ``clarion
    journeys explain`` answers: its entries, its path with each condition, its waits."""
    endpoint_id = str((call.get("Query") or {}).get("endpoint") or "")
    if not endpoint_id:
        raise BadRequestError("endpoint: is required (the id of the endpoint to explain)")
    return call.project().journey_reports.explain(call.get("JourneyId"), endpoint_id, call.app_id)


# -- the console ------------------------------------------------------------------------


@extension("GetIdentity", "GET", "/identity")
def get_identity(call: Call) -> dict[str, Any]:
    """Who is calling, their groups, and whether they may change channels and settings."""
    identity = call.get("Identity") or {}
    return {
        "User": identity.get("user", "local"),
        "Groups": identity.get("groups", ["admin"]),
        "Admin": bool(identity.get("admin", True)),
        "Extensions": [
            {"Name": e.name, "Method": e.method, "Path": e.route, "Summary": e.summary}
            for e in EXTENSIONS
        ],
    }


def parse_body(raw: bytes) -> Any:
    """The JSON body of an extension request (None when empty)."""
    if not raw.strip():
        return None
    try:
        body = parse_json(raw)
    except JsonInputError as exc:
        raise BadRequestError(f"the request body {exc}") from None
    if not isinstance(body, dict):  # every extension with a body takes an object
        raise BadRequestError(f"the request body must be a JSON object, not {type(body).__name__}")
    return body
