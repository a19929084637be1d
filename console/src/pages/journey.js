// A journey's page (/console/journeys/{id}): its activities drawn on the canvas, a side
// form to add, edit and remove them, its start, saved with UpdateJourney; the state
// buttons (UpdateJourneyState); each node's participant counts and metrics
// (GetJourneyExecutionActivityMetrics) beside the journey's (GetJourneyExecutionMetrics);
// and why an endpoint went where it went (the ExplainJourney extension). A validation
// error the API returns is shown on the node of the activity its field names
// (`Activities.week.Wait.WaitTime.WaitFor: ...`) and under that field of the side form.
import { ApiError, pinpoint } from "../api.js";
import { add, button, clear, field, h, input, jsonView, notice, select, table } from "../dom.js";
import { currentProject, link, state as nav } from "../nav.js";
import { drawCanvas } from "../canvas/canvas.js";
import {
  MESSAGE_TYPES,
  TYPES,
  TYPE_LABELS,
  activityOfField,
  eventDimensions,
  getPath,
  newActivity,
  removeActivity,
  renameActivity,
  setPath,
  startSummary,
  typeOf,
  writeRequest,
} from "../canvas/activities.js";
import { journeysApi } from "./journeyApi.js";

const EVENT_TYPES = [
  "_email.send",
  "_email.delivered",
  "_email.open",
  "_email.click",
  "_email.hardbounce",
  "_email.softbounce",
  "_email.complaint",
  "_email.unsubscribe",
  "_email.rejected",
  "_sms.success",
  "_sms.failure",
  "_sms.optout",
  "_push.received",
  "_push.opened",
  "_custom.send",
];

// The state buttons each state offers: [label, the state asked for].
const STATE_ACTIONS = {
  DRAFT: [["Activate", "ACTIVE"]],
  ACTIVE: [["Pause", "PAUSED"], ["Cancel journey", "CANCELLED"]],
  PAUSED: [["Resume", "ACTIVE"], ["Cancel journey", "CANCELLED"]],
};

const JOURNEY_METRICS = ["ENDPOINT_ENTERED", "ENDPOINT_ACTIVE", "ENDPOINT_LEFT", "CANCELLED", "REENTRY_CAP_EXCEEDED"];

// `Activities.x.Wait.WaitTime.WaitFor` as the API names fields: list items as [0].
function fieldName(parts) {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : i ? `.${p}` : p)).join("");
}

// The problems of a BadRequestException's message ("Field: reason; Other: reason"),
// split only before the next field's name: a reason may hold "; " itself ("...add up
// to 90 (40 + 50); they must add up to 100").
function problemsOf(error) {
  if (!(error instanceof ApiError)) return [{ field: "", reason: message(error) }];
  return String(error.message || "")
    .split(/; (?=[A-Za-z0-9_.[\]{}-]+: )/)
    .map((part) => {
      const match = /^([A-Za-z0-9_.[\]{}-]+): (.+)$/s.exec(part);
      return match ? { field: match[1], reason: match[2] } : { field: "", reason: part };
    });
}

function message(error) {
  return error instanceof ApiError ? `${error.code}: ${error.message}` : String(error?.message || error);
}

