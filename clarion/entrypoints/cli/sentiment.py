"""``clarion sentiment``: ingest social posts and report on their sentiment."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clarion.domain.common.errors import InvalidRecordError
from clarion.entrypoints.cli.files import (
    read_lines_file,
    read_text_file,
    require_some_accepted,
)
from clarion.entrypoints.cli.output import CliState, state
from clarion.services.sentiment.service import SentimentRun, load_rules

app = typer.Typer(
    help="Social posts: sentiment scoring and trigger rules (apology, outreach, churn flag).",
    no_args_is_help=True,
)


def _use_rules(cli: CliState, rules: Path | None) -> None:
    if rules is None:
        return
    text = read_text_file(cli, rules)
    try:
        load_rules(text, name=rules.name)  # refused here if bad
        cli.use_settings(replace(cli.bootstrap.settings, sentiment_rules=str(rules)))
    except InvalidRecordError as exc:
        raise cli.fail(f"{rules.name}: {exc}", code=2) from None


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Posts as JSON lines (docs/sentiment.md).")],
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="A rules file (YAML or JSON) [default: the shipped one]."),
    ] = None,
) -> None:
    """Score posts, match authors, fire rules; one JSON object per post with --json."""
    cli = state(ctx)
    _use_rules(cli, rules)
    # Bytes: a line that is not UTF-8 is rejected on its own, the others kept.
    raw = read_lines_file(cli, file)
    run = cli.bootstrap.sentiment_service.ingest_lines(raw.splitlines(), origin=file.name)
    data = {
        "summary": run.summary(),
        "dead_letters": run.dead_letters,
        "posts": [o.to_json() for o in run.outcomes],
    }
    cli.emit(data, lambda console: _print_run(console, file, run))
    rejected = run.count("REJECTED")
    require_some_accepted(cli, file, len(run.outcomes) - rejected, rejected)


def _print_run(console: Console, file: Path, run: SentimentRun) -> None:
    summary = run.summary()
    console.print(
        f"[bold]{file.name}[/]: {summary['SCORED']} scored, {summary['DUPLICATE']} duplicate, "
        f"{summary['REJECTED']} rejected, {summary['FAILED']} failed",
        highlight=False,
    )
    for outcome in run.outcomes:
        data = outcome.to_json()
        if outcome.status != "SCORED":
            why = "; ".join(outcome.problems)
            console.print(f"  {outcome.key}: [yellow]{outcome.status}[/] {why}", highlight=False)
            continue
        sentiment = str(data["sentiment"])
        score = data["scores"][sentiment.title()]
        who = ", ".join(data["matched_endpoints"]) or "prospect"
        actions = ", ".join(f"{a['action']} {a['status']}" for a in data["actions"]) or "-"
        rules = ", ".join(data["rules_fired"]) or "-"
        console.print(
            f"  {outcome.key} @{data['author']}: [bold]{sentiment}[/] {score:.2f} ({who}); "
            f"rules: {rules}; actions: {actions}",
            highlight=False,
        )
        for warning in data.get("warnings", []):
            console.print(f"    warning: {warning}", markup=False, highlight=False)


@app.command("report")
def report(
    ctx: typer.Context,
    top: Annotated[int, typer.Option("--top", min=1, help="Authors per list.")] = 10,
    since: Annotated[
        str | None, typer.Option("--since", help="First UTC day (YYYY-MM-DD).")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules file (for the influencer threshold).")
    ] = None,
) -> None:
    """Posts by sentiment, platform and day; top negative authors; influencers."""
    cli = state(ctx)
    _use_rules(cli, rules)
    data = cli.bootstrap.sentiment_service.report(top=top, since_day=since)
    cli.emit(data, lambda console: _print_report(console, data))


def _print_report(console: Console, data: dict[str, Any]) -> None:
    totals = ", ".join(f"{k}: {v}" for k, v in sorted(data["by_sentiment"].items())) or "none"
    console.print(f"[bold]Posts by sentiment[/]: {totals}", highlight=False)
    table = Table("Day", "Platform", "Sentiment", "Posts", title="By day and platform")
    for row in data["by_day_platform_sentiment"]:
        table.add_row(row["day"], row["platform"], row["sentiment"], str(row["posts"]))
    console.print(table)
    negative = Table(
        "Platform", "Handle", "Endpoint", "Negative posts", title="Top negative authors"
    )
    for row in data["top_negative_authors"]:
        negative.add_row(
            row["platform"],
            row["handle"],
            row.get("endpoint_id") or "prospect",
            str(row["negative_posts"]),
        )
    console.print(negative)
    influencers = Table("Platform", "Handle", "Endpoint", "Followers", "Posts", title="Influencers")
    for row in data["influencers"]:
        influencers.add_row(
            row["platform"],
            row["handle"],
            row.get("endpoint_id") or "prospect",
            str(row["follower_count"]),
            str(row["posts"]),
        )
    console.print(influencers)
