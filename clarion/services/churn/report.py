"""The churn report: the latest held-out evaluation (the model beside its baselines and
the true probabilities) and the retention uplift, as JSON and as an HTML page with PNG
charts (ROC, lift by decile, calibration, uplift)."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clarion.domain.common.errors import NotFoundError
from clarion.ports.churn import ChurnModelStore
from clarion.services.churn.retention import RetentionCampaigns
from clarion.services.churn.shared import EVALUATION_DOC


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

    def report(self) -> dict[str, Any]:
        """The latest evaluation (model, baselines, oracle) and the retention uplift, as
        JSON, and as an HTML page with PNG charts (ROC, lift, calibration, uplift).

        Raises
        ------
        NotFoundError
            No model has been evaluated yet.
        """
        evaluation = self._evaluation()
        data = self._data(evaluation)
        if self._folder is not None:
            data["files"] = write_report(self._folder / "churn", data, evaluation["curves"])
        return data

    def dashboard(self) -> dict[str, Any]:
        """What :meth:`report` answers, with the curves the charts draw (ROC, lift by
        decile, calibration) per model, and no file written: the console's churn page.
        Raises NotFoundError."""
        evaluation = self._evaluation()
        return {**self._data(evaluation), "curves": evaluation["curves"]}

    def _evaluation(self) -> dict[str, Any]:
        evaluation = self._models.get_document(EVALUATION_DOC)
        if evaluation is None:
            raise NotFoundError("churn evaluation", "(none: run train first)")
        return evaluation

    def _data(self, evaluation: Mapping[str, Any]) -> dict[str, Any]:
        uplift = self._retention.uplift()
        metrics = evaluation["metrics"]
        data: dict[str, Any] = {
            "model_id": evaluation["model_id"],
            "as_of": evaluation["as_of"],
            "held_out_window": evaluation["held_out_window"],
            "rows": evaluation["rows"],
            "auc": evaluation["auc"],
            "pr_auc": evaluation["pr_auc"],
            "top_decile_lift": evaluation["top_decile_lift"],
            "calibration_error": metrics["model"]["calibration_error"],
            "baselines": {k: metrics[k] for k in ("logistic", "recency") if k in metrics},
            "oracle": metrics.get("oracle"),
            "current": metrics.get("current"),
            "decision": evaluation["decision"],
            "promoted": (p.model_id if (p := self._models.promoted()) else None),
            "uplift": uplift,
        }
        return data


# -- charts and the HTML page ---------------------------------------------------------

_LABELS = {
    "model": "XGBoost (candidate)",
    "current": "current model",
    "logistic": "logistic regression",
    "recency": "recency rule",
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
        auc = (data["oracle"] if name == "oracle" else None) or {}
        label = _LABELS.get(name, name)
        axes.plot(xs, ys, label=f"{label}" + (f" (AUC {auc['auc']:.3f})" if auc else ""))
    axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title(f"ROC, held-out window (model AUC {data['auc']:.3f})")
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
    rows = [
        (
            "model",
            data["auc"]
            and {
                "auc": data["auc"],
                "pr_auc": data["pr_auc"],
                "top_decile_lift": data["top_decile_lift"],
                "calibration_error": data["calibration_error"],
            },
        )
    ]
    rows += [(name, m) for name, m in data["baselines"].items()]
    if data.get("current"):
        rows.append(("current", data["current"]))
    if data.get("oracle"):
        rows.append(("oracle", data["oracle"]))
    columns = ("auc", "pr_auc", "top_decile_lift", "calibration_error")
    table = "".join(
        f"<tr><td>{html.escape(_LABELS.get(name, name))}</td>"
        + "".join(f"<td>{_cell((m or {}).get(c))}</td>" for c in columns)
        + "</tr>"
        for name, m in rows
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
        f"<p>Held-out window: features before {html.escape(window['features_before'])}, "
        f"churn measured until {html.escape(window['labels_until'])}; {data['rows']} endpoints. "
        f"Decision: {html.escape(data['decision']['reason'])}.</p>"
        "<table><thead><tr><th>scorer</th><th>ROC-AUC</th><th>PR-AUC</th>"
        "<th>top-decile lift</th><th>calibration error</th></tr></thead>"
        f"<tbody>{table}</tbody></table>"
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
