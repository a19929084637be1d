"""``clarion analytics``: campaign metrics and conversions, event counts, conversion goals
and campaign reports."""

from __future__ import annotations

import json
import webbrowser
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import read_json_file
from clarion.entrypoints.cli.output import state
from clarion.services.analytics.service import COUNT_COLUMNS, RATE_COLUMNS

app = typer.Typer(
    help="Campaign metrics and conversions, event counts, goals and reports.",
    no_args_is_help=True,
)
goals_app = typer.Typer(
    help="Conversion goals of a campaign or a journey, or the project's default.",
    no_args_is_help=True,
)
app.add_typer(goals_app, name="goals")

_DAY = ["%Y-%m-%d"]


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
    """Sent, delivered, opened, clicked, bounces, complaints, unsubscribes and rates;
    conversions, revenue and the lift over the holdout."""
    cli = state(ctx)
    try:
        data = cli.bootstrap.analytics_service.campaign_metrics(campaign_id).to_json()
        if report:
            data["report"] = cli.bootstrap.report_service.campaign_report(campaign_id).to_json()
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None
    except InvalidRecordError as exc:
        raise cli.fail(str(exc), code=2) from None
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
    if data.get("conversions"):
        _print_conversions(console, data["conversions"])
    if "report" in data:
        console.print(f"Report: {data['report']['html']}", highlight=False)


def _money(value: Any) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _interval(d: dict[str, Any]) -> str:
    verdict = "significant" if d["significant"] else "not significant"
    return f"{d['difference']:+.1%} (95% CI {d['low']:+.1%} to {d['high']:+.1%}, {verdict})"


def _print_conversions(console: Console, conversions: dict[str, Any]) -> None:
    for goal in conversions["goals"]:
        title = (
            f"Conversions: {goal['goal']} ({', '.join(goal['event_types'])}; "
            f"{goal['attribution_window']}, {goal['attribution_model'].lower().replace('_', ' ')})"
        )
        groups = [("total", goal["attributed"])]
        groups += [(f"treatment {t['treatment_id']}", t) for t in goal.get("treatments", [])]
        groups += [(f"activity {a['activity_id']}", a) for a in goal.get("activities", [])]
        if goal["holdout"]:
            groups.append(("holdout", goal["holdout"]))
        table = Table("Attributed", *(name for name, _ in groups), title=title)
        for key in ("endpoints", "converted_endpoints", "conversions"):
            table.add_row(key, *(str(row[key]) for _, row in groups))
        table.add_row("conversion_rate", *(_rate(row["conversion_rate"]) for _, row in groups))
        table.add_row(
            f"revenue ({goal['currency']})", *(_money(row["revenue"]) for _, row in groups)
        )
        table.add_row(
            "avg hours to convert",
            *(
                "—"
                if row["avg_seconds_to_convert"] is None
                else f"{row['avg_seconds_to_convert'] / 3600:.1f}"
                for _, row in groups
            ),
        )
        table.add_row(
            "click_to_conversion_rate",
            *(_rate(row["click_to_conversion_rate"]) for _, row in groups),
        )
        console.print(table)
        lift = goal["incrementality"].get("lift")
        if lift is None:
            console.print(f"Incrementality: {goal['incrementality']['reason']}", highlight=False)
        else:
            console.print(
                f"Conversion rate, treated {_rate(lift['treated']['conversion_rate'])} against "
                f"holdout {_rate(lift['holdout']['conversion_rate'])}: "
                f"{_interval(lift['conversion_rate_difference'])}",
                highlight=False,
            )
            converted, revenue = (
                lift["incremental_converted_endpoints"],
                lift["incremental_revenue"],
            )
            span = (
                f" ({_money(revenue['low'])} to {_money(revenue['high'])})"
                if revenue["low"] is not None
                else ""
            )
            console.print(
                f"Caused by the messages: {converted['estimate']:+.1f} converted endpoints "
                f"({converted['low']:+.1f} to {converted['high']:+.1f}), "
                f"{_money(revenue['estimate'])} {goal['currency']} revenue{span}",
                highlight=False,
            )
        ab = goal.get("ab_test")
        if ab:
            winner = ab["winner"]
            console.print(
                f"A/B on conversions: treatment {ab['leader']} leads"
                + (", the winner" if winner else ", no clear winner yet"),
                highlight=False,
            )
        if not goal["window_complete"]:
            console.print(f"Window still open until {goal['window_end']}", highlight=False)


