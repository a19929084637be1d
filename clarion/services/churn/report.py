"""The churn report: the latest held-out evaluation (every candidate, the one chosen and
its lead with DeLong intervals, the current model and, for simulated data, the true
probabilities), the rolling-origin backtest and the retention uplift, as JSON and as an
HTML page with PNG charts (ROC, lift by decile, calibration, uplift)."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clarion.domain.churn.definition import ChurnDefinition, DefinitionMismatchError
from clarion.domain.churn.selection import CANDIDATES
from clarion.domain.common.errors import NotFoundError
from clarion.ports.churn import ChurnModelStore
from clarion.services.churn.retention import RetentionCampaigns
from clarion.services.churn.shared import BACKTEST_DOC, EVALUATION_DOC


class ChurnReport:
    """The report of the latest evaluation and retention campaign.

    Parameters
    ----------
    models
        The evaluation document and the promoted model.
    retention
        Measures the uplift.
    folder
        Where the report's files are written (``<folder>/churn/``); None to write none.
    """

    def __init__(
        self, models: ChurnModelStore, retention: RetentionCampaigns, folder: Path | None = None
    ) -> None:
        self._models = models
        self._retention = retention
        self._folder = folder

    def dashboard(self) -> dict[str, Any]:
        """What :meth:`report` answers, with no file written and the curves its charts
        draw (ROC, lift by decile, calibration) per scorer: the console's churn page.
        Raises NotFoundError."""
        data = ChurnReport(self._models, self._retention).report()
        evaluation = self._models.get_document(EVALUATION_DOC) or {}
        return {**data, "curves": evaluation.get("curves", {})}

    def report(self, definition: ChurnDefinition | None = None) -> dict[str, Any]:
        """The latest evaluation (every candidate, the chosen one, the current model,
        the oracle), the latest backtest of the same definition and the retention
        uplift, as JSON, and as an HTML page with PNG charts.

        Raises
        ------
        NotFoundError
            No model has been evaluated yet.
        DefinitionMismatchError
            ``definition`` is given and the latest evaluation was of another one.
        """
        evaluation = self._models.get_document(EVALUATION_DOC)
        if evaluation is None:
            raise NotFoundError("churn evaluation", "(none: run train first)")
        evaluated = ChurnDefinition.from_json(evaluation.get("definition"))
        if definition is not None and definition != evaluated:
            raise DefinitionMismatchError(
                f"the latest evaluation defines churn as {evaluated.describe()}, not "
                f"{definition.describe()}: run train with this definition first"
            )
        backtest = self._models.get_document(BACKTEST_DOC)
        if backtest and ChurnDefinition.from_json(backtest.get("definition")) != evaluated:
            backtest = None
        uplift = self._retention.uplift()
        metrics = evaluation["metrics"]
        chosen = evaluation["chosen"]
        data: dict[str, Any] = {
            "model_id": evaluation["model_id"],
            "chosen": chosen,
            "as_of": evaluation["as_of"],
            "definition": evaluated.to_json(),
            "held_out_window": evaluation["held_out_window"],
            "rows": evaluation["rows"],
            "auc": evaluation["auc"],
            "pr_auc": evaluation["pr_auc"],
            "top_decile_lift": evaluation["top_decile_lift"],
            "calibration_error": metrics[chosen]["calibration_error"],
            "candidates": {k: metrics[k] for k in CANDIDATES if k in metrics},
            "selection": evaluation["selection"],
            "oracle": metrics.get("oracle"),
            "current": metrics.get("current"),
            "decision": evaluation["decision"],
            "features": evaluation.get("features", []),
            "promoted": (p.model_id if (p := self._models.promoted()) else None),
            "backtest": backtest,
            "uplift": uplift,
        }
        if self._folder is not None:
            data["files"] = write_report(self._folder / "churn", data, evaluation["curves"])
        return data


# -- charts and the HTML page ---------------------------------------------------------

_LABELS = {
    "xgboost": "XGBoost",
    "logistic": "logistic regression",
    "btyd": "BG/NBD",
    "recency": "recency rule",
    "current": "current model",
    "oracle": "true probability",
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _plt().close(figure)
    return buffer.getvalue()


def _charts(data: Mapping[str, Any], curves: Mapping[str, Any]) -> dict[str, bytes]:
    plt = _plt()
    charts: dict[str, bytes] = {}
    figure, axes = plt.subplots(figsize=(5, 5))
    for name, curve in curves.items():
        xs, ys = zip(*curve["roc"], strict=True)
        known = {**data["candidates"], "oracle": data.get("oracle"), "current": data.get("current")}
        auc = known.get(name) or {}
        label = _LABELS.get(name, name)
        shown = f" (AUC {auc['auc']:.3f})" if auc.get("auc") is not None else ""
        axes.plot(xs, ys, label=label + shown)
    axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title(
        f"ROC, held-out window (chosen: {_LABELS[data['chosen']]}, AUC {data['auc']:.3f})"
    )
    axes.legend(fontsize=8)
    charts["roc"] = _png(figure)

    figure, axes = plt.subplots(figsize=(6, 4))
    width = 0.8 / max(1, len(curves))
    for k, (name, curve) in enumerate(curves.items()):
        axes.bar(
            [d + k * width for d in range(1, 11)],
            curve["lift"],
            width,
            label=_LABELS.get(name, name),
        )
    axes.axhline(1.0, color="#999", linestyle=":")
    axes.set_xlabel("decile by score (1 = highest risk)")
    axes.set_ylabel("lift")
    axes.set_title("Lift by decile")
    axes.legend(fontsize=8)
    charts["lift"] = _png(figure)

    figure, axes = plt.subplots(figsize=(5, 5))
    for name, curve in curves.items():
        bins = curve["calibration"]
        axes.plot(
            [b["mean_score"] for b in bins],
            [b["churn_rate"] for b in bins],
            marker="o",
            label=_LABELS.get(name, name),
        )
    axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
    axes.set_xlabel("mean predicted churn probability")
    axes.set_ylabel("observed churn rate")
    axes.set_title("Calibration")
    axes.legend(fontsize=8)
    charts["calibration"] = _png(figure)

    figure, axes = plt.subplots(figsize=(5, 4))
    uplift = data.get("uplift") or {}
    if uplift.get("uplift") is not None:
        rates = [uplift["holdout_rate"], uplift["treated_rate"]]
        axes.bar(["holdout", "treated"], rates, color=["#999", "#4c72b0"])
        axes.set_ylim(0, 1)
        axes.set_ylabel("retained in the window")
        axes.set_title(
            f"Uplift {uplift['uplift']:+.1%} (95% CI {uplift['low']:+.1%} to {uplift['high']:+.1%})"
        )
    else:
        axes.text(0.5, 0.5, "no retention campaign measured yet", ha="center")
        axes.set_axis_off()
    charts["uplift"] = _png(figure)
    return charts


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return html.escape("—" if value is None else str(value))


def write_report(
    folder: Path, data: Mapping[str, Any], curves: Mapping[str, Any]
) -> dict[str, Any]:
    """Write ``report.json``, ``report.html`` and the PNG charts; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = _charts(data, curves)
    paths: dict[str, str] = {}
    for name, png in charts.items():
        path = folder / f"{name}.png"
        path.write_bytes(png)
        paths[name] = str(path)
    rows = [(name, m) for name, m in data["candidates"].items()]
    if data.get("current"):
        rows.append(("current", data["current"]))
    if data.get("oracle"):
        rows.append(("oracle", data["oracle"]))
    columns = ("auc", "pr_auc", "top_decile_lift", "calibration_error")
    table = "".join(
        f"<tr><td>{html.escape(_LABELS.get(name, name))}"
        + (" (chosen)" if name == data["chosen"] else "")
        + "</td>"
        + "".join(f"<td>{_cell((m or {}).get(c))}</td>" for c in columns)
        + "</tr>"
        for name, m in rows
    )
    leads = "".join(
        f"<tr><td>{html.escape(_LABELS.get(c['b'], c['b']))}</td><td>{_cell(c['difference'])}</td>"
        f"<td>{_cell(c['low'])} to {_cell(c['high'])}</td><td>{_cell(c['p_value'])}</td></tr>"
        for c in data["selection"]["comparisons"]
    )
    backtest = data.get("backtest") or {}
    backtest_rows = "".join(
        f"<tr><td>{html.escape(r['held_out_cutoff'])}</td><td>{r['held_out_rows']}</td>"
        + "".join(f"<td>{_cell(r['auc'].get(k))}</td>" for k in CANDIDATES)
        + f"<td>{html.escape(_LABELS.get(r['winner'], r['winner']))}</td></tr>"
        for r in backtest.get("cutoffs", [])
    )
    backtest_text = (
        "<h2>Rolling-origin backtest</h2><table><thead><tr><th>held-out cut-off</th>"
        "<th>rows</th>"
        + "".join(f"<th>{html.escape(_LABELS[k])}</th>" for k in CANDIDATES)
        + f"<th>chosen</th></tr></thead><tbody>{backtest_rows}</tbody></table>"
        if backtest_rows
        else "<p>No backtest of this definition yet (clarion churn backtest).</p>"
    )
    uplift = data.get("uplift") or {}
    uplift_text = (
        f"<p>Treated {uplift['treated']} retained {uplift['treated_rate']:.1%}; holdout "
        f"{uplift['holdout']} retained {uplift['holdout_rate']:.1%}. Uplift "
        f"{uplift['uplift']:+.1%}, 95% interval {uplift['low']:+.1%} to {uplift['high']:+.1%} "
        "(Newcombe's hybrid Wilson interval).</p>"
        if uplift.get("uplift") is not None
        else "<p>No retention uplift measured yet.</p>"
    )
    images = "".join(
        f'<figure><img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        "</figure>"
        for name, png in charts.items()
    )
    window = data["held_out_window"]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Churn model report</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "figure{display:inline-block;margin:0 1em 1em 0}</style></head><body>"
        f"<h1>Churn model {html.escape(str(data['model_id']))}</h1>"
        f"<p>Churn: {html.escape(ChurnDefinition.from_json(data['definition']).describe())}."
        f" Chosen by held-out ROC-AUC: {html.escape(_LABELS[data['chosen']])}.</p>"
        f"<p>Held-out window: features before {html.escape(window['features_before'])}, "
        f"churn measured until {html.escape(window['labels_until'])}; {data['rows']} endpoints. "
        f"Decision: {html.escape(data['decision']['reason'])}.</p>"
        "<table><thead><tr><th>scorer</th><th>ROC-AUC</th><th>PR-AUC</th>"
        "<th>top-decile lift</th><th>calibration error</th></tr></thead>"
        f"<tbody>{table}</tbody></table>"
        "<h2>The chosen scorer's lead (ROC-AUC difference, 95% DeLong interval)</h2>"
        "<table><thead><tr><th>against</th><th>difference</th><th>interval</th>"
        f"<th>p-value</th></tr></thead><tbody>{leads}</tbody></table>"
        f"{backtest_text}"
        f"<h2>Retention campaign</h2>{uplift_text}<h2>Charts</h2>{images}"
        "<p>Definitions: docs/churn.md.</p></body></html>"
    )
    html_path = folder / "report.html"
    html_path.write_text(page, "utf-8")
    json_path = folder / "report.json"
    json_path.write_text(
        json.dumps({k: v for k, v in data.items() if k != "files"}, indent=2, default=str), "utf-8"
    )
    return {"html": str(html_path), "json": str(json_path), "charts": paths}
