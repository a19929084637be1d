"""``clarion events``: ingest PutEvents bodies, Pinpoint records and delivery records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clarion.entrypoints.cli.files import read_lines_file, require_some_accepted
from clarion.entrypoints.cli.output import CliState, NowOption, state
from clarion.services.events.ingest import IngestResult, IngestSource

app = typer.Typer(
    help="Events: PutEvents bodies, Pinpoint records, SES v2 and SMS v2 delivery records.",
    no_args_is_help=True,
)

# Rejections shown in the human summary; --json gives them all.
_SHOWN_REJECTIONS = 20


def _emit(cli: CliState, file: Path, result: IngestResult) -> None:
    data = result.to_json()
    cli.emit(data, lambda console: _print_summary(console, file, data))
    require_some_accepted(cli, file, result.accepted, len(data["rejected"]))


def _print_summary(console: Console, file: Path, data: dict[str, Any]) -> None:
    effects = data["effects"]
    console.print(
        f"[bold]{file.name}[/]: [green]{data['accepted']} accepted[/] "
        f"({data['stored']} new, {data['duplicates']} already stored), "
        f"{len(data['rejected'])} rejected",
        highlight=False,
    )
    console.print(
        f"Effects: {len(effects['opted_out'])} opted out, {len(effects['inactivated'])} "
        f"inactivated, {len(effects['activity'])} active, "
        f"{len(effects['unresolved'])} unresolved",
        highlight=False,
    )
    if data["dead_letters"]:
        console.print(f"Dead letters: {data['dead_letters']}", highlight=False)
    if data["rejected"]:
        table = Table("Where", "Field", "Reason", title="Rejected")
        for item in data["rejected"][:_SHOWN_REJECTIONS]:
            where = f"line {item['line']}" if "line" in item else f"#{item.get('index')}"
            if item.get("record_id"):
                where += f" ({item['record_id']})"
            table.add_row(where, item["field"], item["reason"])
        console.print(table)


@app.command("put")
def put(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A PutEvents request body, or Pinpoint records as JSON lines.")
    ],
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="The project id for PutEvents records.")
    ] = None,
    now: NowOption = None,
) -> None:
    """Ingest app and custom events; bad events are reported, the rest kept (exit 0).
    Campaigns and journeys the events start or move act at ``--now``."""
    cli = state(ctx)
    cli.at(now)
    text = read_lines_file(cli, file)
    result = cli.bootstrap.event_ingest_service.put_text(text, origin=file.name, app_id=app_id)
    _emit(cli, file, result)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="Records as JSON lines, a JSON array or one object.")
    ],
    source: Annotated[IngestSource, typer.Option("--source", help="The records' format.")],
    now: NowOption = None,
) -> None:
    """Ingest SES v2, SMS v2 (delivery and inbound) or Pinpoint event-stream records.
    Journeys the events move act at ``--now``."""
    cli = state(ctx)
    cli.at(now)
    text = read_lines_file(cli, file)
    result = cli.bootstrap.event_ingest_service.ingest_text(text, source, origin=file.name)
    _emit(cli, file, result)
