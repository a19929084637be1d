// Segments: the list, and the builder (every dimension type, segment groups with
// include/exclude and AND/OR, source segments) with a live estimate (the same count as
// `segments preview`), a sample of members and the compiled SQL.
import { cancel, clarion, later, pinpoint } from "../api.js";
import { add, button, clear, field, h, input, notice, select, table } from "../dom.js";
import { currentProject, link, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

export async function segmentsPage(main) {
  const app = currentProject();
  const segments = (await pinpoint.getSegments(app)).Item || [];
  add(main, 
    h("h1", {}, "Segments"),
    h("p", {}, h("a", { href: link("segments/new"), "data-link": true, class: "button" }, "New segment")),
    table(
      [
        { label: "Name", render: (s) => h("a", { href: link(`segments/${s.Id}`), "data-link": true }, s.Name || s.Id) },
        { label: "Type", key: "SegmentType" },
        { label: "Version", key: "Version" },
        { label: "Modified", key: "LastModifiedDate" },
        { label: "Id", key: "Id" },
      ],
      segments,
    ),
  );
}

// Every criterion the builder offers: [key, label, kind]. kind: set (SetDimension),
// attribute (AttributeDimension, named), metric (MetricDimension, named), recency, gps
// (GPSPointDimension: a point and a range in kilometres).
const CRITERIA = [
  ["Demographic.Channel", "Channel", "set"],
  ["Demographic.Platform", "Platform", "set"],
  ["Demographic.DeviceType", "Device type", "set"],
  ["Demographic.Make", "Device make", "set"],
  ["Demographic.Model", "Device model", "set"],
  ["Demographic.AppVersion", "App version", "set"],
  ["Location.Country", "Country", "set"],
  ["Location.GPSPoint", "Within a distance of a point (GPS)", "gps"],
  ["Behavior.Recency", "Active / inactive in", "recency"],
  ["Attributes", "Endpoint attribute", "attribute"],
  ["UserAttributes", "User attribute", "attribute"],
  ["Metrics", "Endpoint metric", "metric"],
  ["UserMetrics", "User metric", "metric"],
];
const ATTRIBUTE_TYPES = ["INCLUSIVE", "EXCLUSIVE", "CONTAINS", "BEFORE", "AFTER", "BETWEEN", "ON"];
const METRIC_OPERATORS = ["GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL", "EQUAL"];
const RECENCY = ["HR_24", "DAY_7", "DAY_14", "DAY_30"];

function splitValues(text) {
  return text.split(",").map((v) => v.trim()).filter(Boolean);
}

// One criterion row → one SegmentDimensions object.
export function criterionToDimension(c) {
  const kind = CRITERIA.find(([key]) => key === c.key)?.[2];
  const [top, sub] = c.key.split(".");
  if (kind === "set") return { [top]: { [sub]: { DimensionType: c.op || "INCLUSIVE", Values: splitValues(c.values) } } };
  if (kind === "recency") return { Behavior: { Recency: { RecencyType: c.op || "ACTIVE", Duration: c.values || "DAY_30" } } };
  if (kind === "gps") {
    return {
      Location: {
        GPSPoint: {
          Coordinates: { Latitude: Number(c.lat), Longitude: Number(c.lon) },
          RangeInKilometers: Number(c.km),
        },
      },
    };
  }
  if (kind === "attribute") return { [top]: { [c.name]: { AttributeType: c.op || "INCLUSIVE", Values: splitValues(c.values) } } };
  return { [top]: { [c.name]: { ComparisonOperator: c.op || "GREATER_THAN", Value: Number(c.values) } } };
}

export function dimensionToCriterion(d) {
  const [top] = Object.keys(d);
  const inner = d[top];
  const [sub] = Object.keys(inner);
  const value = inner[sub];
  if (top === "Location" && sub === "GPSPoint") {
    const at = value.Coordinates || {};
    return { key: "Location.GPSPoint", op: "", values: "", name: "", lat: String(at.Latitude ?? ""), lon: String(at.Longitude ?? ""), km: String(value.RangeInKilometers ?? "") };
  }
  if (top === "Demographic" || top === "Location") {
    return { key: `${top}.${sub}`, op: value.DimensionType || "INCLUSIVE", values: (value.Values || []).join(", "), name: "" };
  }
  if (top === "Behavior") return { key: "Behavior.Recency", op: value.RecencyType, values: value.Duration, name: "" };
  if (top === "Attributes" || top === "UserAttributes") {
    return { key: top, name: sub, op: value.AttributeType || "INCLUSIVE", values: (value.Values || []).join(", ") };
  }
  return { key: top, name: sub, op: value.ComparisonOperator, values: String(value.Value) };
}

// A stored segment's dimensions as the builder's groups.
function toModel(segment) {
  const model = { name: segment?.Name || "", include: "ALL", groups: [] };
  const top = segment?.Dimensions;
  const topCriteria = [];
  for (const [key, inner] of Object.entries(top || {})) {
    for (const [sub, value] of Object.entries(inner || {})) topCriteria.push(dimensionToCriterion({ [key]: { [sub]: value } }));
  }
  const groups = segment?.SegmentGroups;
  if (groups) {
    model.include = groups.Include || "ALL";
    for (const g of groups.Groups || []) {
      model.groups.push({
        type: g.Type || "ALL",
        sourceType: g.SourceType || "ANY",
        sources: (g.SourceSegments || []).map((s) => s.Id),
        criteria: (g.Dimensions || []).flatMap((d) =>
          Object.entries(d).flatMap(([key, inner]) => Object.entries(inner).map(([sub, v]) => dimensionToCriterion({ [key]: { [sub]: v } }))),
        ),
      });
    }
  }
  if (!model.groups.length) model.groups.push({ type: "ALL", sourceType: "ANY", sources: [], criteria: [] });
  model.groups[0].criteria.unshift(...topCriteria);
  return model;
}

// The builder's model → WriteSegmentRequest.
export function toRequest(model) {
  return {
    Name: model.name,
    SegmentGroups: {
      Include: model.include,
      Groups: model.groups.map((g) => {
        const group = { Type: g.type, SourceType: g.sourceType, Dimensions: g.criteria.map(criterionToDimension) };
        if (g.sources.length) group.SourceSegments = g.sources.map((Id) => ({ Id }));
        return group;
      }),
    },
  };
}

// Why the estimate waits (a criterion still being written), or "" when it can run.
function incomplete(model) {
  for (const group of model.groups) {
    for (const c of group.criteria) {
      const kind = CRITERIA.find(([key]) => key === c.key)?.[2];
      if ((kind === "attribute" || kind === "metric") && !c.name) return "Name the attribute or metric to see the estimate.";
      if (kind === "gps") {
        if ([c.lat, c.lon, c.km].some((v) => !String(v ?? "").trim() || !Number.isFinite(Number(v)))) {
          return "Give the point's latitude, longitude and range (numbers) to see the estimate.";
        }
        continue;
      }
      if (kind !== "recency" && !String(c.values).trim()) return "Give every criterion a value to see the estimate.";
    }
  }
  return "";
}

export async function segmentPage(main, { id }) {
  const app = currentProject();
  const all = (await pinpoint.getSegments(app)).Item || [];
  const saved = id ? await pinpoint.getSegment(app, id) : null;
  const isImport = saved?.SegmentType === "IMPORT";
  const model = toModel(saved);
  const others = all.filter((s) => s.Id !== id);

  const estimate = h("div", { class: "estimate", "aria-live": "polite" });
  const sqlBox = h("pre", { class: "sql", "aria-label": "Compiled SQL" });
  const requestBox = h("pre", { class: "json" });
  const sampleBox = h("div");
  const groupsBox = h("div", { class: "groups" });
  const name = input({ value: model.name, required: true, autocomplete: "off" });
  const include = select(
    [
      ["ALL", "Endpoints in all groups (AND)"],
      ["ANY", "Endpoints in any group (OR)"],
      ["NONE", "Endpoints in no group (exclude)"],
    ],
    { value: model.include },
  );
  name.addEventListener("input", () => { model.name = name.value; });
  include.addEventListener("change", () => { model.include = include.value; changed(); });

  let timer = null;
  let asked = 0;
  function changed() {
    edited = true;
    cancel(timer);
    timer = later(refreshEstimate, 250);
  }
  let edited = false;
  async function refreshEstimate() {
    const ticket = ++asked;
    const unfinished = incomplete(model);
    if (unfinished) {
      clear(estimate).append(h("span", { class: "muted" }, unfinished));
      return;
    }
    clear(estimate).append(h("span", { class: "muted" }, "Estimating…"));
    // The request as sent, even when the API refuses it.
    requestBox.textContent = JSON.stringify(isImport ? { Name: model.name } : toRequest(model), null, 2);
    try {
      // The stored segment itself until it is edited (GetSegmentEstimate counts exactly
      // what `segments preview` counts), then the edited definition.
      const result = isImport || (saved && !edited)
        ? await clarion.segmentEstimate(app, id)
        : await clarion.estimateSegment(app, { ...toRequest(model), Name: model.name || "estimate" });
      if (ticket !== asked) return;
      clearErrors(form);
      clear(estimate).append(
        h("span", { class: "count", "data-testid": "estimate-count" }, String(result.Count)),
        h("span", {}, " endpoints match now"),
      );
      sqlBox.textContent = result.Sql;
      clear(sampleBox).append(
        result.Sample.length
          ? h("ul", { class: "sample" }, result.Sample.map((e) => h("li", {}, h("a", { href: link(`audience/endpoints/${e}`), "data-link": true }, e))))
          : notice("No member yet."),
      );
    } catch (error) {
      if (ticket !== asked) return;
      clear(estimate).append(h("span", { class: "muted" }, "No estimate: see the errors."));
      // Nothing of the last estimate is left beside a definition that has none.
      clear(sampleBox);
      sqlBox.textContent = "";
      showErrors(form, error);
    }
  }

  function renderGroups() {
    clear(groupsBox);
    model.groups.forEach((group, gi) => {
      const type = select(
        [
          ["ALL", "match all criteria (AND)"],
          ["ANY", "match any criterion (OR)"],
          ["NONE", "match no criterion (exclude)"],
        ],
        { value: group.type },
      );
      type.addEventListener("change", () => { group.type = type.value; changed(); });
      const sourceType = select(
        [
          ["ANY", "in any of these segments"],
          ["ALL", "in all of these segments"],
        ],
        { value: group.sourceType },
      );
      sourceType.addEventListener("change", () => { group.sourceType = sourceType.value; changed(); });
      const sources = h(
        "fieldset",
        { class: "sources", "data-field": `SegmentGroups.Groups[${gi}].SourceSegments` },
        h("legend", {}, "Source segments"),
        others.length
          ? others.map((s) => {
              const box = h("input", { type: "checkbox", value: s.Id, checked: group.sources.includes(s.Id) });
              box.addEventListener("change", () => {
                group.sources = box.checked ? [...group.sources, s.Id] : group.sources.filter((x) => x !== s.Id);
                changed();
              });
              return h("label", { class: "check" }, box, ` ${s.Name || s.Id}`);
            })
          : h("span", { class: "muted" }, "No other segment."),
      );
      const criteria = h("div", { class: "criteria" });
      group.criteria.forEach((c, ci) => criteria.append(criterionRow(group, c, ci, gi)));
      groupsBox.append(
        h(
          "fieldset",
          { class: "group" },
          h("legend", {}, `Group ${gi + 1}`),
          h("div", { class: "row" }, field("Endpoints that", type, { name: `SegmentGroups.Groups[${gi}].Type` }), field("Source segments: endpoints", sourceType)),
          sources,
          criteria,
          button("Add criterion", () => { group.criteria.push({ key: "Demographic.Channel", op: "INCLUSIVE", values: "", name: "" }); renderGroups(); changed(); }, { class: "small" }),
          model.groups.length > 1 ? button("Remove group", () => { model.groups.splice(gi, 1); renderGroups(); changed(); }, { class: "small danger" }) : null,
        ),
      );
    });
  }

  function criterionRow(group, c, ci, gi) {
    const path = `SegmentGroups.Groups[${gi}].Dimensions[${ci}]`;
    const kindOf = () => CRITERIA.find(([key]) => key === c.key)?.[2];
    const key = select(CRITERIA.map(([k, label]) => [k, label]), { value: c.key, "aria-label": "Criterion" });
    const nameInput = input({ value: c.name, placeholder: "name", "aria-label": "Attribute or metric name" });
    const op = select([], { "aria-label": "Operator" });
    const values = input({ value: c.values, placeholder: "values, comma separated", "aria-label": "Values" });
    const durations = select(RECENCY, { "aria-label": "Window" });
    // Location.GPSPoint: its own three numbers, each named by its API field so an error
    // about it is shown under it.
    const gpsInputs = [
      ["lat", "Latitude", "Coordinates.Latitude", "-90 to 90"],
      ["lon", "Longitude", "Coordinates.Longitude", "-180 to 180"],
      ["km", "Range in kilometres", "RangeInKilometers", "km"],
    ].map(([part, label, member, placeholder]) => {
      const el = input({ type: "number", step: "any", value: c[part] ?? "", placeholder, "aria-label": label });
      el.id = `crit-${gi}-${ci}-${part}`;
      el.dataset.field = `${path}.Location.GPSPoint.${member}`;
      el.addEventListener("input", () => { c[part] = el.value; changed(); });
      return el;
    });
    const gpsErrors = gpsInputs.map((el) => h("span", { class: "field-error", role: "alert", id: `${el.id}-error` }));
    const gpsBox = h("span", { class: "gps" }, gpsInputs);
    function fill() {
      const kind = kindOf();
      clear(op);
      const ops = kind === "set" ? ["INCLUSIVE", "EXCLUSIVE"] : kind === "attribute" ? ATTRIBUTE_TYPES : kind === "metric" ? METRIC_OPERATORS : kind === "gps" ? [""] : ["ACTIVE", "INACTIVE"];
      for (const o of ops) op.append(h("option", { value: o }, o));
      if (!ops.includes(c.op)) c.op = ops[0];
      op.value = c.op;
      nameInput.hidden = !(kind === "attribute" || kind === "metric");
      values.hidden = kind === "recency" || kind === "gps";
      op.hidden = kind === "gps";
      gpsBox.hidden = kind !== "gps";
      durations.hidden = kind !== "recency";
      if (kind === "recency") {
        if (!RECENCY.includes(c.values)) c.values = "DAY_30";
        durations.value = c.values;
      }
    }
    fill();
    key.addEventListener("change", () => { c.key = key.value; c.values = kindOf() === "recency" ? "DAY_30" : ""; values.value = c.values; fill(); changed(); });
    nameInput.addEventListener("input", () => { c.name = nameInput.value.trim(); changed(); });
    op.addEventListener("change", () => { c.op = op.value; changed(); });
    values.addEventListener("input", () => { c.values = values.value; changed(); });
    durations.addEventListener("change", () => { c.values = durations.value; changed(); });
    const error = h("span", { class: "field-error", role: "alert" });
    values.dataset.field = path;
    values.id = `crit-${gi}-${ci}`;
    error.id = `${values.id}-error`;
    return h(
      "div",
      { class: "criterion" },
      key, nameInput, op, values, durations, gpsBox,
      button("Remove", () => { group.criteria.splice(ci, 1); renderGroups(); changed(); }, { class: "small", "aria-label": `Remove criterion ${ci + 1}` }),
      error,
      gpsErrors,
    );
  }

  const saveButton = h("button", { type: "submit" }, saved ? "Save a new version" : "Create segment");
  const form = h(
    "form",
    {
      class: "card builder",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(form);
        try {
          const request = isImport ? { Name: model.name } : toRequest(model);
          const result = saved
            ? await pinpoint.updateSegment(app, id, request)
            : await pinpoint.createSegment(app, request);
          navigate(`segments/${result.Id}`, { saved: String(result.Version) });
        } catch (error) {
          showErrors(form, error);
        }
      },
    },
    h("div", { class: "form-errors" }),
    field("Name", name, { name: "Name" }),
    isImport
      ? notice("An imported segment's members come from its file; only its name can change.")
      : [field("Include", include, { name: "SegmentGroups.Include" }), groupsBox, button("Add group", () => { model.groups.push({ type: "ALL", sourceType: "ANY", sources: [], criteria: [] }); renderGroups(); changed(); }, { class: "small" })],
    saveButton,
  );
  if (!isImport) renderGroups();
  const savedNote = new URLSearchParams(location.search).get("saved");
  add(main, 
    h("p", {}, h("a", { href: link("segments"), "data-link": true }, "← Segments")),
    h("h1", {}, saved ? `Segment ${saved.Name || saved.Id}` : "New segment"),
    savedNote ? notice(`Saved version ${savedNote}.`) : null,
    saved ? h("p", { class: "muted" }, `Id ${saved.Id} · version ${saved.Version} · ${saved.SegmentType}`) : null,
    h(
      "div",
      { class: "two" },
      form,
      h(
        "aside",
        { class: "card" },
        h("h2", {}, "Estimate"),
        estimate,
        h("h3", {}, "Sample of members"),
        sampleBox,
        h("details", {}, h("summary", {}, "Compiled SQL (Athena / Trino)"), sqlBox),
        h("details", {}, h("summary", {}, "Request JSON"), requestBox),
      ),
    ),
  );
  refreshEstimate();
}
