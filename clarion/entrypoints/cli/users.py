"""``clarion users``: a person by user id (``User.UserId``) across their endpoints."""

from __future__ import annotations

from typing import Annotated

import typer

from clarion.domain.common.errors import InvalidRecordError
from clarion.entrypoints.cli.endpoints import print_receipt
from clarion.entrypoints.cli.output import state

app = typer.Typer(help="Users: erase a person by user id.", no_args_is_help=True)


@app.command("erase")
def erase_user(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(metavar="USER_ID", help="The user id.")],
) -> None:
    """Erase a user everywhere: every endpoint of theirs, their user id and addresses,
    and print the receipt."""
    cli = state(ctx)
    try:
        receipt = cli.bootstrap.erasure_service.erase_user(user_id)
    except InvalidRecordError as exc:
        raise cli.fail(str(exc), code=2) from None
    print_receipt(cli, receipt)
