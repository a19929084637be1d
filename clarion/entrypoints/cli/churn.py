"""``clarion churn``: simulate history, train, score, keep the churn segment, launch
the retention campaign and report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console

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


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _run(ctx: typer.Context, action: Any) -> Any:
    cli = state(ctx)
    try:
        return action(cli.bootstrap.churn_service)
    except (NotFoundError, ValueError, RuntimeError) as exc:
        raise cli.fail(str(exc)) from None


def _print_metrics(console: Console, data: dict[str, Any]) -> None:
    console.print(f"Model {data['model_id']} (as of {data['as_of']})", highlight=False)
    for name, m in (data.get("metrics") or {}).items():
        if m:
            console.print(
                f"  {name:<9} AUC {m['auc']:.4f}  PR-AUC {m['pr_auc']:.4f}  "
                f"top-decile lift {m['top_decile_lift']:.2f}",
                highlight=False,
            )
    console.print(f"Decision: {data['decision']['reason']}", highlight=False)


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
def train(ctx: typer.Context, as_of: AsOf = None) -> None:
    """Train a candidate, evaluate it on the held-out window, promote it if better."""
    data = _run(ctx, lambda s: s.train(_day(as_of)))
    data = {k: v for k, v in data.items() if k != "curves"}
    state(ctx).emit(data, lambda c: _print_metrics(c, data))


@app.command("score")
def score(ctx: typer.Context, as_of: AsOf = None) -> None:
    """Score active endpoints with the promoted model (Metrics.ChurnRisk) and refresh
    the churn segment."""

    def action(service: Any) -> dict[str, Any]:
        result = service.score(_day(as_of))
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
def report(ctx: typer.Context) -> None:
    """The latest evaluation beside baselines and the true probabilities, and the
    retention uplift: JSON, plus an HTML page and PNG charts."""
    data = _run(ctx, lambda s: s.report())

    def human(console: Console) -> None:
        console.print(
            f"AUC {data['auc']:.4f}  PR-AUC {data['pr_auc']:.4f}  "
            f"lift@10% {data['top_decile_lift']:.2f}",
            highlight=False,
        )
        for name, m in {**data["baselines"], "oracle": data.get("oracle")}.items():
            if m:
                console.print(f"  {name:<9} AUC {m['auc']:.4f}", highlight=False)
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
        steps["train"] = {k: trained[k] for k in ("model_id", "auc", "pr_auc", "decision")}
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
        console.print(
            f"Model AUC {r['auc']:.4f}; logistic {r['baselines']['logistic']['auc']:.4f}; "
            f"recency {r['baselines']['recency']['auc']:.4f}; "
            f"true probabilities {(r['oracle'] or {}).get('auc', float('nan')):.4f}",
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
