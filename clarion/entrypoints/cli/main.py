"""The ``clarion`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clarion.bootstrap import Backend, Bootstrap, Settings
from clarion.entrypoints.cli import (
    analytics,
    campaigns,
    churn,
    cost,
    endpoints,
    events,
    journeys,
    messages,
    segments,
    sentiment,
    serve,
    templates,
    users,
)
from clarion.entrypoints.cli.output import CliState

app = typer.Typer(
    name="clarion",
    help="Customer engagement in your own AWS account, in Amazon Pinpoint's formats.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(endpoints.app, name="endpoints")
app.add_typer(users.app, name="users")
app.add_typer(segments.app, name="segments")
app.add_typer(events.app, name="events")
app.add_typer(analytics.app, name="analytics")
app.add_typer(templates.app, name="templates")
app.add_typer(campaigns.app, name="campaigns")
app.add_typer(journeys.app, name="journeys")
app.add_typer(messages.app, name="messages")
app.add_typer(sentiment.app, name="sentiment")
app.add_typer(churn.app, name="churn")
app.add_typer(cost.app, name="cost")
app.command("serve")(serve.serve)


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="CLARION_HOME",
            help="Where the local backend keeps its data [default: ./.clarion].",
        ),
    ] = None,
    backend: Annotated[
        str,
        typer.Option("--backend", envvar="CLARION_BACKEND", help="local or aws."),
    ] = "local",
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON output.")
    ] = False,
) -> None:
    if backend not in ("local", "aws"):
        raise typer.BadParameter("must be local or aws", param_hint="--backend")
    chosen: Backend = "aws" if backend == "aws" else "local"
    settings = Settings.from_env().with_overrides(backend=chosen, home=home or Path(".clarion"))
    ctx.obj = CliState(bootstrap=Bootstrap(settings), json_output=json_output)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
