"""``clarion churn``: simulate history, train, score, keep the churn segment, launch
the retention campaign and report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console

from clarion.domain.churn.definition import ChurnDefinition, parse_event_list
from clarion.domain.common.errors import NotFoundError
from clarion.entrypoints.cli.output import state

app = typer.Typer(
    help="Predictive churn: models, scores, segment, retention.", no_args_is_help=True
)

AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="The as-of date (UTC, YYYY-MM-DD) [default: today].",
    ),
]


LabelDays = Annotated[
    int | None,
    typer.Option(
        "--label-days",
        min=1,
        help="Churned = no activity event in this many days after the cut-off "
        "[default: CLARION_CHURN_LABEL_DAYS, else 28].",
    ),
]
ActiveDays = Annotated[
    int | None,
    typer.Option(
        "--active-days",
        min=1,
        help="Only endpoints with an activity event in this many days before the cut-off "
        "count [default: CLARION_CHURN_ACTIVE_DAYS, else 90].",
    ),
]
ActivityEvents = Annotated[
    str | None,
    typer.Option(
        "--activity-events",
        help="The event types that count as activity, comma-separated, e.g. "
        "_monetization.purchase [default: CLARION_CHURN_ACTIVITY_EVENTS, else "
        "_session.start,_monetization.purchase].",
    ),
]


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _definition(
    service: Any,
    label_days: int | None,
    active_days: int | None,
    activity_events: str | None,
) -> ChurnDefinition | None:
    """The definition the options give over the configured one (None: no option)."""
    if label_days is None and active_days is None and activity_events is None:
        return None
    events = parse_event_list(activity_events) if activity_events is not None else None
    if events is not None and not events:
        raise ValueError("--activity-events must name at least one event type")
    configured: ChurnDefinition = service.config.definition
    return configured.with_overrides(label_days, active_days, events)


def _run(ctx: typer.Context, action: Any) -> Any:
    cli = state(ctx)
    try:
        return action(cli.bootstrap.churn_service)
    except (NotFoundError, ValueError, RuntimeError) as exc:
        raise cli.fail(str(exc)) from None


def _print_metrics(console: Console, data: dict[str, Any]) -> None:
    definition = ChurnDefinition.from_json(data.get("definition"))
    console.print(
        f"Model {data['model_id']} (as of {data['as_of']}); churn: {definition.describe()}",
        highlight=False,
    )
    chosen = data.get("chosen")
    for name, m in (data.get("metrics") or {}).items():
        if m and m.get("auc") is not None:
            console.print(
                f"  {name:<9} AUC {m['auc']:.4f}  PR-AUC {m['pr_auc']:.4f}  "
                f"top-decile lift {m['top_decile_lift']:.2f}"
                + ("  <- chosen" if name == chosen else ""),
                highlight=False,
            )
    _print_selection(console, data.get("selection") or {})
    console.print(f"Decision: {data['decision']['reason']}", highlight=False)


def _print_selection(console: Console, selection: dict[str, Any]) -> None:
    for c in selection.get("comparisons", []):
        console.print(
            f"  {c['a']} - {c['b']}: AUC {c['difference']:+.4f} "
            f"(95% CI {c['low']:+.4f} to {c['high']:+.4f}, DeLong p {c['p_value']:.3g})",
            highlight=False,
        )


@app.command("simulate")
def simulate(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option("--customers", min=1, help="Customers.")] = 1500,
    days: Annotated[int, typer.Option("--days", min=1, help="Days of history.")] = 150,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_of: AsOf = None,
) -> None:
    """Write a simulated history (endpoints and events) ending at the as-of date."""
    data = _run(ctx, lambda s: s.simulate(customers, days, seed, _day(as_of)))
    state(ctx).emit(
        data,
        lambda c: c.print(
            f"Simulated {data['endpoints']} endpoints, {data['events']} events", highlight=False
        ),
    )


@app.command("train")
def train(
    ctx: typer.Context,
    as_of: AsOf = None,
    label_days: LabelDays = None,
    active_days: ActiveDays = None,
    activity_events: ActivityEvents = None,
) -> None:
    """Fit XGBoost, the logistic regression, BG/NBD and the recency rule on the
    training window; the best on the held-out window replaces the current model if it
    beats it there."""
    data = _run(
        ctx,
        lambda s: s.train(_day(as_of), _definition(s, label_days, active_days, activity_events)),
    )
    data = {k: v for k, v in data.items() if k != "curves"}
    state(ctx).emit(data, lambda c: _print_metrics(c, data))


@app.command("backtest")
def backtest(
    ctx: typer.Context,
    as_of: AsOf = None,
    label_days: LabelDays = None,
    active_days: ActiveDays = None,
    activity_events: ActivityEvents = None,
    cutoffs: Annotated[
        int | None, typer.Option("--cutoffs", min=1, help="How many cut-offs [default: 3].")
    ] = None,
    step_days: Annotated[
        int | None,
        typer.Option(
            "--step-days", min=1, help="Days between cut-offs [default: the label window]."
        ),
    ] = None,
) -> None:
    """Rolling-origin backtest: every candidate fitted and evaluated at several earlier
    cut-offs, reported per cut-off."""
    data = _run(
        ctx,
        lambda s: s.backtest(
            _day(as_of),
            _definition(s, label_days, active_days, activity_events),
            cutoffs=cutoffs,
            step_days=step_days,
        ),
    )

    def human(console: Console) -> None:
        for row in data["cutoffs"]:
            aucs = "  ".join(f"{k} {v:.4f}" for k, v in row["auc"].items())
            console.print(
                f"{row['held_out_cutoff'][:10]}  {row['held_out_rows']} rows  {aucs}  "
                f"-> {row['winner']}",
                highlight=False,
            )

    state(ctx).emit(data, human)


@app.command("score")
def score(
    ctx: typer.Context,
    as_of: AsOf = None,
    label_days: LabelDays = None,
    active_days: ActiveDays = None,
    activity_events: ActivityEvents = None,
) -> None:
    """Score the population with the promoted model (Metrics.ChurnRisk) and refresh
    the churn segment. The definition must be the model's own."""

    def action(service: Any) -> dict[str, Any]:
        result = service.score(
            _day(as_of), _definition(service, label_days, active_days, activity_events)
        )
        result["segment"] = service.refresh_segment()
        return dict(result)

    data = _run(ctx, action)
    state(ctx).emit(
        data,
        lambda c: c.print(
            f"Scored {data['scored']} endpoints; {data['at_risk']} at or above "
            f"{data['threshold']} (segment {data['segment']['segment_id']})",
            highlight=False,
        ),
    )


