"""Campaign reports: PNG charts and one self-contained HTML page.

Charts (matplotlib, Agg backend, no display needed): the funnel (sent, delivered,
opened, clicked), the rates per treatment, and sends and opens per day. The HTML page
embeds the PNGs as base64 ``data:`` URLs and holds the metric tables, so it can be
mailed or archived as one file. Everything is written under ``<reports>/<campaign id>/``.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarion.services.analytics.service import COUNT_COLUMNS, RATE_COLUMNS, AnalyticsService

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
FUNNEL = ("sent", "delivered", "opened", "clicked")


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
    plt = _figure()
    figure, axes = plt.subplots(figsize=(6, 3.5))
    values = [int(metrics[name]) for name in FUNNEL]
    bars = axes.bar(list(FUNNEL), values, color=["#4c72b0", "#55a868", "#c44e52", "#8172b2"])
    axes.bar_label(bars)
    axes.set_title(f"Funnel: campaign {metrics['campaign_id']}")
    axes.set_ylabel("messages")
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
        + f"<h2>Charts</h2>{images}"
        + "<p>Definitions: docs/analytics.md.</p></body></html>"
    )


class ReportService:
    """Writes campaign reports under ``folder``."""

    def __init__(self, analytics: AnalyticsService, folder: Path) -> None:
        self._analytics = analytics
        self._folder = folder

    def campaign_report(self, campaign_id: str) -> Report:
        metrics = self._analytics.campaign_metrics(campaign_id).to_json()
        charts = {
            "funnel": funnel_chart(metrics),
            "rates": rates_chart(metrics["treatments"]),
            "timeline": timeline_chart(metrics["days"]),
        }
        folder = self._folder / (_SAFE_NAME.sub("_", campaign_id) or "campaign")
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, data in charts.items():
            path = folder / f"{name}.png"
            path.write_bytes(data)
            paths[name] = path
        page = folder / "report.html"
        page.write_text(render_html(metrics, charts), encoding="utf-8")
        return Report(page, paths)
