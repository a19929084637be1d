"""Campaign reports: PNG charts and one self-contained HTML page.

Charts (matplotlib, Agg backend, no display needed): the funnel (sent, delivered,
opened, clicked, converted), the rates per treatment, sends and opens per day, and the
lift: each treatment's and the holdout's conversion rate with their 95% intervals, and
the difference's. The HTML page embeds the PNGs as base64 ``data:`` URLs and holds the
metric and conversion tables, so it can be mailed or archived as one file. Everything is
written under ``<reports>/<campaign id>/``.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarion.domain.common.ids import check_id
from clarion.domain.common.intervals import wilson_interval
from clarion.services.analytics.service import COUNT_COLUMNS, RATE_COLUMNS, AnalyticsService

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
FUNNEL = ("sent", "delivered", "opened", "clicked", "converted")


@dataclass(frozen=True)
class Report:
    """Where a report was written."""

    html: Path
    charts: dict[str, Path]

    def to_json(self) -> dict[str, Any]:
        return {"html": str(self.html), "charts": {k: str(v) for k, v in self.charts.items()}}


def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to PNG
    from matplotlib import pyplot as plt

    return plt


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _figure().close(figure)
    return buffer.getvalue()


def funnel_chart(metrics: dict[str, Any]) -> bytes:
    """Messages sent, delivered, opened, clicked and credited with a conversion (of the
    first goal)."""
    plt = _figure()
    figure, axes = plt.subplots(figsize=(6.5, 3.5))
    steps = metrics.get("funnel") or {name: metrics.get(name) for name in FUNNEL}
    values = [int(steps.get(name) or 0) for name in FUNNEL]
    colours = ["#4c72b0", "#55a868", "#c44e52", "#8172b2", "#dd8452"]
    bars = axes.bar(list(FUNNEL), values, color=colours)
    axes.bar_label(bars)
    goal = steps.get("goal")
    axes.set_title(
        f"Funnel: campaign {metrics['campaign_id']}" + (f" (converted: {goal})" if goal else "")
    )
    axes.set_ylabel("messages")
    return _png(figure)


def lift_chart(goal: dict[str, Any]) -> bytes:
    """Conversion rates of every treatment and of the holdout (the experiment: every
    assigned endpoint) with their 95% Wilson intervals, and the treated-against-holdout
    difference with Newcombe's."""
    plt = _figure()
    figure, (rates, difference) = plt.subplots(
        1, 2, figsize=(8.5, 3.5), gridspec_kw={"width_ratios": [3, 1.4]}
    )
    incrementality = goal["incrementality"]
    groups = [
        (f"treatment {t['treatment_id']}", t["converted_endpoints"], t["endpoints"])
        for t in incrementality["treatments"]
    ]
    lift = incrementality.get("lift")
    if lift:
        holdout = lift["holdout"]
        groups.append(("holdout", holdout["converted_endpoints"], holdout["endpoints"]))
    labels: list[str] = []
    heights: list[float] = []
    errors: list[list[float]] = [[], []]
    for label, converted, n in groups:
        rate = converted / n if n else 0.0
        low, high = wilson_interval(converted, n)
        labels.append(f"{label}\n{converted}/{n}")
        heights.append(rate)
        errors[0].append(rate - low)
        errors[1].append(high - rate)
    colours = ["#4c72b0"] * (len(groups) - (1 if lift else 0)) + (["#8c8c8c"] if lift else [])
    rates.bar(labels, heights, yerr=errors, capsize=6, color=colours)
    rates.set_ylim(0, 1)
    rates.set_ylabel("conversion rate")
    rates.set_title(f"{goal['goal']}: treated against holdout (95% intervals)")
    if lift:
        d = lift["conversion_rate_difference"]
        difference.errorbar(
            [0], [d["difference"]],
            yerr=[[d["difference"] - d["low"]], [d["high"] - d["difference"]]],
            fmt="o", capsize=8, color="#c44e52",
        )  # fmt: skip
        difference.axhline(0, color="#555", linewidth=0.8)
        difference.set_xticks([0], ["treated - holdout"])
        difference.set_xlim(-1, 1)
        difference.set_title(f"lift {d['difference']:+.1%}")
    else:
        difference.set_axis_off()
        difference.text(0.5, 0.5, incrementality.get("reason", ""), ha="center", wrap=True)
    return _png(figure)


