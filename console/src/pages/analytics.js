// Analytics: event counts per type over time for the project, and each campaign's KPIs
// (sent, delivered, opened, clicked, bounced, complained, unsubscribed and their rates)
// over time, per treatment and against the holdout, each table downloadable as CSV.
import { clarion, pinpoint } from "../api.js";
import { add, h, notice, table } from "../dom.js";
import { currentProject, link } from "../nav.js";
import { chart } from "./charts.js";

const COUNTS = ["sent", "delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"];

// Rates as the analytics service defines them, plus complaint and unsubscribe rates
// over delivered messages.
export function withRates(m) {
  const ratio = (a, b) => (b ? a / b : null);
  return {
    ...m,
    delivery_rate: ratio(m.delivered, m.sent),
    open_rate: ratio(m.opened, m.delivered),
    click_rate: ratio(m.clicked, m.delivered),
    bounce_rate: ratio(m.bounced, m.sent),
    complaint_rate: ratio(m.complained, m.delivered),
    unsubscribe_rate: ratio(m.unsubscribed, m.delivered),
  };
}

export async function analyticsPage(main) {
  const app = currentProject();
  const counts = (await clarion.eventCounts(app, {})).Item;
  const campaigns = (await pinpoint.getCampaigns(app)).Item || [];
  add(main, h("h1", {}, "Analytics"));
  add(main, 
    h("h2", {}, "Campaigns"),
    campaigns.length
      ? h("ul", {}, campaigns.map((c) => h("li", {}, h("a", { href: link(`analytics/campaigns/${c.Id}`), "data-link": true }, c.Name || c.Id))))
      : notice("No campaign yet."),
  );
  add(main, h("h2", {}, "Events per type"));
  if (!counts.length) {
    add(main, notice("No event recorded yet."));
    return;
  }
  const days = [...new Set(counts.map((r) => r.day))].sort();
  const types = [...new Set(counts.map((r) => r.event_type))].sort();
  const datasets = types.map((type) => ({
    label: type,
    data: days.map((day) => counts.find((r) => r.day === day && r.event_type === type)?.events || 0),
  }));
  add(main, 
    chart("bar", days, datasets, "Events per day and type"),
    table(
      [
        { label: "Day", key: "day" },
        { label: "Event type", key: "event_type" },
        { label: "Events", key: "events" },
        { label: "Endpoints", key: "endpoints" },
      ],
      counts,
      { csvName: `event-counts-${app}.csv` },
    ),
  );
}

export async function campaignAnalyticsPage(main, { id }) {
  const app = currentProject();
  const campaign = await pinpoint.getCampaign(app, id);
  const metrics = await clarion.campaignMetrics(app, id);
  add(main, 
    h("p", {}, h("a", { href: link("analytics"), "data-link": true }, "← Analytics"), " · ", h("a", { href: link(`campaigns/${id}`), "data-link": true }, "the campaign")),
    h("h1", {}, `Analytics: ${campaign.Name || id}`),
  );
  if (!metrics.days?.length && !metrics.treatments?.length) {
    add(main, notice("No delivery or engagement event for this campaign yet."));
    return;
  }
  const totals = withRates(metrics);
  add(main, 
    h(
      "div",
      { class: "kpis" },
      COUNTS.map((k) => h("div", { class: "kpi", "data-testid": `kpi-${k}` }, h("span", { class: "kpi-value" }, String(totals[k] ?? 0)), h("span", { class: "kpi-label" }, k))),
      ["delivery_rate", "open_rate", "click_rate", "bounce_rate", "complaint_rate", "unsubscribe_rate"].map((k) =>
        h("div", { class: "kpi" }, h("span", { class: "kpi-value" }, totals[k] === null ? "–" : `${(totals[k] * 100).toFixed(1)}%`), h("span", { class: "kpi-label" }, k.replace("_", " "))),
      ),
      h("div", { class: "kpi" }, h("span", { class: "kpi-value", "data-testid": "kpi-holdout" }, String(metrics.holdout?.endpoints ?? 0)), h("span", { class: "kpi-label" }, "holdout endpoints")),
    ),
  );
  const days = metrics.days.map((d) => d.day);
  add(main, 
    chart("line", days, COUNTS.map((k) => ({ label: k, data: metrics.days.map((d) => d[k]) })), "Per day"),
  );
  const treatments = metrics.treatments.map(withRates);
  const treatmentName = (tid) => {
    if (tid === "0" || tid === 0) return campaign.TreatmentName || "treatment A";
    const index = Number(tid) - 1;
    return campaign.AdditionalTreatments?.[index]?.TreatmentName || `treatment ${tid}`;
  };
  add(main, 
    chart("bar", COUNTS, treatments.map((t) => ({ label: treatmentName(t.treatment_id), data: COUNTS.map((k) => t[k]) })), "Per treatment"),
    h("h2", {}, "Per treatment (and the holdout)"),
    table(
      [
        { label: "Treatment", key: "name" },
        ...COUNTS.map((k) => ({ label: k, key: k })),
        ...["delivery_rate", "open_rate", "click_rate", "bounce_rate", "complaint_rate", "unsubscribe_rate"].map((k) => ({ label: k, key: k })),
      ],
      [...treatments.map((t) => ({ ...t, name: treatmentName(t.treatment_id) })), { name: "holdout", sent: 0, delivered: 0, opened: 0, clicked: 0, bounced: 0, complained: 0, unsubscribed: 0, endpoints: metrics.holdout?.endpoints ?? 0 }],
      { csvName: `treatments-${id}.csv` },
    ),
    h("h2", {}, "Per run"),
    table(
      [{ label: "Run", key: "run_id" }, { label: "Targeted", key: "endpoints_targeted" }, ...COUNTS.map((k) => ({ label: k, key: k }))],
      metrics.runs,
      { csvName: `runs-${id}.csv` },
    ),
    h("h2", {}, "Per day"),
    table([{ label: "Day", key: "day" }, ...COUNTS.map((k) => ({ label: k, key: k }))], metrics.days, { csvName: `days-${id}.csv` }),
  );
}
