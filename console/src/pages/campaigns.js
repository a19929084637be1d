// Campaigns: the wizard (segment and holdout → message or template, A/B treatments →
// schedule, quiet time, limits → review → launch), the list with state, each run's counts.
import { pinpoint } from "../api.js";
import { add, button, clear, field, h, input, jsonView, notice, select, table } from "../dom.js";
import { currentProject, link, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

export async function campaignsPage(main) {
  const app = currentProject();
  const campaigns = (await pinpoint.getCampaigns(app)).Item || [];
  const runs = await Promise.all(campaigns.map((c) => pinpoint.getCampaignActivities(app, c.Id).then((a) => (a.Item || []).length)));
  add(main, 
    h("h1", {}, "Campaigns"),
    h("p", {}, h("a", { href: link("campaigns/new"), "data-link": true, class: "button" }, "New campaign")),
    table(
      [
        { label: "Name", render: (c) => h("a", { href: link(`campaigns/${c.Id}`), "data-link": true }, c.Name || c.Id) },
        { label: "State", render: (c) => c.State?.CampaignStatus || "" },
        { label: "Runs", render: (c, i) => String(runs[campaigns.indexOf(c)]) },
        { label: "Segment", render: (c) => h("a", { href: link(`segments/${c.SegmentId}`), "data-link": true }, c.SegmentId) },
        { label: "Holdout %", key: "HoldoutPercent" },
        { label: "Modified", key: "LastModifiedDate" },
      ],
      campaigns,
    ),
  );
}

export async function campaignPage(main, { id }) {
  const app = currentProject();
  const campaign = await pinpoint.getCampaign(app, id);
  const activities = (await pinpoint.getCampaignActivities(app, id)).Item || [];
  add(main, 
    h("p", {}, h("a", { href: link("campaigns"), "data-link": true }, "← Campaigns")),
    h("h1", {}, `Campaign ${campaign.Name || id}`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "State"), h("dd", { "data-testid": "campaign-state" }, campaign.State?.CampaignStatus || ""),
      h("dt", {}, "Segment"), h("dd", {}, h("a", { href: link(`segments/${campaign.SegmentId}`), "data-link": true }, campaign.SegmentId)),
      h("dt", {}, "Holdout"), h("dd", {}, `${campaign.HoldoutPercent || 0}%`),
      h("dt", {}, "Treatments"), h("dd", {}, [campaign.TreatmentName || "default", ...(campaign.AdditionalTreatments || []).map((t) => `${t.TreatmentName || t.Id} (${t.SizePercent}%)`)].join(", ")),
      h("dt", {}, "Schedule"), h("dd", {}, `${campaign.Schedule?.StartTime || ""} · ${campaign.Schedule?.Frequency || ""}`),
    ),
    h("p", {}, h("a", { href: link(`analytics/campaigns/${id}`), "data-link": true, class: "button" }, "Open its analytics")),
    h("h2", {}, "Runs"),
    activities.length
      ? table(
          [
            { label: "Run", key: "Id" },
            { label: "State", key: "State" },
            { label: "Treatment", key: "TreatmentId" },
            { label: "Endpoints", key: "TotalEndpointCount" },
            { label: "Successful", key: "SuccessfulEndpointCount" },
            { label: "Started", key: "Start" },
            { label: "Ended", key: "End" },
          ],
          activities,
          { csvName: `runs-${id}.csv` },
        )
      : notice("No run yet."),
    h("details", {}, h("summary", {}, "Campaign JSON"), jsonView(campaign)),
  );
}

const STEPS = ["Audience", "Message", "Schedule", "Review"];
const DRAFT_KEY = "clarion-campaign-draft";

function emptyDraft() {
  return {
    Name: "",
    SegmentId: "",
    HoldoutPercent: 0,
    TreatmentName: "",
    message: { mode: "message", Title: "", HtmlBody: "", Body: "", template: "" },
    treatments: [],
    Schedule: { StartTime: "IMMEDIATE", Frequency: "ONCE", Timezone: "UTC", EndTime: "" },
    QuietTime: { Start: "", End: "" },
    Limits: { Daily: "", Total: "", MessagesPerSecond: "", MaximumDuration: "" },
  };
}

