"""``clarion campaigns``: create campaigns from WriteCampaignRequest bodies, launch them
and report on their runs; ``tick`` runs the scheduled campaigns that are due (local)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import read_json_file
from clarion.entrypoints.cli.output import NowOption, state
from clarion.entrypoints.cli.templates import print_warnings

app = typer.Typer(
    help="Campaigns in Pinpoint's shapes: create, launch, runs, tick, reconcile.",
    no_args_is_help=True,
)


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A WriteCampaignRequest body.")],
    goals_file: Annotated[
        Path | None,
        typer.Option(
            "--goals",
            metavar="FILE",
            help='Conversion goals for the campaign ({"Goals": [...]}; docs/analytics.md).',
        ),
    ] = None,
) -> None:
    """Create a campaign; prints {"id": ..., "warnings": [...]} (and the goals version
    with --goals): the dry run of its messages against its segment (unknown names,
    variables most endpoints lack)."""
    cli = state(ctx)
    body = read_json_file(cli, file)
    service = cli.bootstrap.campaign_service
    goals = read_json_file(cli, goals_file) if goals_file else None
    if goals is not None:
        # Refused before the campaign exists, so a bad goals file leaves nothing behind.
        try:
            cli.bootstrap.goal_service.check_goals(goals)
        except InvalidRecordError as exc:
            raise cli.fail(f"{goals_file}: {exc}") from None
    try:
        campaign = service.create_campaign(body)
    except (InvalidRecordError, NotFoundError, ValueError) as exc:
        # ValueError: the schedule could not be written (Scheduler settings missing, or
        # a MONTHLY time no Scheduler expression keeps); the campaign itself is stored.
        raise cli.fail(f"{file}: {exc}") from None
    warnings = [str(f) for f in service.preflight(campaign["Id"])]
    data: dict[str, Any] = {"id": campaign["Id"], "warnings": warnings}
    if goals is not None:
        data["goals_version"] = cli.bootstrap.goal_service.put_goals(goals, campaign["Id"])[
            "Version"
        ]

    def show(console: Console) -> None:
        console.print(f"Created campaign {campaign['Id']}")
        print_warnings(console, warnings)

    cli.emit(data, show)


@app.command("get")
def get(ctx: typer.Context, campaign_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Print the campaign's latest version (CampaignResponse)."""
    cli = state(ctx)
    try:
        cli.emit(cli.bootstrap.campaign_service.get_campaign(campaign_id))
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None


@app.command("list")
def list_campaigns(ctx: typer.Context) -> None:
    """List campaigns (latest versions)."""
    cli = state(ctx)
    cli.emit(cli.bootstrap.campaign_service.list_campaigns())


@app.command("launch")
def launch(ctx: typer.Context, campaign_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Run the campaign now: in process on the local backend (the run is finished when
    this returns); on AWS, start the campaign state machine."""
    cli = state(ctx)
    service = cli.bootstrap.campaign_service
    try:
        run_id = service.launch(campaign_id)
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(str(exc)) from None
    report = next((r for r in service.runs(campaign_id) if r["RunId"] == run_id), None)
    cli.emit(
        {"run_id": run_id, "run": report},
        lambda c: _print_runs(c, [report] if report else []),
    )


@app.command("resume")
def resume(ctx: typer.Context, run_id: Annotated[str, typer.Argument(metavar="RUN_ID")]) -> None:
    """Send to a run's endpoints whose quiet time or local send time has come."""
    cli = state(ctx)
    try:
        report = cli.bootstrap.campaign_service.resume(run_id)
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(str(exc)) from None
    cli.emit(report, lambda c: _print_runs(c, [report]))


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN")],
    settle_minutes: Annotated[
        float,
        typer.Option(
            "--settle-minutes",
            min=0,
            help="Refuse runs active more recently than this (batches may still be "
            "delivering, their events arriving).",
        ),
    ] = 30.0,
    now: NowOption = None,
) -> None:
    """Resolve a run's in-doubt messages (claimed, outcome never recorded) from the
    delivery events: SENT where the provider published an event for the message,
    otherwise FAILED (IN_DOUBT, never resent; a later reconcile makes it SENT if the
    events arrive). Prints what changed and the run's new summary."""
    cli = state(ctx)
    try:
        result = cli.bootstrap.campaign_reconciler.reconcile(
            run_id, now=cli.at(now), settle=timedelta(minutes=settle_minutes)
        )
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(str(exc)) from None
    data = result.to_json()

    def show(console: Console) -> None:
        console.print(
            f"Run {run_id}: {data['InDoubt']} in doubt: {data['Sent']} sent (a delivery "
            f"event), {data['NotSeen']} not seen (failed, not resent), "
            f"{data['Unchanged']} resolved meanwhile",
            markup=False,
            highlight=False,
        )
        for endpoint_id, event_type in data["SentEndpoints"].items():
            console.print(f"  sent {endpoint_id} ({event_type})", markup=False, highlight=False)
        for endpoint_id in data["NotSeenEndpoints"]:
            console.print(f"  not seen {endpoint_id}", markup=False, highlight=False)

    cli.emit(data, show)


