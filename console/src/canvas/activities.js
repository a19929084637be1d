// A journey's activities as Pinpoint's Journey JSON holds them (an `Activities` map of
// id → {Description, <TYPE>: {...}}), read and changed for the canvas: each activity's
// type, where it leads (with the branch's label), a one-line summary, and the edits the
// side form makes (nested paths set or removed, an activity removed with every
// reference to it).

export const TYPES = [
  "EMAIL",
  "SMS",
  "PUSH",
  "CUSTOM",
  "ContactCenter",
  "Wait",
  "ConditionalSplit",
  "MultiCondition",
  "RandomSplit",
  "Holdout",
];

export const MESSAGE_TYPES = ["EMAIL", "SMS", "PUSH", "CUSTOM", "ContactCenter"];

// The type label shown on a node.
export const TYPE_LABELS = {
  EMAIL: "Email",
  SMS: "SMS",
  PUSH: "Push",
  CUSTOM: "Custom",
  ContactCenter: "Contact center",
  Wait: "Wait",
  ConditionalSplit: "Yes/no split",
  MultiCondition: "Multivariate split",
  RandomSplit: "Random split",
  Holdout: "Holdout",
};

export function typeOf(activity) {
  return TYPES.find((t) => activity && activity[t] && typeof activity[t] === "object") || "";
}

// A new activity of `type`, with the settings every one of its kind needs.
export function newActivity(type) {
  const settings = {
    EMAIL: {},
    SMS: {},
    PUSH: {},
    CUSTOM: {},
    ContactCenter: {},
    Wait: { WaitTime: { WaitFor: "P1D" } },
    ConditionalSplit: {
      Condition: { Operator: "ALL", Conditions: [{ EventCondition: { Dimensions: eventDimensions("_email.open") } }] },
      EvaluationWaitTime: { WaitFor: "P1D" },
    },
    MultiCondition: {
      Branches: [{ Condition: { EventCondition: { Dimensions: eventDimensions("_email.open") } } }],
      EvaluationWaitTime: { WaitFor: "P1D" },
    },
    RandomSplit: { Branches: [{ Percentage: 50 }, { Percentage: 50 }] },
    Holdout: { Percentage: 10 },
  }[type];
  return { [type]: structuredClone(settings) };
}

export function eventDimensions(eventType) {
  return { EventType: { DimensionType: "INCLUSIVE", Values: [eventType] } };
}

// [{to, label, path}]: where the activity leads; `path` is the key path of the reference
// inside the activity's settings.
export function nextSteps(activity) {
  const type = typeOf(activity);
  const s = activity?.[type] || {};
  const out = [];
  const push = (to, label, path) => {
    if (to) out.push({ to, label, path });
  };
  switch (type) {
    case "ConditionalSplit":
      push(s.TrueActivity, "yes", ["TrueActivity"]);
      push(s.FalseActivity, "no", ["FalseActivity"]);
      break;
    case "MultiCondition":
      (s.Branches || []).forEach((b, i) => push(b?.NextActivity, `branch ${i + 1}`, ["Branches", i, "NextActivity"]));
      push(s.DefaultActivity, "otherwise", ["DefaultActivity"]);
      break;
    case "RandomSplit":
      (s.Branches || []).forEach((b, i) => push(b?.NextActivity, `${b?.Percentage ?? 0}%`, ["Branches", i, "NextActivity"]));
      break;
    case "Holdout":
      push(s.NextActivity, `${100 - Number(s.Percentage || 0)}% continue`, ["NextActivity"]);
      break;
    default:
      push(s.NextActivity, "", ["NextActivity"]);
  }
  return out;
}

function conditionText(condition) {
  if (!condition) return "";
  const event = condition.EventCondition;
  if (event) {
    const types = event.Dimensions?.EventType?.Values || [];
    return `${event.MessageActivity ? `${event.MessageActivity}: ` : ""}${types.join(" or ") || "an event"}`;
  }
  if (condition.SegmentCondition) return `in segment ${condition.SegmentCondition.SegmentId || "?"}`;
  if (condition.SegmentDimensions) return "matches dimensions";
  return "a condition";
}