function messageOf(m) {
  if (m.mode === "template") return { TemplateConfiguration: { EmailTemplate: { Name: m.template } } };
  return { MessageConfiguration: { EmailMessage: { Title: m.Title, HtmlBody: m.HtmlBody, Body: m.Body } } };
}

// The wizard's draft → WriteCampaignRequest.
export function campaignRequest(d) {
  const r = { Name: d.Name, SegmentId: d.SegmentId, HoldoutPercent: Number(d.HoldoutPercent) || 0, ...messageOf(d.message) };
  if (d.TreatmentName) r.TreatmentName = d.TreatmentName;
  if (d.treatments.length) {
    r.AdditionalTreatments = d.treatments.map((t) => ({ TreatmentName: t.TreatmentName, SizePercent: Number(t.SizePercent) || 0, ...messageOf(t.message) }));
  }
  const schedule = { StartTime: d.Schedule.StartTime || "IMMEDIATE", Frequency: d.Schedule.Frequency };
  if (d.Schedule.EndTime) schedule.EndTime = d.Schedule.EndTime;
  if (d.Schedule.Timezone && schedule.StartTime !== "IMMEDIATE") schedule.Timezone = d.Schedule.Timezone;
  if (d.QuietTime.Start && d.QuietTime.End) schedule.QuietTime = { ...d.QuietTime };
  r.Schedule = schedule;
  const limits = Object.fromEntries(Object.entries(d.Limits).filter(([, v]) => v !== "").map(([k, v]) => [k, Number(v)]));
  if (Object.keys(limits).length) r.Limits = limits;
  return r;
}

function bind(el, object, key, after) {
  el.value = object[key] ?? "";
  el.addEventListener("input", () => { object[key] = el.value; after?.(); });
  el.addEventListener("change", () => { object[key] = el.value; after?.(); });
  return el;
}

