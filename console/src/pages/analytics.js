// Analytics: event counts per type over time for the project, and each campaign's KPIs
// (sent, delivered, opened, clicked, bounced, complained, unsubscribed and their rates)
// over time, per treatment and against the holdout, each table downloadable as CSV; the
// campaign's conversions (GetCampaignMetrics' `conversions`, and the conversion KPIs of
// GetCampaignDateRangeKpi per day); a journey's engagement KPIs (GetJourneyDateRangeKpi)
// and its conversions (GetJourneyConversions).
import { call, clarion, pinpoint } from "../api.js";
import { add, h, notice, table } from "../dom.js";
import { currentProject, link } from "../nav.js";
import { chart } from "./charts.js";

const COUNTS = ["sent", "delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"];
const RATES = ["delivery_rate", "open_rate", "click_rate", "bounce_rate", "complaint_rate", "unsubscribe_rate"];
const asPercent = (v) => (v === null || v === undefined ? null : Math.round(v * 10000) / 100);

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
  const journeys = await listJourneys(app);
  add(main, h("h1", {}, "Analytics"));
  add(main, 
    h("h2", {}, "Campaigns"),
    campaigns.length
      ? h("ul", {}, campaigns.map((c) => h("li", {}, h("a", { href: link(`analytics/campaigns/${c.Id}`), "data-link": true }, c.Name || c.Id))))
      : notice("No campaign yet."),
    h("h2", {}, "Journeys"),
    journeys === null
      ? notice("Journeys are not offered by this API yet.")
      : journeys.length
        ? h("ul", {}, journeys.map((j) => h("li", {}, h("a", { href: link(`analytics/journeys/${j.Id}`), "data-link": true }, j.Name || j.Id))))
        : notice("No journey yet."),
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
  const dayRates = metrics.days.map(withRates);
  add(main, 
    chart("line", days, COUNTS.map((k) => ({ label: k, data: metrics.days.map((d) => d[k]) })), "Per day"),
    chart("line", days, RATES.map((k) => ({ label: k.replace("_", " "), data: dayRates.map((d) => asPercent(d[k])) })), "Rates per day (%)"),
  );
  const treatments = metrics.treatments.map(withRates);
  const treatmentName = (tid) => {
    if (tid === "0" || tid === 0) return campaign.TreatmentName || "treatment A";
    const index = Number(tid) - 1;
    return campaign.AdditionalTreatments?.[index]?.TreatmentName || `treatment ${tid}`;
  };
  add(main, 
    chart("bar", COUNTS, treatments.map((t) => ({ label: treatmentName(t.treatment_id), data: COUNTS.map((k) => t[k]) })), "Per treatment"),
    chart("bar", RATES.map((k) => k.replace("_", " ")), treatments.map((t) => ({ label: treatmentName(t.treatment_id), data: RATES.map((k) => asPercent(t[k])) })), "Rates per treatment (%)"),
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
    table([{ label: "Day", key: "day" }, ...COUNTS.map((k) => ({ label: k, key: k })), ...RATES.map((k) => ({ label: k, key: k }))], dayRates, { csvName: `days-${id}.csv` }),
  );
  add(main, await campaignConversions(app, campaign, metrics, treatmentName));
}

async function listJourneys(app) {
  try {
    return (await call("GET", `/v1/apps/${encodeURIComponent(app)}/journeys`, undefined, { query: { "page-size": 100 } })).Item || [];
  } catch (error) {
    if (error.status === 405) return null; // an API without the journeys engine
    throw error;
  }
}

// -- conversions ------------------------------------------------------------------------

const ATTRIBUTED = [
  ["endpoints", "endpoints"],
  ["messages", "messages"],
  ["conversions", "conversions"],
  ["converted_endpoints", "converted endpoints"],
  ["conversion_rate", "conversion rate"],
  ["revenue", "revenue"],
  ["revenue_excluded_conversions", "other-currency conversions"],
  ["avg_seconds_to_convert", "avg seconds to convert"],
  ["clicked_messages", "clicked messages"],
  ["click_to_conversion_rate", "click to conversion rate"],
];