@app.command("campaign")
def campaign(
    ctx: typer.Context,
    as_of: AsOf = None,
    simulate_response: Annotated[
        bool,
        typer.Option("--simulate-response", help="Play out the following window (simulated data)."),
    ] = False,
) -> None:
    """Launch the retention campaign to the churn segment, with a holdout."""
    data = _run(ctx, lambda s: s.launch_retention(_day(as_of), simulate_response=simulate_response))
    state(ctx).emit(
        data,
        lambda c: c.print(
            f"Launched campaign {data['campaign_id']} run {data['run_id']}", highlight=False
        ),
    )


@app.command("report")
def report(
    ctx: typer.Context,
    label_days: LabelDays = None,
    active_days: ActiveDays = None,
    activity_events: ActivityEvents = None,
) -> None:
    """The latest evaluation (every candidate, the chosen one with DeLong intervals,
    the true probabilities for simulated data), the backtest and the retention uplift:
    JSON, plus an HTML page and PNG charts."""
    data = _run(ctx, lambda s: s.report(_definition(s, label_days, active_days, activity_events)))

    def human(console: Console) -> None:
        console.print(
            f"Chosen: {data['chosen']} ({data['model_id']}), AUC {data['auc']:.4f}  "
            f"PR-AUC {data['pr_auc']:.4f}  lift@10% {data['top_decile_lift']:.2f}",
            highlight=False,
        )
        for name, m in {**data["candidates"], "oracle": data.get("oracle")}.items():
            if m and m.get("auc") is not None:
                console.print(f"  {name:<9} AUC {m['auc']:.4f}", highlight=False)
        _print_selection(console, data["selection"])
        uplift = data.get("uplift") or {}
        if uplift.get("uplift") is not None:
            console.print(
                f"Uplift {uplift['uplift']:+.1%} "
                f"(95% CI {uplift['low']:+.1%} to {uplift['high']:+.1%})",
                highlight=False,
            )
        if "files" in data:
            console.print(f"Report: {data['files']['html']}", highlight=False)

    state(ctx).emit(data, human)


@app.command("demo")
def demo(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option("--customers", min=100)] = 1500,
    days: Annotated[int, typer.Option("--days", min=90)] = 150,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Simulate, train, score, segment, launch the retention campaign with a holdout,
    play out the following window and report. The history ends one label window before
    today, so the follow-up window ends today."""

    def action(service: Any) -> dict[str, Any]:
        as_of = (datetime.now(UTC) - timedelta(days=service.config.label_days)).date()
        steps: dict[str, Any] = {"as_of": as_of.isoformat()}
        steps["simulate"] = service.simulate(customers, days, seed, as_of)
        trained = service.train(as_of)
        steps["train"] = {
            k: trained[k] for k in ("model_id", "chosen", "auc", "pr_auc", "selection", "decision")
        }
        steps["backtest"] = service.backtest(as_of, cutoffs=2)
        steps["score"] = service.score(as_of)
        steps["segment"] = service.refresh_segment()
        steps["campaign"] = service.launch_retention(as_of, simulate_response=True)
        steps["report"] = service.report()
        return steps

    data = _run(ctx, action)

    def human(console: Console) -> None:
        r = data["report"]
        console.print(
            f"History to {data['as_of']}: {data['simulate']['endpoints']} endpoints, "
            f"{data['simulate']['events']} events",
            highlight=False,
        )
        aucs = "; ".join(f"{k} {m['auc']:.4f}" for k, m in r["candidates"].items())
        console.print(
            f"Held-out AUC: {aucs}; true probabilities "
            f"{(r['oracle'] or {}).get('auc', float('nan')):.4f}",
            highlight=False,
        )
        console.print(f"Chosen: {r['chosen']} ({r['decision']['reason']})", highlight=False)
        _print_selection(console, r["selection"])
        for row in data["backtest"]["cutoffs"]:
            console.print(
                f"Backtest {row['held_out_cutoff'][:10]}: "
                + ", ".join(f"{k} {v:.4f}" for k, v in row["auc"].items())
                + f" -> {row['winner']}",
                highlight=False,
            )
        console.print(
            f"Scored {data['score']['scored']}; churn segment {data['segment']['size']} endpoints",
            highlight=False,
        )
        u = r.get("uplift") or {}
        if u.get("uplift") is not None:
            console.print(
                f"Retention: treated {u['treated_rate']:.1%} vs holdout "
                f"{u['holdout_rate']:.1%}; uplift {u['uplift']:+.1%} "
                f"(95% CI {u['low']:+.1%} to {u['high']:+.1%})",
                highlight=False,
            )
        console.print(f"Report: {r['files']['html']}", highlight=False)

    state(ctx).emit(data, human)