export async function journeyPage(main, { id }) {
  const app = currentProject();
  const stored = await journeysApi.get(app, id);
  const [templates, segments] = await Promise.all([
    pinpoint.listTemplates().then((t) => t.Item || []).catch(() => []),
    pinpoint.getSegments(app).then((s) => s.Item || []).catch(() => []),
  ]);
  const view = {
    stored,
    draft: structuredClone(stored),
    selected: null,
    problems: [], // [{field, reason}] of the last refused save
    metrics: {},
    path: new Set(),
    dirty: false,
    zoom: null, // null: fit the canvas's width
    drawnAt: 1,
  };
  if ((stored.State || "DRAFT") !== "DRAFT") await loadMetrics();

  const stateValue = h("dd", { "data-testid": "journey-state" });
  const modified = h("dd", {});
  const stateBar = h("div", { class: "journey-states" });
  const status = h("p", { class: "save-status muted", "aria-live": "polite", "data-testid": "save-status" });
  const topErrors = h("div", { class: "form-errors", "data-testid": "journey-errors" });
  const kpis = h("div", { class: "kpis journey-kpis" });
  const canvasBox = h("div", { class: "canvas", role: "group", "aria-label": "Journey canvas: one button per activity" });
  const side = h("aside", { class: "side-panel", "aria-label": "Activity" });
  const settings = h("form", { class: "card journey-settings", onsubmit: (e) => { e.preventDefault(); save(); } });
  const explainBox = h("div", { class: "card" });
  const jsonBox = h("details", {}, h("summary", {}, "Journey JSON (as saved)"));

  add(
    main,
    h("p", {}, h("a", { href: link("journeys"), "data-link": true }, "← Journeys")),
    h("h1", {}, `Journey ${stored.Name || id}`),
    h("dl", { class: "facts" }, h("dt", {}, "State"), stateValue, h("dt", {}, "Id"), h("dd", {}, id), h("dt", {}, "Modified"), modified),
    stateBar,
    topErrors,
    kpis,
    settings,
    status,
    h(
      "div",
      { class: "journey-editor" },
      h(
        "div",
        {},
        h(
          "div",
          { class: "canvas-zoom", role: "group", "aria-label": "Zoom" },
          button("−", () => zoomBy(1 / 1.25), { class: "small", "aria-label": "Zoom out" }),
          button("Fit", () => { view.zoom = null; renderCanvas(); }, { class: "small", "aria-label": "Zoom to fit" }),
          button("+", () => zoomBy(1.25), { class: "small", "aria-label": "Zoom in" }),
        ),
        h("div", { class: "canvas-wrap" }, canvasBox),
      ),
      side,
    ),
    explainBox,
    jsonBox,
  );
  renderAll();

  // -- rendering ------------------------------------------------------------------------

  function renderAll() {
    renderFacts();
    renderSettings();
    renderKpis();
    renderCanvas();
    renderSide();
    renderTopErrors();
    renderExplain();
    clear(jsonBox).append(h("summary", {}, "Journey JSON (as saved)"), jsonView(view.stored));
  }

  function renderFacts() {
    const current = view.stored.State || "DRAFT";
    stateValue.textContent = current;
    modified.textContent = view.stored.LastModifiedDate || "";
    clear(stateBar);
    for (const [label, wanted] of STATE_ACTIONS[current] || []) {
      stateBar.append(button(label, () => changeState(wanted), { class: wanted === "CANCELLED" ? "danger small" : "" }));
    }
    if (current !== "DRAFT") {
      stateBar.append(
        h("p", { class: "muted" }, "A published journey keeps its activities and start (the API refuses changes to them): to run different ones, create a new journey."),
      );
    }
  }

  function renderKpis() {
    clear(kpis);
    const totals = view.metrics[""];
    if (!totals) return;
    const names = [...JOURNEY_METRICS, ...Object.keys(totals).filter((k) => !JOURNEY_METRICS.includes(k))];
    for (const name of names) {
      kpis.append(
        h(
          "div",
          { class: "kpi", "data-testid": `journey-metric-${name}` },
          h("span", { class: "kpi-value" }, totals[name] ?? "0"),
          h("span", { class: "kpi-label", title: name }, name.replaceAll("_", " ")),
        ),
      );
    }
  }

  function activityProblems() {
    const byActivity = {};
    for (const problem of view.problems) {
      const activity = activityOfField(problem.field);
      if (activity && view.draft.Activities?.[activity]) {
        const rest = problem.field.slice(`Activities.${activity}`.length).replace(/^\./, "");
        (byActivity[activity] ||= []).push(rest ? `${rest}: ${problem.reason}` : problem.reason);
      }
    }
    return byActivity;
  }

  function renderCanvas() {
    view.drawnAt = drawCanvas(canvasBox, view.draft, {
      zoom: view.zoom,
      selected: view.selected,
      errors: activityProblems(),
      metrics: view.metrics,
      path: view.path,
      startLabel: startLabel(),
      onSelect: (activity) => select_(activity),
    });
  }

  // The start node's line, naming a segment by its name.
  function startLabel() {
    const start = view.draft.StartCondition || {};
    const segmentId = start.SegmentStartCondition?.SegmentId || start.EventStartCondition?.SegmentId;
    const named = segments.find((s) => s.Id === segmentId);
    return named ? startSummary(view.draft).replace(segmentId, named.Name || segmentId) : startSummary(view.draft);
  }

  function zoomBy(factor) {
    view.zoom = Math.min(2, Math.max(0.3, (view.drawnAt || 1) * factor));
    renderCanvas();
  }

  function select_(activity) {
    view.selected = activity;
    renderCanvas();
    renderSide();
    side.querySelector("input, select, textarea")?.focus();
  }

  function changed() {
    view.dirty = true;
    status.textContent = "Unsaved changes.";
    renderCanvas();
  }

  // Problems shown under the fields they name (data-field, longest prefix); the rest
  // are returned.
  function placeErrors(form, problems) {
    const left = [];
    for (const problem of problems) {
      let best = null;
      for (const el of form.querySelectorAll("[data-field]")) {
        const key = el.dataset.field;
        const fits = problem.field === key || problem.field.startsWith(`${key}.`) || problem.field.startsWith(`${key}[`);
        if (fits && (!best || key.length > best.dataset.field.length)) best = el;
      }
      if (best) {
        const slot = form.querySelector(`#${CSS.escape(best.id)}-error`);
        slot.textContent = [slot.textContent, `${problem.field}: ${problem.reason}`].filter(Boolean).join("; ");
        best.setAttribute("aria-invalid", "true");
      } else left.push(problem);
    }
    return left;
  }

  function renderTopErrors() {
    clear(topErrors);
    if (!view.problems.length) return;
    const onNodes = Object.keys(activityProblems());
    const general = view.problems.filter((p) => !(activityOfField(p.field) && view.draft.Activities?.[activityOfField(p.field)]));
    const unplaced = placeErrors(settings, general);
    if (onNodes.length) {
      topErrors.append(notice(`The API refused the journey: see the activities marked on the canvas (${onNodes.join(", ")}).`, "error"));
    }
    for (const p of unplaced) topErrors.append(notice(p.field ? `${p.field}: ${p.reason}` : p.reason, "error"));
  }

  // -- the journey's settings: name, start activity, start condition ---------------------

  function renderSettings() {
    clear(settings);
    const d = view.draft;
    const ids = Object.keys(d.Activities || {});
    const name = input({ value: d.Name || "", autocomplete: "off" });
    name.addEventListener("input", () => { d.Name = name.value; changed(); });
    const start = select([["", "(none yet)"], ...ids], { value: d.StartActivity || "" });
    start.addEventListener("input", () => { setPath(d, ["StartActivity"], start.value); changed(); });
    const condition = d.StartCondition || {};
    const kind = select(
      [["", "No start condition yet"], ["event", "When an endpoint's event arrives"], ["segment", "Everyone in a segment"]],
      { value: condition.SegmentStartCondition ? "segment" : condition.EventStartCondition ? "event" : "" },
    );
    const events = input({
      value: (condition.EventStartCondition?.EventFilter?.Dimensions?.EventType?.Values || []).join(", "),
      autocomplete: "off",
      placeholder: "sign_up",
    });
    const segment = select([["", "(any endpoint)"], ...segments.map((s) => [s.Id, `${s.Name || s.Id} (${s.Id})`])], {
      value: condition.SegmentStartCondition?.SegmentId || condition.EventStartCondition?.SegmentId || "",
    });
    const applyStart = () => {
      const description = d.StartCondition?.Description;
      if (!kind.value) delete d.StartCondition;
      else if (kind.value === "segment") {
        d.StartCondition = { ...(description ? { Description: description } : {}), SegmentStartCondition: { SegmentId: segment.value } };
      } else {
        const previous = d.StartCondition?.EventStartCondition || {};
        const filter = structuredClone(previous.EventFilter || { FilterType: "ENDPOINT" });
        filter.Dimensions = filter.Dimensions || {};
        const values = events.value.split(",").map((v) => v.trim()).filter(Boolean);
        filter.Dimensions.EventType = { DimensionType: "INCLUSIVE", Values: values };
        d.StartCondition = {
          ...(description ? { Description: description } : {}),
          EventStartCondition: { EventFilter: filter, ...(segment.value ? { SegmentId: segment.value } : {}) },
        };
      }
      changed();
    };
    for (const el of [kind, events, segment]) el.addEventListener("input", applyStart);
    add(
      settings,
      h("h2", {}, "Journey"),
      h(
        "div",
        { class: "row" },
        field("Journey name", name, { name: "Name" }),
        field("Start activity", start, { name: "StartActivity" }),
        field("Starts", kind, { name: "StartCondition" }),
        field("Start event types", events, { name: "StartCondition.EventStartCondition.EventFilter", hint: "Comma-separated, for an event start." }),
        field("Start segment", segment, { name: "StartCondition.SegmentStartCondition.SegmentId" }),
      ),
      h("button", { type: "submit" }, "Save journey"),
    );
  }

  // -- the side form: the selected activity, and adding one ----------------------------

  function activityOptions(exclude) {
    return [["", "(end of the journey)"], ...Object.keys(view.draft.Activities || {}).filter((a) => a !== exclude)];
  }

  function renderSide() {
    clear(side);
    const id = view.selected;
    const activity = id ? view.draft.Activities?.[id] : null;
    if (activity) side.append(activityForm(id, activity));
    else side.append(h("div", { class: "card" }, h("p", { class: "muted" }, "Select an activity on the canvas to edit it, or add one.")));
    side.append(addForm());
  }

  function activityForm(id, activity) {
    const type = typeOf(activity);
    const settingsOf = () => view.draft.Activities[id][type];
    const form = h("form", { class: "card activity-form", "aria-label": `Activity ${id}`, onsubmit: (e) => e.preventDefault() });
    const bound = (label, path, { kind = "text", options, hint, parse } = {}) => {
      const value = getPath(settingsOf(), path);
      const el =
        kind === "select"
          ? select(options, { value: value ?? "" })
          : input({ type: kind, value: value ?? "", autocomplete: "off", ...(kind === "text" && options ? { list: options } : {}) });
      el.addEventListener("input", () => {
        setPath(settingsOf(), path, el.value === "" ? "" : parse ? parse(el.value) : el.value);
        changed();
        refreshJson();
      });
      return field(label, el, { name: fieldName(["Activities", id, type, ...path]), hint });
    };
    const next = (label, path) => bound(label, path, { kind: "select", options: activityOptions(id) });
    const messageActivities = Object.entries(view.draft.Activities)
      .filter(([k, a]) => k !== id && MESSAGE_TYPES.includes(typeOf(a)))
      .map(([k]) => k);
    const eventCondition = (label, path) => {
      const messageActivity = bound(`${label}: after the message of`, [...path, "EventCondition", "MessageActivity"], {
        kind: "select",
        options: [["", "(any message)"], ...messageActivities],
      });
      const current = getPath(settingsOf(), [...path, "EventCondition", "Dimensions", "EventType", "Values", 0]) || "";
      const events = select([["", "(choose)"], ...EVENT_TYPES], { value: current });
      events.addEventListener("input", () => {
        setPath(settingsOf(), [...path, "EventCondition", "Dimensions"], events.value ? eventDimensions(events.value) : "");
        changed();
        refreshJson();
      });
      return [messageActivity, field(`${label}: the event`, events, { name: fieldName(["Activities", id, type, ...path, "EventCondition", "Dimensions"]) })];
    };
    const rerender = () => { changed(); renderSide(); };

    const description = input({ value: activity.Description || "", autocomplete: "off" });
    description.addEventListener("input", () => {
      setPath(view.draft.Activities[id], ["Description"], description.value);
      changed();
      refreshJson();
    });
    const rename = input({ value: id, autocomplete: "off", pattern: "[A-Za-z0-9]+" });
    const renameError = h("span", { class: "field-error", role: "alert" });
    const parts = [];
    const templateList = `templates-${type}`;
    const templateField = () =>
      bound("Template", ["TemplateName"], { options: templateList, hint: `A ${type} template (Templates lists them).` });
    switch (type) {
      case "EMAIL":
        parts.push(templateField(), bound("From address", ["MessageConfig", "FromAddress"], { hint: "Optional: the channel's default otherwise." }), next("Next activity", ["NextActivity"]));
        break;
      case "SMS":
        parts.push(
          templateField(),
          bound("Message type", ["MessageConfig", "MessageType"], { kind: "select", options: [["", "(the template's)"], "TRANSACTIONAL", "PROMOTIONAL"] }),
          bound("Origination number", ["MessageConfig", "OriginationNumber"]),
          next("Next activity", ["NextActivity"]),
        );
        break;
      case "PUSH":
        parts.push(templateField(), next("Next activity", ["NextActivity"]));
        break;
      case "CUSTOM":
        parts.push(
          bound("Delivery URI", ["DeliveryUri"], { hint: "A Lambda function's ARN or an https:// URL." }),
          bound("Data", ["MessageConfig", "Data"]),
          next("Next activity", ["NextActivity"]),
        );
        break;
      case "ContactCenter":
        parts.push(notice("Contact-center (Amazon Connect) activities are not part of Clarion: the API refuses them. Use a CUSTOM activity."), next("Next activity", ["NextActivity"]));
        break;
      case "Wait":
        parts.push(
          bound("Wait for", ["WaitTime", "WaitFor"], { hint: "An ISO-8601 duration (P7D, PT12H), from one hour to 365 days." }),
          bound("Or wait until", ["WaitTime", "WaitUntil"], { hint: "An ISO-8601 date and time." }),
          next("Next activity", ["NextActivity"]),
        );
        break;
      case "ConditionalSplit": {
        const conditions = settingsOf().Condition?.Conditions || [];
        parts.push(bound("Conditions must all hold, or any", ["Condition", "Operator"], { kind: "select", options: [["ALL", "all (ALL)"], ["ANY", "any (ANY)"]] }));
        conditions.forEach((c, i) => {
          if (c?.EventCondition) parts.push(...eventCondition(`Condition ${i + 1}`, ["Condition", "Conditions", i]));
          else parts.push(h("p", { class: "muted" }, `Condition ${i + 1}: a segment condition (edit it in the activity JSON below).`));
          parts.push(button(`Remove condition ${i + 1}`, () => { settingsOf().Condition.Conditions.splice(i, 1); rerender(); }, { class: "small" }));
        });
        parts.push(
          button("Add an event condition", () => {
            setPath(settingsOf(), ["Condition", "Conditions", conditions.length], { EventCondition: { Dimensions: eventDimensions("_email.open") } });
            rerender();
          }, { class: "small" }),
          bound("Evaluate within", ["EvaluationWaitTime", "WaitFor"], { hint: "How long the split waits for the condition (ISO-8601 duration)." }),
          next("If yes, next activity", ["TrueActivity"]),
          next("If no, next activity", ["FalseActivity"]),
        );
        break;
      }
      case "MultiCondition": {
        const branches = settingsOf().Branches || [];
        branches.forEach((b, i) => {
          const group = h("fieldset", {}, h("legend", {}, `Branch ${i + 1}`));
          if (b?.Condition?.EventCondition || !b?.Condition) add(group, ...eventCondition(`Branch ${i + 1}`, ["Branches", i, "Condition"]));
          else add(group, h("p", { class: "muted" }, "A segment condition (edit it in the activity JSON below)."));
          add(group, next(`Branch ${i + 1}: next activity`, ["Branches", i, "NextActivity"]));
          add(group, button(`Remove branch ${i + 1}`, () => { settingsOf().Branches.splice(i, 1); rerender(); }, { class: "small" }));
          parts.push(group);
        });
        parts.push(
          button("Add a branch", () => {
            setPath(settingsOf(), ["Branches", branches.length], { Condition: { EventCondition: { Dimensions: eventDimensions("_email.open") } } });
            rerender();
          }, { class: "small" }),
          bound("Evaluate within", ["EvaluationWaitTime", "WaitFor"]),
          next("Otherwise, next activity", ["DefaultActivity"]),
        );
        break;
      }
      case "RandomSplit": {
        const branches = settingsOf().Branches || [];
        branches.forEach((b, i) => {
          parts.push(
            h(
              "fieldset",
              {},
              h("legend", {}, `Branch ${i + 1}`),
              bound(`Branch ${i + 1}: percentage`, ["Branches", i, "Percentage"], { kind: "number", parse: Number }),
              next(`Branch ${i + 1}: next activity`, ["Branches", i, "NextActivity"]),
              button(`Remove branch ${i + 1}`, () => { settingsOf().Branches.splice(i, 1); rerender(); }, { class: "small" }),
            ),
          );
        });
        parts.push(button("Add a branch", () => { setPath(settingsOf(), ["Branches", branches.length], { Percentage: 0 }); rerender(); }, { class: "small" }));
        break;
      }
      case "Holdout":
        parts.push(bound("Percentage held out", ["Percentage"], { kind: "number", parse: Number }), next("Next activity (the others)", ["NextActivity"]));
        break;
      default:
        parts.push(notice("An activity type the console does not know: edit its JSON below."));
    }
    const json = h("textarea", { rows: 8, spellcheck: "false" });
    json.value = JSON.stringify(activity, null, 2);
    function refreshJson() {
      if (document.activeElement !== json) json.value = JSON.stringify(view.draft.Activities[id], null, 2);
    }
    const jsonField = field("Activity JSON", json, { hint: "Pinpoint's Activity object: anything the fields above do not cover." });
    const datalist = h("datalist", { id: templateList }, templates.filter((t) => t.TemplateType === type).map((t) => h("option", { value: t.TemplateName })));
    const problems = activityProblems()[id] || [];
    add(
      form,
      h("h2", {}, `${TYPE_LABELS[type] || type} activity ${id}`),
      problems.length ? h("ul", { class: "node-errors", role: "alert" }, problems.map((p) => h("li", {}, p))) : null,
      h(
        "div",
        { class: "rename" },
        field("Activity id", rename, { hint: "Letters and digits; every reference follows a rename." }),
        button("Rename", () => {
          const to = rename.value.trim();
          renameError.textContent = "";
          if (!/^[A-Za-z0-9]+$/.test(to)) renameError.textContent = "An activity id has only letters and digits.";
          else if (to !== id && view.draft.Activities[to]) renameError.textContent = `${to} is already an activity of this journey.`;
          else if (to !== id) {
            renameActivity(view.draft, id, to);
            view.selected = to;
            changed();
            renderSettings();
            renderSide();
          }
        }, { class: "small" }),
        renameError,
      ),
      field("Description", description, { name: fieldName(["Activities", id, "Description"]) }),
      parts,
      datalist,
      jsonField,
      button("Apply JSON", () => {
        const slot = jsonField.querySelector(".field-error");
        try {
          const parsed = JSON.parse(json.value);
          if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("an activity is a JSON object");
          view.draft.Activities[id] = parsed;
          slot.textContent = "";
          changed();
          renderSide();
        } catch (error) {
          slot.textContent = `Activity JSON: ${error.message}`;
        }
      }, { class: "small" }),
      h(
        "p",
        {},
        button(`Remove activity ${id}`, () => {
          removeActivity(view.draft, id);
          view.selected = null;
          changed();
          renderSettings();
          renderSide();
        }, { class: "danger small" }),
      ),
    );
    const here = view.problems.filter((p) => activityOfField(p.field) === id);
    placeErrors(form, here);
    return form;
  }

  // The slots an activity leads through, in the order a new activity fills them.
  function emptySlot(activity) {
    const type = typeOf(activity);
    const s = activity[type];
    const slots = {
      ConditionalSplit: [["TrueActivity"], ["FalseActivity"]],
      MultiCondition: [...(s.Branches || []).map((_, i) => ["Branches", i, "NextActivity"]), ["DefaultActivity"]],
      RandomSplit: (s.Branches || []).map((_, i) => ["Branches", i, "NextActivity"]),
    }[type] || [["NextActivity"]];
    return slots.find((path) => !getPath(s, path));
  }

  function addForm() {
    const type = select(TYPES.filter((t) => t !== "ContactCenter").map((t) => [t, TYPE_LABELS[t]]));
    const suggest = () => {
      let n = 1;
      const stem = type.value.toLowerCase().replace(/[^a-z0-9]/g, "");
      while (view.draft.Activities?.[`${stem}${n}`]) n += 1;
      return `${stem}${n}`;
    };
    const newId = input({ value: suggest(), autocomplete: "off", pattern: "[A-Za-z0-9]+" });
    type.addEventListener("input", () => { newId.value = suggest(); });
    const after = h("input", { type: "checkbox", checked: true });
    const error = h("span", { class: "field-error", role: "alert" });
    const from = view.selected && view.draft.Activities?.[view.selected] ? view.selected : null;
    const form = h(
      "form",
      {
        class: "card add-activity",
        onsubmit: (event) => {
          event.preventDefault();
          const id = newId.value.trim();
          if (!/^[A-Za-z0-9]+$/.test(id)) {
            error.textContent = "An activity id has only letters and digits.";
            return;
          }
          const d = view.draft;
          d.Activities = d.Activities || {};
          if (d.Activities[id]) {
            error.textContent = `${id} is already an activity of this journey.`;
            return;
          }
          d.Activities[id] = newActivity(type.value);
          if (!d.StartActivity) d.StartActivity = id;
          else if (from && after.checked) {
            const source = d.Activities[from];
            const slot = emptySlot(source);
            if (slot) setPath(source[typeOf(source)], slot, id);
          }
          view.selected = id;
          changed();
          renderSettings();
          renderSide();
          side.querySelector(".activity-form input, .activity-form select")?.focus();
        },
      },
      h("h2", {}, "Add an activity"),
      h("div", { class: "row" }, field("Activity type", type), field("New activity id", newId)),
      error,
      from ? h("label", { class: "check" }, after, ` Connect it after ${from}`) : null,
      h("button", { type: "submit" }, "Add activity"),
    );
    return form;
  }

  // -- saving, state, metrics, explain ------------------------------------------------

  function showRefusal(error) {
    view.problems = problemsOf(error);
    for (const el of main.querySelectorAll(".field-error")) el.textContent = "";
    for (const el of main.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    renderCanvas();
    renderSide();
    renderTopErrors();
    status.textContent = "Not saved: the API refused it.";
  }

  async function save() {
    try {
      const saved = await journeysApi.update(app, id, writeRequest(view.draft));
      view.stored = saved;
      view.draft = structuredClone(saved);
      view.problems = [];
      view.dirty = false;
      renderAll();
      status.textContent = "Saved.";
      return true;
    } catch (error) {
      showRefusal(error);
      return false;
    }
  }

  async function changeState(wanted) {
    if (view.dirty && (view.stored.State || "DRAFT") === "DRAFT" && !(await save())) return;
    try {
      await journeysApi.setState(app, id, wanted);
    } catch (error) {
      showRefusal(error);
      return;
    }
    await nav.render();
  }

  async function loadMetrics() {
    const ids = Object.keys(view.stored.Activities || {});
    const [journey, ...each] = await Promise.all([
      journeysApi.metrics(app, id),
      ...ids.map((a) => journeysApi.activityMetrics(app, id, a).catch(() => null)),
    ]);
    view.metrics = { "": journey?.Metrics || {} };
    ids.forEach((a, i) => {
      if (each[i]) view.metrics[a] = each[i].Metrics || {};
    });
  }

  function renderExplain() {
    clear(explainBox);
    const endpoint = input({ autocomplete: "off" });
    const result = h("div", { "aria-live": "polite" });
    const form = h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          clear(result);
          try {
            const answer = await journeysApi.explain(app, id, endpoint.value.trim());
            const steps = answer.Path || [];
            view.path = new Set([...steps.map((s) => s.Activity), answer.Current?.Activity].filter(Boolean));
            renderCanvas();
            add(
              result,
              h("p", { class: "explain-summary", "data-testid": "explain-summary" }, answer.Summary || answer.Status),
              steps.length
                ? table(
                    [
                      { label: "At", key: "At" },
                      { label: "Activity", key: "Activity" },
                      { label: "Type", key: "Type" },
                      { label: "Outcome", key: "Outcome" },
                      {
                        label: "Conditions",
                        render: (s) => (s.Detail?.Conditions || []).map((c) => `${c.Condition}: ${c.Result} (${c.Why})`).join("; "),
                      },
                    ],
                    steps,
                  )
                : null,
              h("details", {}, h("summary", {}, "The whole answer"), jsonView(answer)),
            );
          } catch (error) {
            view.path = new Set();
            renderCanvas();
            result.append(notice(message(error), "error"));
          }
        },
      },
      h("h2", {}, "Explain an endpoint"),
      field("Endpoint id", endpoint, { hint: "Why it did or did not enter, where it is, and what held its messages." }),
      h("button", { type: "submit" }, "Explain"),
    );
    add(explainBox, form, result);
  }
}
