"""``clarion cost``: the monthly AWS cost of Clarion for a workload, beside Pinpoint's."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.cost import CostEstimate
from clarion.entrypoints.cli.files import read_json_file
from clarion.entrypoints.cli.output import state
from clarion.services.cost import CostService

app = typer.Typer(
    help="The monthly AWS cost of Clarion for a workload, beside Amazon Pinpoint's price.",
    no_args_is_help=True,
)


class Format(StrEnum):
    JSON = "json"
    TABLE = "table"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _table(result: CostEstimate, console: Console) -> None:
    table = Table(title=f"A month, us-east-1 list prices of {result.priced_on.isoformat()}")
    for column in ("Service", "Item", "Quantity", "Unit", "Unit price", "Cost"):
        table.add_column(column, justify="right" if column in ("Quantity", "Cost") else "left")
    for side, lines, total in (
        ("Clarion", result.clarion, result.clarion_total),
        ("Pinpoint", result.pinpoint, result.pinpoint_total),
    ):
        for line in lines:
            if line.quantity:
                table.add_row(
                    line.service,
                    line.item,
                    f"{line.quantity:,.2f}",
                    line.unit,
                    f"${line.unit_price:.10g}",
                    _money(line.cost),
                )
        table.add_row(f"[bold]{side}[/]", "[bold]total[/]", "", "", "", f"[bold]{_money(total)}[/]")
        table.add_section()
    console.print(table)
    if result.ratio is not None:
        console.print(f"Clarion / Pinpoint: {result.ratio:.3f}")


@app.command("estimate")
def estimate(
    ctx: typer.Context,
    endpoints: Annotated[int, typer.Option("--endpoints", min=0, help="Endpoints.")],
    emails_per_month: Annotated[
        float, typer.Option("--emails-per-month", min=0, help="Emails a month, per endpoint.")
    ] = 0.0,
    sms_per_month: Annotated[
        float, typer.Option("--sms-per-month", min=0, help="SMS a month, per endpoint.")
    ] = 0.0,
    push_per_month: Annotated[
        float, typer.Option("--push-per-month", min=0, help="Pushes a month, per endpoint.")
    ] = 0.0,
    events_per_month: Annotated[
        float, typer.Option("--events-per-month", min=0, help="Events a month, per endpoint.")
    ] = 0.0,
    output_format: Annotated[
        Format, typer.Option("--format", help="json or table [default: table; json with --json].")
    ] = Format.TABLE,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="A price list of the shipped one's shape (prices.json)."),
    ] = None,
) -> None:
    """Itemised monthly AWS cost of the workload on Clarion, and Pinpoint's price for it."""
    cli = state(ctx)
    given: dict[str, Any] | None = None
    if prices is not None:
        given = read_json_file(cli, prices, what="a price list (a JSON object)")
    try:
        result = CostService(given).estimate(
            endpoints,
            emails_per_month=emails_per_month,
            sms_per_month=sms_per_month,
            push_per_month=push_per_month,
            events_per_month=events_per_month,
        )
    except InvalidRecordError as exc:
        where = f"{prices}: " if prices is not None else ""
        raise cli.fail(f"{where}{exc}", code=2) from None
    if output_format == Format.JSON or cli.json_output:
        cli.emit(result.to_json())
    else:
        _table(result, cli.console)