def rates_chart(treatments: list[dict[str, Any]]) -> bytes:
    plt = _figure()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / max(1, len(treatments))
    for i, treatment in enumerate(treatments):
        positions = [j + i * width for j in range(len(RATE_COLUMNS))]
        values = [treatment[name] or 0.0 for name in RATE_COLUMNS]
        axes.bar(positions, values, width, label=f"treatment {treatment['treatment_id']}")
    axes.set_xticks([j + 0.4 - width / 2 for j in range(len(RATE_COLUMNS))], list(RATE_COLUMNS))
    axes.set_ylim(0, 1)
    axes.set_title("Rates per treatment")
    if treatments:
        axes.legend()
    return _png(figure)


def timeline_chart(days: list[dict[str, Any]]) -> bytes:
    plt = _figure()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    labels = [day["day"] for day in days]
    axes.plot(labels, [day["sent"] for day in days], marker="o", label="sent")
    axes.plot(labels, [day["opened"] for day in days], marker="o", label="opened (unique)")
    axes.set_title("Sends and opens per day (UTC)")
    axes.legend()
    figure.autofmt_xdate()
    return _png(figure)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.1%}"
        return html.escape("—" if value is None else str(value))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


ATTRIBUTED_COLUMNS = [
    "endpoints",
    "messages",
    "converted_endpoints",
    "conversions",
    "conversion_rate",
    "revenue",
    "avg_seconds_to_convert",
    "clicked_messages",
    "click_to_conversion_rate",
]
ARM_COLUMNS = ["endpoints", "converted_endpoints", "conversion_rate", "conversions", "revenue"]


def _signed(value: float | None, percent: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value:+.1%}" if percent else f"{value:+,.2f}"


def _conversions_html(conversions: dict[str, Any] | None) -> str:
    if not conversions:
        return ""
    parts = []
    for goal in conversions["goals"]:
        name = html.escape(str(goal["goal"]))
        events = html.escape(", ".join(goal["event_types"]))
        rows = [{"group": "total", **goal["attributed"]}]
        rows += [{"group": f"treatment {t['treatment_id']}", **t} for t in goal["treatments"]]
        if goal["holdout"]:
            rows.append({"group": "holdout (would-be messages)", **goal["holdout"]})
        incrementality = goal["incrementality"]
        lift = incrementality.get("lift")
        if lift:
            d = lift["conversion_rate_difference"]
            verdict = "significant" if d["significant"] else "not significant"
            revenue = lift["incremental_revenue"]
            lift_text = (
                f"<p>Treated {lift['treated']['converted_endpoints']}/"
                f"{lift['treated']['endpoints']} converted against holdout "
                f"{lift['holdout']['converted_endpoints']}/{lift['holdout']['endpoints']}: "
                f"difference {_signed(d['difference'])} (95% interval {_signed(d['low'])} to "
                f"{_signed(d['high'])}, {verdict}). Caused by the messages: "
                f"{lift['incremental_converted_endpoints']['estimate']:+.1f} converted "
                f"endpoints, {_signed(revenue['estimate'], False)} "
                f"{html.escape(goal['currency'])} revenue"
                + (
                    f" ({_signed(revenue['low'], False)} to {_signed(revenue['high'], False)})"
                    if revenue["low"] is not None
                    else ""
                )
                + ".</p>"
            )
            arms = [
                {"group": "treated", **lift["treated"]},
                {"group": "holdout", **lift["holdout"]},
            ]
            arms += [
                {"group": f"treatment {t['treatment_id']}", **t}
                for t in incrementality["treatments"]
            ]
            lift_text += _table(arms, ["group", *ARM_COLUMNS])
        else:
            lift_text = f"<p>Incrementality: {html.escape(incrementality['reason'])}.</p>"
        ab = goal.get("ab_test")
        ab_text = (
            f"<p>A/B on conversions: treatment {html.escape(str(ab['leader']))} leads; "
            + ("it is the winner." if ab["winner"] else "no clear winner yet.")
            + "</p>"
            if ab
            else ""
        )
        window = (
            "" if goal["window_complete"]
            else f"<p>The window is still open until {html.escape(str(goal['window_end']))}.</p>"
        )  # fmt: skip
        parts.append(
            f"<h2>Conversions: {name}</h2><p>Events {events}; window "
            f"{html.escape(goal['attribution_window'])}, "
            f"{html.escape(goal['attribution_model'].lower().replace('_', ' '))}; revenue "
            f"{html.escape(goal['revenue'])} in {html.escape(goal['currency'])}.</p>"
            + window
            + _table(rows, ["group", *ATTRIBUTED_COLUMNS])
            + "<h3>Caused by the messages (treated against the holdout)</h3>"
            + lift_text
            + ab_text
        )
    return "".join(parts)