const percent = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
const signedPercent = (v) => (v === null || v === undefined ? "–" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)} pts`);
const number = (v, digits = 2) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

// KpiResult rows → [{group, Key: value...}] (values as numbers).
export function kpiRows(response) {
  return (response?.KpiResult?.Rows || []).map((row) => {
    const out = { group: row.GroupedBys?.[0]?.Value ?? "" };
    for (const v of row.Values || []) out[v.Key] = v.Type === "Double" ? Number(v.Value) : v.Value;
    return out;
  });
}

function dayRange(startIso) {
  const start = startIso ? new Date(startIso) : new Date(Date.now() - 31 * 86_400_000);
  start.setUTCHours(0, 0, 0, 0);
  const end = new Date(Date.now() + 86_400_000);
  return [start.toISOString().replace(".000Z", "Z"), end.toISOString().replace(/\.\d{3}Z$/, "Z")];
}

// One goal's figures: the attributed table (total, per treatment or activity, holdout,
// per run), the lift over the holdout with its interval, the A/B comparison, and
// conversions by days after the message.
function goalSection(goal, { scope, groupName, groups }) {
  const rows = [
    { name: "total (messages)", ...goal.attributed },
    ...groups.map((g) => ({ ...g.row, name: g.name })),
    ...(goal.holdout ? [{ name: "holdout", ...goal.holdout }] : []),
    ...(goal.runs || []).map((r) => ({ name: `run ${String(r.run_id).slice(0, 8)}`, ...r })),
  ];
  const lift = goal.incrementality?.lift;
  const a = goal.attributed || {};
  const after = goal.days_after_message || [];
  const lags = [...new Set(after.map((r) => r.days_after_message))].sort((x, y) => x - y);
  const arms = [...new Set(after.map((r) => r.arm))];
  const ab = goal.ab_test;
  return h(
    "section",
    { class: "card conversions", "data-goal": goal.goal },
    h("h3", {}, `Goal ${goal.goal}: ${(goal.event_types || []).join(", ")} within ${goal.attribution_window}, ${String(goal.attribution_model || "").toLowerCase().replace("_", " ")} (${goal.currency})`),
    h(
      "div",
      { class: "kpis" },
      [
        ["conversions", String(a.conversions ?? 0)],
        ["converted-endpoints", String(a.converted_endpoints ?? 0)],
        ["conversion-rate", percent(a.conversion_rate)],
        ["revenue", `${number(a.revenue)} ${goal.currency || ""}`],
      ].map(([k, v]) => h("div", { class: "kpi", "data-testid": `conv-${k}` }, h("span", { class: "kpi-value" }, v), h("span", { class: "kpi-label" }, k.replace("-", " ")))),
      h(
        "div",
        { class: "kpi", "data-testid": "conv-lift" },
        h("span", { class: "kpi-value" }, lift ? signedPercent(lift.conversion_rate_difference.difference) : "–"),
        h("span", { class: "kpi-label" }, "lift over the holdout"),
      ),
    ),
    lift
      ? h(
          "p",
          { "data-testid": "conv-lift-text" },
          `Treated ${percent(lift.treated.conversion_rate)} against holdout ${percent(lift.holdout.conversion_rate)}: `,
          `${signedPercent(lift.conversion_rate_difference.difference)} (95% interval ${signedPercent(lift.conversion_rate_difference.low)} to ${signedPercent(lift.conversion_rate_difference.high)}, `,
          lift.conversion_rate_difference.significant ? "significant" : "not significant",
          `). Caused by the messages: ${number(lift.incremental_converted_endpoints.estimate, 1)} converted endpoints, ${number(lift.incremental_revenue.estimate)} ${goal.currency} revenue.`,
        )
      : notice(`Incrementality: ${goal.incrementality?.reason || "no holdout"}`),
    ab ? h("p", { "data-testid": "conv-ab" }, `A/B on conversions: ${groupName(ab.leader)} leads${ab.winner !== null && ab.winner !== undefined ? ", the winner" : ", no clear winner yet"}.`) : null,
    goal.window_complete === false ? h("p", { class: "muted" }, `Provisional: the attribution window is open until ${goal.window_end}.`) : null,
    table(
      [{ label: scope, key: "name" }, ...ATTRIBUTED.map(([key, label]) => ({ label, key, render: key.endsWith("rate") ? (r) => percent(r[key]) : undefined }))],
      rows,
      { csvName: `conversions-${goal.goal}.csv`, caption: "Attributed conversions" },
    ),
    lags.length
      ? [
          chart("bar", lags.map((d) => `day ${d}`), arms.map((arm) => ({ label: arm, data: lags.map((d) => after.find((r) => r.arm === arm && r.days_after_message === d)?.conversions || 0) })), "Conversions by whole days after the message"),
          table(
            [{ label: "Arm", key: "arm" }, { label: "Days after the message", key: "days_after_message" }, { label: "Conversions", key: "conversions" }, { label: "Converted endpoints", key: "converted_endpoints" }, { label: "Revenue", key: "revenue" }],
            after,
            { csvName: `conversions-days-after-${goal.goal}.csv` },
          ),
        ]
      : null,
  );
}

async function campaignConversions(app, campaign, metrics, treatmentName) {
  const box = h("section", {}, h("h2", {}, "Conversions"));
  const goals = metrics.conversions?.goals || [];
  if (!goals.length) {
    add(box, notice("No conversion figures for this campaign (no goal measured yet)."));
    return box;
  }
  add(box, h("p", { class: "muted" }, `Goals: ${metrics.conversions.goals_scope} (version ${metrics.conversions.goals_version ?? "built-in"}).`));
  // Over time: the conversion KPIs of GetCampaignDateRangeKpi (the first goal), per day.
  const [start, end] = dayRange(campaign.CreationDate);
  const base = `/v1/apps/${encodeURIComponent(app)}/campaigns/${encodeURIComponent(campaign.Id)}/kpis/daterange`;
  const names = ["conversions-grouped-by-date", "converted-endpoints-grouped-by-date", "conversion-revenue-grouped-by-date"];
  const answers = await Promise.all(names.map((name) => call("GET", `${base}/${name}`, undefined, { query: { "start-time": start, "end-time": end } })));
  const byDay = {};
  for (const answer of answers) for (const row of kpiRows(answer)) Object.assign((byDay[row.group] ??= { day: row.group }), row);
  const perDay = Object.values(byDay).sort((x, y) => String(x.day).localeCompare(String(y.day)));
  if (perDay.length) {
    add(
      box,
      chart("line", perDay.map((r) => r.day), [
        { label: "conversions", data: perDay.map((r) => r.Conversions || 0) },
        { label: "converted endpoints", data: perDay.map((r) => r.ConvertedEndpoints || 0) },
      ], "Conversions per day (GetCampaignDateRangeKpi)"),
      table(
        [{ label: "Day", key: "day" }, { label: "Conversions", key: "Conversions" }, { label: "Converted endpoints", key: "ConvertedEndpoints" }, { label: "Revenue", key: "ConversionRevenue" }],
        perDay,
        { csvName: `conversions-per-day-${campaign.Id}.csv`, caption: "Conversions per day" },
      ),
    );
  }
  for (const goal of goals) {
    add(box, goalSection(goal, {
      scope: "Treatment",
      groupName: treatmentName,
      groups: (goal.treatments || []).map((t) => ({ name: treatmentName(t.treatment_id), row: t })),
    }));
  }
  return box;
}

// -- a journey ---------------------------------------------------------------------------

const JOURNEY_KPIS = ["sent", "delivered", "opened", "clicked", "hardbounced", "softbounced", "complained", "rejected", "unsubscribed"];

export async function journeyAnalyticsPage(main, { id }) {
  const app = currentProject();
  const base = `/v1/apps/${encodeURIComponent(app)}/journeys/${encodeURIComponent(id)}`;
  const journey = await call("GET", base);
  add(main,
    h("p", {}, h("a", { href: link("analytics"), "data-link": true }, "← Analytics")),
    h("h1", {}, `Analytics: journey ${journey.Name || id}`),
    h("p", { class: "muted" }, `State ${journey.State} · created ${journey.CreationDate || ""}`),
  );
  const execution = await call("GET", `${base}/execution-metrics`);
  const counts = Object.entries(execution.Metrics || {}).map(([metric, value]) => ({ metric, value: Number(value) }));
  add(main, h("h2", {}, "Participants"), table([{ label: "Metric", key: "metric" }, { label: "Count", key: "value" }], counts, { csvName: `journey-execution-${id}.csv` }));

  // Engagement KPIs over the journey's life: per week from its creation (one
  // GetJourneyDateRangeKpi range each, so the chart is the API's own figures).
  const weeks = [];
  const first = new Date(journey.CreationDate || Date.now() - 28 * 86_400_000);
  first.setUTCHours(0, 0, 0, 0);
  for (let at = first.getTime(); at <= Date.now() && weeks.length < 12; at += 7 * 86_400_000) weeks.push(at);
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const kpiBase = `${base}/kpis/daterange`;
  const totals = await Promise.all(
    JOURNEY_KPIS.map((k) => call("GET", `${kpiBase}/journey-emails-${k}`, undefined, { query: { "start-time": iso(first.getTime()), "end-time": iso(Date.now()) } })),
  );
  const total = Object.fromEntries(JOURNEY_KPIS.map((k, i) => [k, kpiRows(totals[i])[0]?.[`Emails${k[0].toUpperCase()}${k.slice(1)}`] ?? 0]));
  add(main,
    h("h2", {}, "Email engagement"),
    h("div", { class: "kpis" }, JOURNEY_KPIS.map((k) => h("div", { class: "kpi", "data-testid": `journey-kpi-${k}` }, h("span", { class: "kpi-value" }, String(total[k])), h("span", { class: "kpi-label" }, `emails ${k}`)))),
  );
  const core = ["sent", "delivered", "opened", "clicked"];
  // One week so far is the totals already asked (each range is one query on AWS).
  const perWeek = weeks.length === 1
    ? [{ week: iso(weeks[0]).slice(0, 10), ...Object.fromEntries(core.map((k) => [k, total[k]])) }]
    : await Promise.all(
    weeks.map(async (at) => {
      const answers = await Promise.all(core.map((k) => call("GET", `${kpiBase}/journey-emails-${k}`, undefined, { query: { "start-time": iso(at), "end-time": iso(Math.min(at + 7 * 86_400_000 - 1000, Date.now())) } })));
      const row = { week: iso(at).slice(0, 10) };
      core.forEach((k, i) => { row[k] = kpiRows(answers[i])[0]?.[`Emails${k[0].toUpperCase()}${k.slice(1)}`] ?? 0; });
      return row;
    }),
  );
  add(main,
    chart("line", perWeek.map((r) => r.week), core.map((k) => ({ label: k, data: perWeek.map((r) => r[k]) })), "Emails per week (GetJourneyDateRangeKpi)"),
    table([{ label: "Week from", key: "week" }, ...core.map((k) => ({ label: k, key: k }))], perWeek, { csvName: `journey-weeks-${id}.csv` }),
  );
  const byActivity = await Promise.all(core.map((k) => call("GET", `${kpiBase}/emails-${k}-grouped-by-journey-activity`, undefined, { query: { "start-time": iso(first.getTime()), "end-time": iso(Date.now()) } })));
  const activities = {};
  core.forEach((k, i) => {
    for (const row of kpiRows(byActivity[i])) (activities[row.group] ??= { activity: row.group })[k] = row[`Emails${k[0].toUpperCase()}${k.slice(1)}`];
  });
  const activityRows = Object.values(activities);
  if (activityRows.length) {
    add(main,
      chart("bar", core, activityRows.map((a) => ({ label: a.activity, data: core.map((k) => a[k] || 0) })), "Per activity"),
      table([{ label: "Activity", key: "activity" }, ...core.map((k) => ({ label: k, key: k }))], activityRows, { csvName: `journey-activities-${id}.csv` }),
    );
  }

  const conversions = await call("GET", `/clarion/apps/${encodeURIComponent(app)}/journeys/${encodeURIComponent(id)}/conversions`);
  add(main, h("h2", {}, "Conversions"), h("p", { class: "muted" }, `Goals: ${conversions.goals_scope} (version ${conversions.goals_version ?? "built-in"}).`));
  for (const goal of conversions.goals || []) {
    add(main, goalSection(goal, {
      scope: "Activity",
      groupName: (a) => `activity ${a}`,
      groups: (goal.activities || []).map((a) => ({ name: `activity ${a.activity_id}`, row: a })),
    }));
  }
}