export async function campaignWizard(main, { query }) {
  const app = currentProject();
  const step = Math.min(Math.max(Number(query.get("step") || 1), 1), STEPS.length);
  const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null") || emptyDraft();
  const save = () => sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  const go = (n) => { save(); navigate("campaigns/new", { step: String(n) }); };

  const steps = h("ol", { class: "steps" }, STEPS.map((label, i) => h("li", { "aria-current": i + 1 === step ? "step" : false }, h("a", { href: link("campaigns/new", { step: String(i + 1) }), "data-link": true, onclick: save }, `${i + 1}. ${label}`))));
  const form = h("form", { class: "card wizard" }, h("div", { class: "form-errors" }));
  add(main, h("p", {}, h("a", { href: link("campaigns"), "data-link": true }, "← Campaigns")), h("h1", {}, "New campaign"), steps, form);

  if (step === 1) {
    const segments = (await pinpoint.getSegments(app)).Item || [];
    add(form, 
      h("h2", {}, "Audience"),
      field("Campaign name", bind(input({ required: true, autocomplete: "off" }), draft, "Name", save), { name: "Name" }),
      field("Segment", bind(select([["", "Choose a segment"], ...segments.map((s) => [s.Id, `${s.Name || s.Id} (${s.SegmentType})`])]), draft, "SegmentId", save), { name: "SegmentId" }),
      field("Holdout (% of the segment that gets nothing, to measure against)", bind(input({ type: "number", min: 0, max: 100 }), draft, "HoldoutPercent", save), { name: "HoldoutPercent" }),
    );
  } else if (step === 2) {
    const templates = ((await pinpoint.listTemplates()).Item || []).filter((t) => t.TemplateType === "EMAIL");
    const messageFields = (m, prefix) => {
      const mode = bind(select([["message", "Write the message"], ["template", "Use a template"]]), m, "mode", () => { save(); go(2); });
      const parts = m.mode === "template"
        ? [field("Email template", bind(select([["", "Choose a template"], ...templates.map((t) => [t.TemplateName, t.TemplateName])]), m, "template", save), { name: `${prefix}TemplateConfiguration` })]
        : [
            field("Subject", bind(input(), m, "Title", save), { name: `${prefix}MessageConfiguration.EmailMessage.Title` }),
            field("HTML body", bind(h("textarea", { rows: 5 }), m, "HtmlBody", save), { name: `${prefix}MessageConfiguration.EmailMessage.HtmlBody` }),
            field("Text body", bind(h("textarea", { rows: 3 }), m, "Body", save), { name: `${prefix}MessageConfiguration.EmailMessage.Body` }),
          ];
      return [field("Message", mode), ...parts];
    };
    add(form, 
      h("h2", {}, "Message"),
      h("fieldset", {}, h("legend", {}, "Treatment A (the rest of the segment)"), field("Treatment name", bind(input(), draft, "TreatmentName", save), { name: "TreatmentName" }), messageFields(draft.message, "")),
      draft.treatments.map((t, i) =>
        h(
          "fieldset",
          {},
          h("legend", {}, `Treatment ${String.fromCharCode(66 + i)}`),
          h("div", { class: "row" }, field("Treatment name", bind(input(), t, "TreatmentName", save), { name: `AdditionalTreatments[${i}].TreatmentName` }), field("Share of the segment (%)", bind(input({ type: "number", min: 0, max: 100 }), t, "SizePercent", save), { name: `AdditionalTreatments[${i}].SizePercent` })),
          messageFields(t.message, `AdditionalTreatments[${i}].`),
          button("Remove treatment", () => { draft.treatments.splice(i, 1); go(2); }, { class: "small danger" }),
        ),
      ),
      button("Add an A/B treatment", () => { draft.treatments.push({ TreatmentName: "", SizePercent: 50, message: { mode: "message", Title: "", HtmlBody: "", Body: "", template: "" } }); go(2); }, { class: "small" }),
    );
  } else if (step === 3) {
    add(form, 
      h("h2", {}, "Schedule"),
      h("div", { class: "row" },
        field("Start", bind(input({ placeholder: "IMMEDIATE or 2026-12-24T09:00:00Z" }), draft.Schedule, "StartTime", save), { name: "Schedule.StartTime" }),
        field("Frequency", bind(select(["ONCE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "EVENT"]), draft.Schedule, "Frequency", save), { name: "Schedule.Frequency" }),
        field("End (recurring)", bind(input({ placeholder: "optional" }), draft.Schedule, "EndTime", save), { name: "Schedule.EndTime" }),
        field("Time zone", bind(input(), draft.Schedule, "Timezone", save), { name: "Schedule.Timezone" }),
      ),
      h("h3", {}, "Quiet time (endpoint's local time)"),
      h("div", { class: "row" },
        field("From", bind(input({ placeholder: "22:00" }), draft.QuietTime, "Start", save), { name: "Schedule.QuietTime.Start" }),
        field("To", bind(input({ placeholder: "07:00" }), draft.QuietTime, "End", save), { name: "Schedule.QuietTime.End" }),
      ),
      h("h3", {}, "Limits"),
      h("div", { class: "row" },
        ...["Daily", "Total", "MessagesPerSecond", "MaximumDuration"].map((k) => field(k, bind(input({ type: "number", min: 0 }), draft.Limits, k, save), { name: `Limits.${k}` })),
      ),
    );
  } else {
    const request = campaignRequest(draft);
    const result = h("div", { "aria-live": "polite" });
    add(form, 
      h("h2", {}, "Review"),
      h("p", {}, request.Schedule.StartTime === "IMMEDIATE" ? "Launching sends now, to the segment less its holdout." : `Launching schedules the campaign for ${request.Schedule.StartTime}.`),
      jsonView(request),
      h("button", { type: "submit", class: "primary" }, "Launch campaign"),
      result,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        const created = await pinpoint.createCampaign(app, request);
        sessionStorage.removeItem(DRAFT_KEY);
        navigate(`campaigns/${created.Id}`);
      } catch (error) {
        showErrors(form, error);
      }
    });
  }
  const nav = h("div", { class: "wizard-nav" });
  if (step > 1) nav.append(button("Back", () => go(step - 1)));
  if (step < STEPS.length) nav.append(button("Next", () => go(step + 1), { class: "primary" }));
  add(form, nav);
  form.querySelector("input, select, textarea")?.focus();
}
