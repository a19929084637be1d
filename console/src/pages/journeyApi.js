// The journey calls of the journeys pages: Pinpoint's journey operations (/v1) and
// Clarion's ExplainJourney extension (/clarion), nothing else.
import { call } from "../api.js";

const enc = encodeURIComponent;
const base = (a) => `/v1/apps/${enc(a)}/journeys`;

export const journeysApi = {
  list: (a) => call("GET", base(a), undefined, { query: { "page-size": 200 } }),
  get: (a, id) => call("GET", `${base(a)}/${enc(id)}`),
  create: (a, request) => call("POST", base(a), request),
  update: (a, id, request) => call("PUT", `${base(a)}/${enc(id)}`, request),
  setState: (a, id, state) => call("PUT", `${base(a)}/${enc(id)}/state`, { State: state }),
  metrics: (a, id) => call("GET", `${base(a)}/${enc(id)}/execution-metrics`),
  activityMetrics: (a, id, activity) =>
    call("GET", `${base(a)}/${enc(id)}/activities/${enc(activity)}/execution-metrics`),
  explain: (a, id, endpoint) =>
    call("GET", `/clarion/apps/${enc(a)}/journeys/${enc(id)}/explain`, undefined, { query: { endpoint } }),
};