@app.command("conversions")
def conversions(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="The campaign id.")],
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=_DAY, help="First UTC day the campaign sent on."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option("--until", formats=_DAY, help="Last UTC day the campaign sent on."),
    ] = None,
) -> None:
    """The campaign's conversions per goal: attributed, the lift over the holdout with its
    interval, and the A/B comparison. The days read default to the campaign's runs."""
    cli = state(ctx)
    service = cli.bootstrap.conversion_service
    data = service.campaign_conversions(
        campaign_id, since=since.date() if since else None, until=until.date() if until else None
    )
    cli.emit(data, lambda console: _print_conversions(console, data))


@app.command("journey-conversions")
def journey_conversions(
    ctx: typer.Context,
    journey_id: Annotated[str, typer.Argument(metavar="ID", help="The journey id.")],
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=_DAY, help="First UTC day the journey sent on."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option("--until", formats=_DAY, help="Last UTC day the journey sent on."),
    ] = None,
) -> None:
    """The journey's conversions per goal: attributed per activity and run, and the lift
    over its Holdout activity's held-out participants with its interval."""
    cli = state(ctx)
    service = cli.bootstrap.conversion_service
    data = service.journey_conversions(
        journey_id, since=since.date() if since else None, until=until.date() if until else None
    )
    cli.emit(data, lambda console: _print_conversions(console, data))


_JOURNEY_OPTION = typer.Option(
    "--journey", metavar="ID", help="The journey (instead of a campaign)."
)


@goals_app.command("set")
def set_goals(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help='A goals file: {"Goals": [...]}.')],
    campaign_id: Annotated[
        str | None,
        typer.Option("--campaign", metavar="ID", help="The campaign (default: the project)."),
    ] = None,
    journey_id: Annotated[str | None, _JOURNEY_OPTION] = None,
) -> None:
    """Store conversion goals for a campaign or a journey, or the project default; prints
    the stored version."""
    cli = state(ctx)
    if campaign_id and journey_id:
        raise cli.fail("give --campaign or --journey, not both")
    try:
        document = cli.bootstrap.goal_service.put_goals(
            read_json_file(cli, file), campaign_id, journey_id
        )
    except InvalidRecordError as exc:
        raise cli.fail(f"{file}: {exc}") from None
    cli.emit(
        document,
        lambda c: c.print(f"Stored {document['Scope']} goals, version {document['Version']}"),
    )


@goals_app.command("get")
def get_goals(
    ctx: typer.Context,
    campaign_id: Annotated[
        str | None,
        typer.Option("--campaign", metavar="ID", help="The campaign (default: the project)."),
    ] = None,
    journey_id: Annotated[str | None, _JOURNEY_OPTION] = None,
) -> None:
    """The goals that measure the campaign or the journey (its own, else the project's,
    else the default: purchases within 7 days, last touch), and where they come from."""
    cli = state(ctx)
    if campaign_id and journey_id:
        raise cli.fail("give --campaign or --journey, not both")
    resolved = cli.bootstrap.goal_service.resolve(campaign_id, journey_id)
    cli.emit({"Scope": resolved.scope, "Version": resolved.version, **resolved.goals.to_pinpoint()})


@goals_app.command("list")
def list_goals(ctx: typer.Context) -> None:
    """Every stored goals document (latest versions)."""
    cli = state(ctx)
    cli.emit(cli.bootstrap.goal_service.list_goals())


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
    except InvalidRecordError as exc:
        raise cli.fail(str(exc), code=2) from None
    if open_it:
        webbrowser.open(written.html.resolve().as_uri())
    data = written.to_json()
    cli.emit(data, lambda console: console.print(json.dumps(data["html"]).strip('"')))
