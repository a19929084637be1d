"""``clarion journeys``: Pinpoint journeys from WriteJourneyRequest bodies, their
lifecycle, the local tick, metrics and "why didn't this endpoint enter or advance?"."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import read_json_file
from clarion.entrypoints.cli.output import CliState, NowOption, state

app = typer.Typer(
    help="Journeys in Pinpoint's shapes: create, publish, pause, tick, metrics, explain.",
    no_args_is_help=True,
)

JourneyId = Annotated[str, typer.Argument(metavar="ID", help="The journey's id.")]
_ERRORS = (InvalidRecordError, NotFoundError)


def _created(cli: CliState, journey: dict[str, Any], verb: str) -> None:
    cli.emit(
        {"id": journey["Id"], "state": journey["State"]},
        lambda c: c.print(f"{verb} journey {journey['Id']} ({journey['State']})"),
    )


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A WriteJourneyRequest body.")],
) -> None:
    """Create a journey (DRAFT, or published with State ACTIVE); prints {"id": ...}."""
    cli = state(ctx)
    body = read_json_file(cli, file)
    try:
        journey = cli.bootstrap.journey_service.create_journey(body)
    except _ERRORS as exc:
        raise cli.fail(f"{file}: {exc}") from None
    cli.emit({"id": journey["Id"]}, lambda c: c.print(f"Created journey {journey['Id']}"))


@app.command("update")
def update(
    ctx: typer.Context,
    journey_id: JourneyId,
    file: Annotated[Path, typer.Argument(help="A WriteJourneyRequest body.")],
) -> None:
    """Replace a journey's settings (a published journey keeps its activities)."""
    cli = state(ctx)
    body = read_json_file(cli, file)
    try:
        journey = cli.bootstrap.journey_service.update_journey(journey_id, body)
    except _ERRORS as exc:
        raise cli.fail(f"{file}: {exc}") from None
    _created(cli, journey, "Updated")


@app.command("get")
def get(ctx: typer.Context, journey_id: JourneyId) -> None:
    """Print the journey (JourneyResponse)."""
    cli = state(ctx)
    try:
        cli.emit(cli.bootstrap.journey_service.get_journey(journey_id))
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None


@app.command("list")
def list_journeys(ctx: typer.Context) -> None:
    """List the project's journeys."""
    cli = state(ctx)
    service = cli.bootstrap.journey_service
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = service.list_journeys(token=token)
        items += page["Item"]
        token = page.get("NextToken")
        if not token:
            break

    def show(console: Console) -> None:
        table = Table("Id", "Name", "State", "Activities")
        for journey in items:
            table.add_row(
                journey["Id"],
                journey["Name"],
                journey.get("State", "DRAFT"),
                str(len(journey.get("Activities") or {})),
            )
        console.print(table)

    cli.emit(items, show)


def _state(ctx: typer.Context, journey_id: str, wanted: str, now: str | None) -> None:
    cli = state(ctx)
    moment = cli.at(now)
    try:
        journey = cli.bootstrap.journey_service.update_journey_state(
            journey_id, {"State": wanted}, now=moment
        )
    except _ERRORS as exc:
        raise cli.fail(str(exc)) from None
    _created(cli, journey, "State of")


@app.command("activate")
def activate(ctx: typer.Context, journey_id: JourneyId, now: NowOption = None) -> None:
    """Publish a draft journey (State ACTIVE): its templates and segments must exist."""
    _state(ctx, journey_id, "ACTIVE", now)


@app.command("pause")
def pause(ctx: typer.Context, journey_id: JourneyId, now: NowOption = None) -> None:
    """Hold every participant where it is; no one enters until it resumes."""
    _state(ctx, journey_id, "PAUSED", now)


@app.command("resume")
def resume(ctx: typer.Context, journey_id: JourneyId, now: NowOption = None) -> None:
    """Continue a paused journey (its waits lengthened by the pause)."""
    _state(ctx, journey_id, "ACTIVE", now)


@app.command("cancel")
def cancel(ctx: typer.Context, journey_id: JourneyId, now: NowOption = None) -> None:
    """End the journey: the next tick ends every participant where it is."""
    _state(ctx, journey_id, "CANCELLED", now)


@app.command("delete")
def delete(ctx: typer.Context, journey_id: JourneyId) -> None:
    """Delete the journey, its runs and its participants' state."""
    cli = state(ctx)
    try:
        journey = cli.bootstrap.journey_service.delete_journey(journey_id)
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None
    cli.emit({"id": journey["Id"]}, lambda c: c.print(f"Deleted journey {journey['Id']}"))