def render_html(metrics: dict[str, Any], charts: dict[str, bytes]) -> str:
    """The report page: metric tables and the charts, embedded."""
    campaign = html.escape(str(metrics["campaign_id"]))
    images = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode()}"></figure>'
        for name, data in charts.items()
    )
    columns = [*COUNT_COLUMNS, *RATE_COLUMNS]
    holdout = metrics.get("holdout")
    holdout_text = (
        f"<p>Holdout: {int(holdout['endpoints'])} endpoints held out (no message sent).</p>"
        if holdout
        else "<p>No holdout.</p>"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Campaign {campaign}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "figure{display:inline-block;margin:0 1em 1em 0}</style></head><body>"
        f"<h1>Campaign {campaign}</h1>"
        "<h2>Totals</h2>"
        + _table([metrics], columns)
        + "<h2>Per treatment</h2>"
        + _table(metrics["treatments"], ["treatment_id", *columns])
        + holdout_text
        + "<h2>Per run</h2>"
        + _table(metrics["runs"], ["run_id", "endpoints_targeted", "emails_opened", *columns])
        + "<h2>Per day</h2>"
        + _table(metrics["days"], ["day", *columns])
        + _conversions_html(metrics.get("conversions"))
        + f"<h2>Charts</h2>{images}"
        + "<p>Definitions: docs/analytics.md.</p></body></html>"
    )


class ReportService:
    """Writes campaign reports under ``folder``."""

    def __init__(self, analytics: AnalyticsService, folder: Path) -> None:
        self._analytics = analytics
        self._folder = folder

    def campaign_report(self, campaign_id: str) -> Report:
        """Write the report of ``campaign_id`` under its folder. Raises
        InvalidRecordError for an id that cannot name a folder (the id rule)."""
        # The id names the report's folder: the id rule keeps ``..`` from leaving it.
        name = _SAFE_NAME.sub("_", check_id(campaign_id, "CampaignId"))
        metrics = self._analytics.campaign_metrics(campaign_id).to_json()
        charts = {
            "funnel": funnel_chart(metrics),
            "rates": rates_chart(metrics["treatments"]),
            "timeline": timeline_chart(metrics["days"]),
        }
        goals = (metrics.get("conversions") or {}).get("goals") or []
        if goals:
            charts["lift"] = lift_chart(goals[0])
        folder = self._folder / name
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, data in charts.items():
            path = folder / f"{name}.png"
            path.write_bytes(data)
            paths[name] = path
        page = folder / "report.html"
        page.write_text(render_html(metrics, charts), encoding="utf-8")
        return Report(page, paths)
