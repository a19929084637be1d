"""How commands print: JSON with ``--json`` (for scripts), rich tables otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from clarion.bootstrap import Bootstrap, Settings


@dataclass
class CliState:
    bootstrap: Bootstrap
    json_output: bool
    console: Console = field(default_factory=lambda: Console(stderr=False))
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def use_settings(self, settings: Settings) -> None:
        """Continue with a Bootstrap on other settings (an option given to one command)."""
        self.bootstrap = Bootstrap(settings)

    def emit(self, data: Any, human: Callable[[Console], None] | None = None) -> None:
        """Print ``data`` as JSON with --json (or when no human form is given)."""
        if self.json_output or human is None:
            sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            human(self.console)

    def at(self, now: str | None) -> datetime | None:
        """The ``--now`` of a time-driven command as an aware datetime (None: the wall
        clock), also made the services' clock; exit code 2 for a value that is not an
        ISO-8601 date-time."""
        if now is None:
            return None
        try:
            moment = datetime.fromisoformat(now.strip().replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(
                f"--now {now!r}: give an ISO-8601 date-time such as 2025-03-12T09:00:00Z",
                code=2,
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self.bootstrap.clock = lambda: moment
        return moment

    def fail(self, message: str, code: int = 1) -> typer.Exit:
        """Report an error on stderr and return the Exit to raise."""
        if self.json_output:
            sys.stderr.write(json.dumps({"error": message}) + "\n")
        else:
            self.err.print(f"[bold red]error:[/] {message}", highlight=False)
        return typer.Exit(code)


NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="ISO-8601",
        help="Act as if it were this moment (dry runs, tests, demos); default: the clock.",
    ),
]


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        raise RuntimeError("the clarion CLI state is not set up")
    return root.obj