@app.command("tick")
def tick(ctx: typer.Context, now: NowOption = None) -> None:
    """Move time: start due segment runs, advance every participant that is due, finish
    runs and journeys. The local backend's scheduler: run it from cron, e.g.
    ``*/5 * * * * clarion --home /srv/clarion journeys tick``. (On AWS a scheduled
    state machine ticks.)"""
    cli = state(ctx)
    if cli.bootstrap.settings.backend == "aws":
        raise cli.fail(
            "journeys tick is for the local backend; on AWS the journey tick state machine "
            "runs on its schedule"
        )
    moment = cli.at(now)
    report = cli.bootstrap.journey_ticker.tick(moment)

    def show(console: Console) -> None:
        if not report["Journeys"] and not report["Finished"]:
            console.print(f"Nothing due at {report['Now']}.")
            return
        table = Table("Journey", "Entered", "Refused", "Moved", "Left", "Messages")
        for item in report["Journeys"]:
            table.add_row(
                item["JourneyId"][:8],
                str(item["Entered"]),
                _counts(item["Refused"]),
                str(item["Moved"]),
                str(item["Left"]),
                _counts(item["Messages"]),
            )
        console.print(table)
        for done in report["Finished"]:
            console.print(f"Journey {done['JourneyId'][:8]}: {done['State']}")

    cli.emit(report, show)


def _counts(values: dict[str, int]) -> str:
    return "\n".join(f"{name.lower()} {count}" for name, count in values.items()) or "-"


@app.command("metrics")
def metrics(
    ctx: typer.Context,
    journey_id: JourneyId,
    run: Annotated[str | None, typer.Option("--run", help="One run's metrics.")] = None,
    now: NowOption = None,
) -> None:
    """Execution metrics of the journey and each activity (Pinpoint's shapes), its runs,
    and the email engagement KPIs of the 31 days to now."""
    cli = state(ctx)
    cli.at(now)
    reports = cli.bootstrap.journey_reports
    try:
        journey = cli.bootstrap.journey_service.get_journey(journey_id)
        if run is None:
            overall = reports.execution_metrics(journey_id)
            activities = [
                reports.execution_activity_metrics(journey_id, activity_id)
                for activity_id in journey.get("Activities") or {}
            ]
        else:
            overall = reports.run_execution_metrics(journey_id, run)
            activities = [
                reports.run_execution_activity_metrics(journey_id, run, activity_id)
                for activity_id in journey.get("Activities") or {}
            ]
        runs = reports.runs(journey_id)
        kpis = {
            name: int(
                reports.date_range_kpi(journey_id, name)["KpiResult"]["Rows"][0]["Values"][0][
                    "Value"
                ]
            )
            for name in (
                "journey-emails-sent",
                "journey-emails-delivered",
                "journey-emails-opened",
                "journey-emails-clicked",
            )
        }
    except _ERRORS as exc:
        raise cli.fail(str(exc)) from None
    data = {"Journey": overall, "Activities": activities, "Runs": runs, "Engagement": kpis}

    def show(console: Console) -> None:
        console.print(f"[bold]{journey['Name']}[/] ({journey.get('State')})", highlight=False)
        console.print(_counts(overall["Metrics"]).replace("\n", ", "), highlight=False)
        table = Table("Activity", "Type", "Metrics")
        for item in activities:
            table.add_row(item["JourneyActivityId"], item["ActivityType"], _counts(item["Metrics"]))
        console.print(table)
        console.print(
            "Engagement: "
            + ", ".join(f"{k.removeprefix('journey-')} {v}" for k, v in kpis.items()),
            highlight=False,
        )

    cli.emit(data, show)


@app.command("explain")
def explain(
    ctx: typer.Context,
    journey_id: JourneyId,
    endpoint: Annotated[str, typer.Option("--endpoint", metavar="EID", help="The endpoint id.")],
    now: NowOption = None,
) -> None:
    """Why the endpoint did or did not enter, where it is, and what stopped it: its path
    with each condition's result, its waits, the caps and windows that held a message."""
    cli = state(ctx)
    moment = cli.at(now)
    try:
        answer = cli.bootstrap.journey_reports.explain(journey_id, endpoint, now=moment)
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None

    def show(console: Console) -> None:
        console.print(answer["Summary"], highlight=False)
        for step in answer.get("Path", []):
            console.print(
                f"  {step['At']}  {step['Activity']} ({step['Type']}): {step['Outcome']}",
                highlight=False,
            )
            for check in (step.get("Detail") or {}).get("Conditions", []):
                console.print(
                    f"      {check['Condition']}: {check['Result']} — {check['Why']}",
                    highlight=False,
                )

    cli.emit(answer, show)


@app.command("test")
def test(
    ctx: typer.Context,
    journey_id: JourneyId,
    segment: Annotated[str, typer.Option("--segment", help="The test segment's id.")],
    wait: Annotated[
        str, typer.Option("--wait", help="How long every wait lasts (ISO-8601 duration).")
    ] = "PT1M",
    now: NowOption = None,
) -> None:
    """Run a journey over a test segment with its waits shortened: publishes a test copy
    (tagged clarion:test-of); move it with ``journeys tick``."""
    cli = state(ctx)
    cli.at(now)
    try:
        journey = cli.bootstrap.journey_service.test_journey(journey_id, segment, wait=wait)
    except _ERRORS as exc:
        raise cli.fail(str(exc)) from None
    cli.emit(
        {"id": journey["Id"], "test_of": journey_id, "wait": wait},
        lambda c: c.print(f"Test journey {journey['Id']} of {journey_id}, waits {wait}"),
    )
