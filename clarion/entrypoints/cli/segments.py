"""``clarion segments``: define segments in Pinpoint's JSON, preview and list members, and
show the SQL a segment compiles to (to run in Athena yourself)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlglot
import typer
from rich.console import Console
from rich.table import Table

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import json_type, read_json_file
from clarion.entrypoints.cli.output import CliState, state

app = typer.Typer(
    help="Segments: create and update from Pinpoint JSON, preview, list members, show SQL.",
    no_args_is_help=True,
)

T = TypeVar("T")

VersionOption = Annotated[
    int | None, typer.Option("--version", min=1, help="A version (default: the latest).")
]


def _run(cli: CliState, action: Callable[[], T], file: Path | None = None) -> T:
    """Run a service call, turning domain errors into a clear message (naming the
    definition file, when there is one) and exit code 1."""
    where = f"{file}: " if file is not None else ""
    try:
        return action()
    except InvalidRecordError as exc:
        raise cli.fail(f"{where}invalid segment: {exc}") from None
    except NotFoundError as exc:
        raise cli.fail(f"{where}{exc}") from None


def _read_request(cli: CliState, file: Path) -> dict[str, Any]:
    """A WriteSegmentRequest from a file: the bare body, or the AWS CLI's
    ``{"WriteSegmentRequest": {...}}`` form."""
    body = read_json_file(cli, file, what="a JSON object (a WriteSegmentRequest)")
    if set(body) == {"WriteSegmentRequest"}:
        body = body["WriteSegmentRequest"]
    if not isinstance(body, dict):
        raise cli.fail(
            f"{file}: WriteSegmentRequest must be a JSON object, not {json_type(body)}", code=2
        )
    return body


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A WriteSegmentRequest JSON file.")],
) -> None:
    """Create a segment; prints its id."""
    cli = state(ctx)
    request = _read_request(cli, file)
    segment = _run(cli, lambda: cli.bootstrap.segment_service.create_segment(request), file)
    cli.emit(
        {"id": segment["Id"]},
        lambda console: console.print(f"created segment {segment['Id']}", highlight=False),
    )


@app.command("update")
def update(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[Path, typer.Argument(help="A WriteSegmentRequest JSON file.")],
) -> None:
    """Store a new version of a segment; prints its id and version."""
    cli = state(ctx)
    request = _read_request(cli, file)
    segment = _run(
        cli, lambda: cli.bootstrap.segment_service.update_segment(segment_id, request), file
    )
    cli.emit(
        {"id": segment["Id"], "version": segment["Version"]},
        lambda console: console.print(
            f"segment {segment['Id']} is now version {segment['Version']}", highlight=False
        ),
    )


@app.command("get")
def get(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="ID")],
    version: VersionOption = None,
) -> None:
    """Show a segment (a SegmentResponse, as Pinpoint's GetSegment returns it)."""
    cli = state(ctx)
    segment = _run(cli, lambda: cli.bootstrap.segment_service.get_segment(segment_id, version))
    cli.emit(segment)


@app.command("list")
def list_segments(ctx: typer.Context) -> None:
    """List segments (latest versions)."""
    cli = state(ctx)
    segments = cli.bootstrap.segment_service.list_segments()

    def table(console: Console) -> None:
        view = Table("Id", "Name", "Type", "Version", "Last modified")
        for s in segments:
            view.add_row(
                s["Id"],
                s.get("Name", ""),
                s["SegmentType"],
                str(s["Version"]),
                s.get("LastModifiedDate", ""),
            )
        console.print(view)

    cli.emit(segments, table)


@app.command("preview")
def preview(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="ID")],
    version: VersionOption = None,
) -> None:
    """Count the endpoints in a segment now."""
    cli = state(ctx)
    count = _run(cli, lambda: cli.bootstrap.segment_service.preview(segment_id, version))
    cli.emit(
        {"count": count},
        lambda console: console.print(f"{count} endpoints", highlight=False),
    )


@app.command("members")
def members(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="ID")],
    version: VersionOption = None,
) -> None:
    """Print the ids of the endpoints in a segment, one a line (a JSON list with --json)."""
    cli = state(ctx)
    ids = _run(cli, lambda: cli.bootstrap.segment_service.members(segment_id, version))
    if cli.json_output:
        cli.emit(list(ids))
        return
    for endpoint_id in ids:  # streamed: audiences can be large
        typer.echo(endpoint_id)


@app.command("sql")
def sql(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="ID")],
    version: VersionOption = None,
) -> None:
    """Print the segment's SQL in Athena's (Trino) dialect."""
    cli = state(ctx)
    text = _run(cli, lambda: cli.bootstrap.segment_service.compile(segment_id, version))
    pretty = sqlglot.transpile(text, read="trino", write="trino", pretty=True)[0]
    cli.emit({"sql": text}, lambda console: console.print(pretty, highlight=False, markup=False))