// The line under a node's title: what it sends, how long it waits, what it asks.
export function summary(activity) {
  const type = typeOf(activity);
  const s = activity?.[type] || {};
  switch (type) {
    case "EMAIL":
    case "SMS":
    case "PUSH":
      return s.TemplateName ? `template ${s.TemplateName}` : "no template yet";
    case "CUSTOM":
      return s.DeliveryUri || "no delivery URI yet";
    case "ContactCenter":
      return "Amazon Connect (not offered)";
    case "Wait":
      if (s.WaitTime?.WaitFor) return `for ${s.WaitTime.WaitFor}`;
      if (s.WaitTime?.WaitUntil) return `until ${s.WaitTime.WaitUntil}`;
      return "no wait time yet";
    case "ConditionalSplit": {
      const conditions = s.Condition?.Conditions || [];
      const text = conditions.map(conditionText).join(s.Condition?.Operator === "ANY" ? " or " : " and ");
      const wait = s.EvaluationWaitTime?.WaitFor || s.EvaluationWaitTime?.WaitUntil;
      return `${text || "no condition yet"}${wait ? ` (within ${wait})` : ""}`;
    }
    case "MultiCondition":
      return `${(s.Branches || []).length} branches and a default`;
    case "RandomSplit":
      return (s.Branches || []).map((b) => `${b?.Percentage ?? 0}%`).join(" / ");
    case "Holdout":
      return `${s.Percentage ?? 0}% held out`;
    default:
      return "unknown activity type";
  }
}

export function startSummary(journey) {
  const start = journey.StartCondition;
  if (!start) return "no start condition yet";
  if (start.SegmentStartCondition) return `segment ${start.SegmentStartCondition.SegmentId || "?"}`;
  const event = start.EventStartCondition;
  if (event) {
    const types = event.EventFilter?.Dimensions?.EventType?.Values || [];
    return `on event ${types.join(" or ") || "?"}${event.SegmentId ? ` in segment ${event.SegmentId}` : ""}`;
  }
  return start.Description || "a start condition";
}

export function getPath(object, path) {
  let at = object;
  for (const key of path) {
    if (at === undefined || at === null) return undefined;
    at = at[key];
  }
  return at;
}

// Set a nested value, making the objects (or arrays, before a number) on the way; an
// empty value ("", null, undefined) removes the key instead.
export function setPath(object, path, value) {
  let at = object;
  path.slice(0, -1).forEach((key, i) => {
    if (at[key] === undefined || at[key] === null) at[key] = typeof path[i + 1] === "number" ? [] : {};
    at = at[key];
  });
  const last = path[path.length - 1];
  if (value === "" || value === null || value === undefined) {
    if (Array.isArray(at)) at[last] = undefined;
    else delete at[last];
  } else at[last] = value;
}

// Remove an activity and every reference to it (NextActivity..., StartActivity, event
// conditions naming it), so what is left still validates.
export function removeActivity(journey, id) {
  delete journey.Activities[id];
  if (journey.StartActivity === id) delete journey.StartActivity;
  for (const activity of Object.values(journey.Activities)) {
    const type = typeOf(activity);
    for (const step of nextSteps(activity)) {
      if (step.to === id) setPath(activity[type], step.path, "");
    }
  }
}

// Rename an activity, every reference to it following.
export function renameActivity(journey, from, to) {
  const entries = Object.entries(journey.Activities).map(([k, v]) => [k === from ? to : k, v]);
  journey.Activities = Object.fromEntries(entries);
  if (journey.StartActivity === from) journey.StartActivity = to;
  for (const activity of Object.values(journey.Activities)) {
    const type = typeOf(activity);
    for (const step of nextSteps(activity)) {
      if (step.to === from) setPath(activity[type], step.path, to);
    }
    const s = activity[type] || {};
    const conditions = [...(s.Condition?.Conditions || []), ...(s.Branches || []).map((b) => b?.Condition)];
    for (const c of conditions) {
      if (c?.EventCondition?.MessageActivity === from) c.EventCondition.MessageActivity = to;
    }
  }
}

// A WriteJourneyRequest from a JourneyResponse (its id, project and tags are not
// written back).
export function writeRequest(journey) {
  const request = structuredClone(journey);
  for (const key of ["Id", "ApplicationId", "tags"]) delete request[key];
  return request;
}

// "Activities.week.Wait.WaitTime.WaitFor" → "week"; null when the field names no activity.
export function activityOfField(field) {
  const match = /^Activities\.([^.[\]]+)/.exec(field || "");
  return match ? match[1] : null;
}
