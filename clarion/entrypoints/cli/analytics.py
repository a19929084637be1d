"""``clarion analytics``: campaign metrics, event counts and campaign reports."""

from __future__ import annotations

import json
import webbrowser
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clarion.domain.common.errors import NotFoundError
from clarion.entrypoints.cli.output import state
from clarion.services.analytics.service import COUNT_COLUMNS, RATE_COLUMNS

app = typer.Typer(help="Campaign metrics, event counts and reports.", no_args_is_help=True)


def _rate(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


@app.command("campaign")
def campaign(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="The campaign id.")],
    report: Annotated[
        bool, typer.Option("--report", help="Also write the HTML and PNG report.")
    ] = False,
) -> None:
    """Sent, delivered, opened, clicked, bounces, complaints, unsubscribes and rates."""
    cli = state(ctx)
    try:
        data = cli.bootstrap.analytics_service.campaign_metrics(campaign_id).to_json()
        if report:
            data["report"] = cli.bootstrap.report_service.campaign_report(campaign_id).to_json()
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None
    cli.emit(data, lambda console: _print_campaign(console, data))


def _print_campaign(console: Console, data: dict[str, Any]) -> None:
    # Metrics down the side and groups across, so the table fits a terminal.
    groups = [("total", data)] + [(f"treatment {t['treatment_id']}", t) for t in data["treatments"]]
    groups += [(f"run {str(r['run_id'])[:8]}", r) for r in data["runs"]]
    table = Table("Metric", *(name for name, _ in groups), title=f"Campaign {data['campaign_id']}")
    for column in COUNT_COLUMNS:
        table.add_row(column, *(str(row[column]) for _, row in groups))
    for column in RATE_COLUMNS:
        table.add_row(column, *(_rate(row[column]) for _, row in groups))
    console.print(table)
    if data["holdout"]:
        console.print(f"Holdout: {data['holdout']['endpoints']} endpoints", highlight=False)
    if "report" in data:
        console.print(f"Report: {data['report']['html']}", highlight=False)


@app.command("events")
def events(
    ctx: typer.Context,
    event_type: Annotated[
        str | None, typer.Option("--type", help="Only this event type (e.g. _email.open).")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="From this UTC date (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Events and distinct endpoints per day and event type."""
    cli = state(ctx)
    rows = cli.bootstrap.analytics_service.event_counts(event_type, since.date() if since else None)
    data = {"counts": rows, "total": sum(row["events"] for row in rows)}

    def human(console: Console) -> None:
        table = Table("Day", "Event type", "Events", "Endpoints")
        for row in rows:
            table.add_row(row["day"], row["event_type"], str(row["events"]), str(row["endpoints"]))
        console.print(table)
        console.print(f"Total: {data['total']}", highlight=False)

    cli.emit(data, human)


@app.command("report")
def report(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="The campaign id.")],
    open_it: Annotated[
        bool, typer.Option("--open", help="Open the HTML page in a web browser.")
    ] = False,
) -> None:
    """Write the campaign report (HTML page and PNG charts) and print where."""
    cli = state(ctx)
    try:
        written = cli.bootstrap.report_service.campaign_report(campaign_id)
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None
    if open_it:
        webbrowser.open(written.html.resolve().as_uri())
    data = written.to_json()
    cli.emit(data, lambda console: console.print(json.dumps(data["html"]).strip('"')))
