// Churn and sentiment: the churn model beside its baselines with its calibration chart
// and the retention uplift; sentiment over time, top negative authors, influencers and
// prospects. Both read Clarion extensions (GetChurnReport, GetSentimentReport).
import { clarion } from "../api.js";
import { add, h, notice, table } from "../dom.js";
import { currentProject } from "../nav.js";
import { chart } from "./charts.js";

const LABELS = { xgboost: "XGBoost", btyd: "BG/NBD", logistic: "logistic regression", recency: "recency rule", current: "current model", oracle: "true probability" };
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
const num = (v) => (v === null || v === undefined ? "–" : Number(v).toFixed(3));

export async function churnPage(main) {
  add(main, h("h1", {}, "Churn"));
  const report = await clarion.churnReport(currentProject());
  if (!report.Evaluated) {
    add(main, notice("No churn model has been evaluated in this project yet (clarion churn train)."));
    return;
  }
  // Every candidate scorer (the chosen one marked) beside the true probability.
  const models = [
    ...Object.entries(report.candidates || report.baselines || {}).map(([name, m]) => ({ name, ...m })),
    ...(report.oracle ? [{ name: "oracle", ...report.oracle }] : []),
  ].map((m) => ({ ...m, label: `${LABELS[m.name] || m.name}${m.name === report.chosen ? " (chosen)" : ""}` }));
  const uplift = report.uplift;
  const curves = report.curves || {};
  const names = Object.keys(curves);
  add(
    main,
    h("p", {}, `Model ${report.model_id} (${LABELS[report.chosen] || report.chosen || "model"}) as of ${report.as_of} · ${report.rows} endpoints held out · ${report.decision?.promote ? "promoted" : `not promoted: ${report.decision?.reason || ""}`}`),
    h("h2", {}, "The chosen scorer beside the other candidates"),
    table(
      [
        { label: "Model", key: "label" },
        { label: "AUC", render: (m) => num(m.auc) },
        { label: "PR-AUC", render: (m) => num(m.pr_auc) },
        { label: "Lift in the top decile", render: (m) => num(m.top_decile_lift) },
        { label: "Calibration error", render: (m) => num(m.calibration_error) },
      ],
      models,
      { csvName: "churn-models.csv" },
    ),
    names.length
      ? chart(
          "line",
          undefined,
          names.map((name) => ({ label: LABELS[name] || name, data: (curves[name].calibration || []).map((b) => ({ x: b.mean_score, y: b.churn_rate })) })),
          "Calibration: observed churn rate (y) by mean predicted probability (x)",
          { linearX: true },
        )
      : null,
    h("h2", {}, "Retention uplift"),
    uplift && uplift.uplift !== null && uplift.uplift !== undefined
      ? h("p", { "data-testid": "uplift" }, `Retention uplift ${pct(uplift.uplift)} (95% interval ${pct(uplift.low)} to ${pct(uplift.high)}) against the holdout.`)
      : notice("No retention campaign has run long enough to measure uplift."),
  );
}

export async function sentimentPage(main) {
  const report = await clarion.sentimentReport(currentProject());
  const rows = report.by_day_platform_sentiment || [];
  add(main, h("h1", {}, "Sentiment"));
  if (!rows.length) {
    add(main, notice("No social post has been scored in this project yet."));
  } else {
    const days = [...new Set(rows.map((r) => r.day))].sort();
    const kinds = [...new Set(rows.map((r) => r.sentiment))].sort();
    add(
      main,
      chart("bar", days, kinds.map((k) => ({ label: k, data: days.map((d) => rows.filter((r) => r.day === d && r.sentiment === k).reduce((a, r) => a + r.posts, 0)) })), "Posts per day by sentiment"),
      table([{ label: "Day", key: "day" }, { label: "Platform", key: "platform" }, { label: "Sentiment", key: "sentiment" }, { label: "Posts", key: "posts" }], rows, { csvName: "sentiment-by-day.csv" }),
    );
  }
  const authors = (list) => (list?.length ? table(Object.keys(list[0]).map((k) => ({ label: k, key: k })), list, { csvName: "authors.csv" }) : notice("None."));
  add(
    main,
    h("h2", {}, "Top negative authors"), authors(report.top_negative_authors),
    h("h2", {}, "Influencers"), authors(report.influencers),
    h("h2", {}, "Prospects"), authors(report.prospects),
  );
}