@app.command("tick")
def tick(ctx: typer.Context, now: NowOption = None) -> None:
    """Run every scheduled campaign that is due, and resume runs whose deferred endpoints
    are due: the local backend's scheduler. Run it from cron, e.g. every 5 minutes:
    ``*/5 * * * * clarion --home /srv/clarion campaigns tick``. (On AWS, EventBridge
    Scheduler starts scheduled runs.)"""
    cli = state(ctx)
    moment = cli.at(now)
    try:
        reports = cli.bootstrap.campaign_service.tick(moment)
    except ValueError as exc:
        raise cli.fail(str(exc)) from None
    runs = [r for r in reports if "RunId" in r]
    errors = [r for r in reports if "Error" in r]

    def show(console: Console) -> None:
        if runs:
            _print_runs(console, runs)
        for error in errors:
            console.print(f"Campaign {error['CampaignId']}: {error['Error']}")
        if not reports:
            console.print("Nothing due.")

    cli.emit(reports, show)


@app.command("runs")
def runs(ctx: typer.Context, campaign_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Per run: targeted, sent, skipped by reason, held out, deferred, failed, in doubt
    (with the in-doubt endpoints listed)."""
    cli = state(ctx)
    try:
        reports = cli.bootstrap.campaign_service.runs(campaign_id)
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None
    cli.emit(reports, lambda c: _print_runs(c, reports))


def _print_runs(console: Console, reports: list[dict[str, Any]]) -> None:
    # Short run ids and skip reasons one a line, so the table fits a terminal; --json
    # has everything in full. Rendering warnings and the launch's dry run follow it.
    table = Table(
        Column("Run", no_wrap=True),
        Column("State", no_wrap=True),
        "Targeted",
        "Sent",
        "Held out",
        "Deferred",
        "Failed",
        "In doubt",
        Column("Skipped", no_wrap=True),
        Column("Warned", no_wrap=True),
    )
    for r in reports:
        skipped = "\n".join(
            f"{k.removeprefix('SKIPPED_').lower()} {v}" for k, v in r["Skipped"].items()
        )
        table.add_row(
            str(r["RunId"])[:8],
            str(r["State"]),
            str(r["Targeted"]),
            str(r["Sent"]),
            str(r["HeldOut"]),
            str(sum(r["Deferred"].values())),
            str(r["Failed"]),
            str(r.get("InDoubt", 0)),
            skipped or "-",
            _warned(r.get("RenderWarnings") or {}),
        )
    console.print(table)
    for r in reports:
        run = str(r["RunId"])[:8]
        in_doubt = r.get("InDoubtEndpoints") or []
        if in_doubt:
            console.print(
                f"run {run}: in doubt (campaigns reconcile {r['RunId']}): " + ", ".join(in_doubt),
                markup=False,
                highlight=False,
            )
        for key, count in (r.get("RenderWarnings") or {}).get("Warnings", {}).items():
            console.print(f"run {run}: {count} messages: {key}", markup=False, highlight=False)
        for finding in r.get("Preflight") or []:
            where = (
                f"{finding['Part']} line {finding['Line']}, column {finding['Column']}: "
                if "Part" in finding
                else ""
            )
            template = f"{finding['Template']}: " if finding.get("Template") else ""
            console.print(
                f"run {run} dry run: {template}{where}{finding['Message']}",
                markup=False,
                highlight=False,
            )


def _warned(warnings: dict[str, Any]) -> str:
    """Messages rendered with a warning, and their share of those rendered."""
    messages = int(warnings.get("Messages") or 0)
    if not messages:
        return "-"
    share = warnings.get("Share")
    return f"{messages} ({share:.0%})" if share is not None else str(messages)
