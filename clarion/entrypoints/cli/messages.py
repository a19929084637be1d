"""``clarion messages``: transactional sends (SendMessages, SendUsersMessages bodies)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import read_json_file
from clarion.entrypoints.cli.output import state

app = typer.Typer(help="Transactional messages: reminders, alerts, one-offs.", no_args_is_help=True)


@app.command("send")
def send(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="A SendMessages (MessageRequest) or SendUsersMessages body."),
    ],
) -> None:
    """Send; prints Pinpoint's MessageResponse or SendUsersMessageResponse."""
    cli = state(ctx)
    body = read_json_file(cli, file)
    try:
        response = cli.bootstrap.message_service.send(body)
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(f"{file}: {exc}") from None
    cli.emit(response)
