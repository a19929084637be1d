"""``clarion endpoints``: import endpoint files, look an endpoint up, erase one, make sample
data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from clarion.domain.audience.erasure import ErasureReceipt
from clarion.domain.audience.import_formats import FileFormat, ImportFileError
from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import require_some_accepted
from clarion.entrypoints.cli.output import CliState, state
from clarion.services.audience.imports import ImportResult

app = typer.Typer(
    help=(
        "Endpoints: import CSV, JSON and Pinpoint export files; look one up; erase one; "
        "sample data."
    ),
    no_args_is_help=True,
)

# Rejections shown in the human summary; --json gives them all.
_SHOWN_REJECTIONS = 20


@app.command("import")
def import_endpoints(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV, NDJSON or Pinpoint export file.")],
    segment: Annotated[
        str | None,
        typer.Option("--segment", help="Also make an imported segment of these endpoints."),
    ] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option(
            "--format", help="Override detection from the file name and content.", show_choices=True
        ),
    ] = None,
) -> None:
    """Import endpoints; bad rows are reported and the rest imported (exit code 0).

    Exit code 2 when the file cannot be read or imported at all.
    """
    cli = state(ctx)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise cli.fail(f"cannot read {file}: {exc.strerror or exc}", code=2) from None
    service = cli.bootstrap.import_service
    try:
        if cli.json_output or not cli.err.is_terminal:
            result = service.import_file(file, segment_name=segment, file_format=file_format)
        else:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=cli.err,
                transient=True,
            ) as bar:
                task = bar.add_task(f"Importing {file.name}", total=size)
                result = service.import_file(
                    file,
                    segment_name=segment,
                    file_format=file_format,
                    progress=lambda done: bar.update(task, completed=done),
                )
    except ImportFileError as exc:
        raise cli.fail(f"cannot import {file}: {exc}", code=2) from None
    except (OSError, EOFError) as exc:
        raise cli.fail(f"cannot read {file}: {exc}", code=2) from None
    cli.emit(result.to_json(), lambda console: _print_summary(console, file, result))
    require_some_accepted(cli, file, result.imported + result.updated, result.rejected_lines)


def _print_summary(console: Console, file: Path, result: ImportResult) -> None:
    rejected = result.rejected_lines
    console.print(
        f"[bold]{file.name}[/]: [green]{result.imported} imported[/], "
        f"{result.updated} updated, "
        f"[{'red' if rejected else 'default'}]{rejected} row{'s' if rejected != 1 else ''} "
        f"rejected[/]",
        highlight=False,
    )
    if result.segment_id is not None:
        console.print(f"Imported segment: {result.segment_id}", highlight=False)
    if not result.rejected:
        return
    table = Table("Line", "Field", "Reason", title="Rejected")
    for rejection in result.rejected[:_SHOWN_REJECTIONS]:
        table.add_row(str(rejection.line), rejection.field, rejection.reason)
    console.print(table)
    hidden = result.rejected_total - min(len(result.rejected), _SHOWN_REJECTIONS)
    if hidden > 0:
        console.print(f"... and {hidden} more (--json lists them)", highlight=False)


@app.command("get")
def get_endpoint(
    ctx: typer.Context,
    endpoint_id: Annotated[str, typer.Argument(metavar="ID", help="The endpoint id.")],
) -> None:
    """Print one endpoint as Pinpoint JSON."""
    cli = state(ctx)
    try:
        document = cli.bootstrap.endpoint_service.get_endpoint(endpoint_id)
    except NotFoundError as exc:
        raise cli.fail(str(exc)) from None
    cli.emit(document, lambda console: console.print_json(json.dumps(document)))


@app.command("sample")
def sample(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("--count", min=0, help="Customer rows to write.")],
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    seed: Annotated[int, typer.Option("--seed", help="The same seed, the same file.")] = 0,
    bad_rows: Annotated[
        int,
        typer.Option(
            "--bad-rows",
            min=0,
            help="Rows to break (bad email, bad phone, bad time zone), to show rejections.",
        ),
    ] = 0,
) -> None:
    """Write a customer CSV in the Pinpoint whitepaper's format."""
    # Sample data lives in the development kit, which Lambda assets never ship.
    from clarion_devkit.samples.customers import write_customers

    cli = state(ctx)
    if bad_rows > count:
        raise typer.BadParameter("cannot exceed --count", param_hint="--bad-rows")
    try:
        written = write_customers(out, count, seed=seed, bad_rows=bad_rows)
    except OSError as exc:
        raise cli.fail(f"cannot write {out}: {exc.strerror or exc}", code=2) from None
    data: dict[str, Any] = {
        "path": str(written.path),
        "rows": written.rows,
        "bad_rows": [{"line": line, "field": name} for line, name in written.bad_rows.items()],
    }

    def human(console: Console) -> None:
        console.print(f"Wrote {written.rows} customers to {written.path}", highlight=False)
        if written.bad_rows:
            lines = ", ".join(str(line) for line in written.bad_rows)
            console.print(f"Bad rows (file lines): {lines}", highlight=False)

    cli.emit(data, human)


@app.command("erase")
def erase_endpoint(
    ctx: typer.Context,
    endpoint_id: Annotated[str, typer.Argument(metavar="ID", help="The endpoint id.")],
) -> None:
    """Erase an endpoint everywhere (profiles, events, send records, dead letters, import
    files and results, the outbox, churn files, reports) and print the receipt."""
    cli = state(ctx)
    try:
        receipt = cli.bootstrap.erasure_service.erase_endpoint(endpoint_id)
    except InvalidRecordError as exc:
        raise cli.fail(str(exc), code=2) from None
    print_receipt(cli, receipt)


def print_receipt(cli: CliState, receipt: ErasureReceipt) -> None:
    """The erase receipt: JSON with --json, else a table of what was removed where."""

    def human(console: Console) -> None:
        console.print(
            f"Erased {receipt.requested}: {receipt.endpoints} endpoint(s) in the profile store",
            highlight=False,
        )
        table = Table("Store", "Where", "Action", "Count", title="Removed")
        for item in receipt.items:
            table.add_row(item.store, item.location, item.action, str(item.count))
        console.print(table)
        console.print(f"Token in kept records: {receipt.token}", highlight=False)

    cli.emit(receipt.to_json(), human)
