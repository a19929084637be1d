"""``clarion templates``: create message templates from Pinpoint request bodies, list,
show, lint and render them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clarion.domain.common.errors import InvalidRecordError, NotFoundError
from clarion.entrypoints.cli.files import read_json_file
from clarion.entrypoints.cli.output import CliState, state

app = typer.Typer(help="Message templates in Pinpoint's shapes, versioned.", no_args_is_help=True)


def parse_variables(cli: CliState, pairs: list[str] | None) -> dict[str, str]:
    variables = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise cli.fail(f"--var {pair!r}: give NAME=VALUE", code=2)
        variables[name] = value
    return variables


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help='{"TemplateName": ..., "EmailTemplateRequest" | "SMSTemplateRequest" | '
            '"PushNotificationTemplateRequest" | "VoiceTemplateRequest": {...}}'
        ),
    ],
) -> None:
    """Create a template (version 1) from a request body file."""
    cli = state(ctx)
    body = read_json_file(cli, file)
    try:
        created = cli.bootstrap.template_service.create(body)
    except InvalidRecordError as exc:
        raise cli.fail(f"{file}: {exc}") from None

    def show(console: Console) -> None:
        console.print(
            f"Created {created['TemplateType']} template {created['TemplateName']} "
            f"version {created['Version']}",
            highlight=False,
        )
        print_warnings(console, created["Warnings"])

    cli.emit(created, show)


def print_warnings(console: Console, warnings: list[str]) -> None:
    """Each warning on a line of its own (markup and highlighting off: they quote
    template text)."""
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)


@app.command("lint")
def lint(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The template name.")],
    template_type: Annotated[
        str | None, typer.Option("--type", help="EMAIL, SMS, PUSH or VOICE.")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="Default: active.")] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 1 when there are findings.")
    ] = False,
) -> None:
    """Check a template's variables, helpers and partials against the project's
    attribute names and Pinpoint's endpoint fields; each finding names its part, line
    and column and the closest known name."""
    cli = state(ctx)
    try:
        report = cli.bootstrap.template_service.lint(name, template_type, version)
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(str(exc)) from None

    def show(console: Console) -> None:
        findings = report["Findings"]
        count = f"{len(findings)} finding" + ("" if len(findings) == 1 else "s")
        console.print(
            f"{report['TemplateType']} template {report['TemplateName']} version "
            f"{report['Version']}: {count if findings else 'no findings'}",
            highlight=False,
        )
        for finding in findings:
            where = f"{finding['Part']} line {finding['Line']}, column {finding['Column']}"
            console.print(f"{where}: {finding['Message']}", markup=False, highlight=False)

    cli.emit(report, show)
    if strict and report["Findings"]:
        raise typer.Exit(1)


@app.command("list")
def list_templates(ctx: typer.Context) -> None:
    """List templates (name, type, active version)."""
    cli = state(ctx)
    cli.emit(cli.bootstrap.template_service.list())


@app.command("get")
def get(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The template name.")],
    template_type: Annotated[
        str | None, typer.Option("--type", help="EMAIL, SMS, PUSH or VOICE.")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="Default: active.")] = None,
) -> None:
    """Print a template version as Pinpoint's Get*Template response."""
    cli = state(ctx)
    try:
        cli.emit(cli.bootstrap.template_service.get(name, template_type, version))
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(str(exc)) from None


@app.command("render")
def render(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The template name.")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="The endpoint id to render for.")],
    template_type: Annotated[
        str | None, typer.Option("--type", help="EMAIL, SMS, PUSH or VOICE.")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="Default: active.")] = None,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="A message variable NAME=VALUE.")
    ] = None,
) -> None:
    """Render a template for an endpoint; prints the rendered parts as JSON."""
    cli = state(ctx)
    variables = parse_variables(cli, var)
    try:
        rendered = cli.bootstrap.template_service.render(
            name, endpoint, version, variables or None, template_type=template_type
        )
    except (InvalidRecordError, NotFoundError) as exc:
        raise cli.fail(str(exc)) from None
    cli.emit(rendered)
