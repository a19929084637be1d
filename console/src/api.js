// The console's only way to the data: Pinpoint's REST API (/v1) and Clarion's documented
// extensions (/clarion), the same calls a boto3 script makes.

let config = { mode: "local", apiBase: "", tokenRequired: false };
let token = sessionStorage.getItem("clarion-token") || "";
let authorizer = null; // on AWS: signs each call as the signed-in user (auth.js)

export async function loadConfig() {
  return busy(async () => {
    const response = await fetch("/console/config.json", { cache: "no-cache" });
    if (response.ok) config = { ...config, ...(await response.json()) };
    return config;
  });
}

export function getConfig() {
  return config;
}

export function setToken(value) {
  token = value;
  sessionStorage.setItem("clarion-token", value);
}

export function setAuthorizer(fn) {
  authorizer = fn;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
    // "Field.Path: reason; Other: reason" → [{field, reason}], split only before the
    // next field's name: a reason may hold "; " itself.
    this.problems = String(message || "")
      .split(/; (?=[A-Za-z0-9_.[\]{}-]+: )/)
      .map((part) => {
        const match = /^([A-Za-z0-9_.[\]{}-]+): (.+)$/s.exec(part);
        return match ? { field: match[1], reason: match[2] } : { field: "", reason: part };
      });
  }
}

// Calls in flight and estimates or previews waiting to be asked (tests wait for none).
let pending = 0;
window.clarionBusy = () => pending > 0;

// Run fn after ms, counted as pending work until it has finished; cancel(handle) drops
// it if it has not started.
export function later(fn, ms) {
  pending += 1;
  const handle = { started: false, id: 0 };
  handle.id = setTimeout(async () => {
    handle.started = true;
    try {
      await fn();
    } finally {
      pending -= 1;
    }
  }, ms);
  return handle;
}

export function cancel(handle) {
  if (handle && !handle.started && !handle.cancelled) {
    clearTimeout(handle.id);
    handle.cancelled = true;
    pending -= 1;
  }
}

// Run fn counted as pending work: the shell's start and each page's render, so no moment
// between their calls looks idle.
export async function busy(fn) {
  pending += 1;
  try {
    return await fn();
  } finally {
    pending -= 1;
  }
}

export async function call(method, path, body, options = {}) {
  pending += 1;
  try {
    return await send(method, path, body, options);
  } finally {
    pending -= 1;
  }
}

async function send(method, path, body, { raw, query, accept } = {}) {
  let url = config.apiBase + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const headers = { Accept: accept || "application/json" };
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers["Content-Type"] = "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  if (token) headers["x-clarion-token"] = token;
  let request = { method, headers, body: payload };
  if (authorizer) request = await authorizer(url, request);
  const response = await fetch(url, request);
  if (!response.ok) {
    let message = response.statusText;
    let code = response.headers.get("x-amzn-errortype") || "Error";
    try {
      const data = await response.json();
      message = data.Message || data.message || message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, code.split(":")[0], message);
  }
  if (accept && accept !== "application/json") return response.text();
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

const enc = encodeURIComponent;
const app = (id) => `/v1/apps/${enc(id)}`;
const ext = (id) => `/clarion/apps/${enc(id)}`;

// Pages call these: each is one Pinpoint operation or one documented extension.
export const pinpoint = {
  getApps: () => call("GET", "/v1/apps", undefined, { query: { "page-size": 100 } }),
  createApp: (name) => call("POST", "/v1/apps", { Name: name }),
  getEndpoint: (a, id) => call("GET", `${app(a)}/endpoints/${enc(id)}`),
  getUserEndpoints: (a, id) => call("GET", `${app(a)}/users/${enc(id)}`),
  createImportJob: (a, request) => call("POST", `${app(a)}/jobs/import`, request),
  getImportJob: (a, id) => call("GET", `${app(a)}/jobs/import/${enc(id)}`),
  getImportJobs: (a) => call("GET", `${app(a)}/jobs/import`),
  createExportJob: (a, request) => call("POST", `${app(a)}/jobs/export`, request),
  getSegments: (a) => call("GET", `${app(a)}/segments`, undefined, { query: { "page-size": 200 } }),
  getSegment: (a, id) => call("GET", `${app(a)}/segments/${enc(id)}`),
  createSegment: (a, request) => call("POST", `${app(a)}/segments`, request),
  updateSegment: (a, id, request) => call("PUT", `${app(a)}/segments/${enc(id)}`, request),
  listTemplates: () => call("GET", "/v1/templates", undefined, { query: { "page-size": 200 } }),
  getTemplate: (name, type) => call("GET", `/v1/templates/${enc(name)}/${type.toLowerCase()}`),
  getTemplateVersion: (name, type, version) =>
    call("GET", `/v1/templates/${enc(name)}/${type.toLowerCase()}`, undefined, { query: { version } }),
  createTemplate: (name, type, request) => call("POST", `/v1/templates/${enc(name)}/${type.toLowerCase()}`, request),
  updateTemplate: (name, type, request) =>
    call("PUT", `/v1/templates/${enc(name)}/${type.toLowerCase()}`, request, {
      query: { "create-new-version": "true" },
    }),
  listTemplateVersions: (name, type) => call("GET", `/v1/templates/${enc(name)}/${type.toLowerCase()}/versions`),
  setActiveVersion: (name, type, version) =>
    call("PUT", `/v1/templates/${enc(name)}/${type.toLowerCase()}/active-version`, { Version: String(version) }),
  sendMessages: (a, request) => call("POST", `${app(a)}/messages`, request),
  getCampaigns: (a) => call("GET", `${app(a)}/campaigns`, undefined, { query: { "page-size": 200 } }),
  getCampaign: (a, id) => call("GET", `${app(a)}/campaigns/${enc(id)}`),
  createCampaign: (a, request) => call("POST", `${app(a)}/campaigns`, request),
  getCampaignActivities: (a, id) => call("GET", `${app(a)}/campaigns/${enc(id)}/activities`),
  getCampaignKpi: (a, id, kpi, start, end) =>
    call("GET", `${app(a)}/campaigns/${enc(id)}/kpis/daterange/${kpi}`, undefined, {
      query: { "start-time": start, "end-time": end },
    }),
};

export const clarion = {
  estimateSegment: (a, request) => call("POST", `${ext(a)}/segments/estimate`, request),
  segmentEstimate: (a, id) => call("GET", `${ext(a)}/segments/${enc(id)}/estimate`),
  previewTemplate: (a, name, type, body) =>
    call("POST", `${ext(a)}/templates/${enc(name)}/${type.toLowerCase()}/preview`, body),
  upload: (a, name, bytes) => call("POST", `${ext(a)}/uploads`, undefined, { raw: bytes, query: { name } }),
  findEndpoints: (a, address) => call("GET", `${ext(a)}/endpoints`, undefined, { query: { address } }),
  endpointEvents: (a, id) => call("GET", `${ext(a)}/endpoints/${enc(id)}/events`),
  exportEndpoints: (a, segmentId) => call("POST", `${ext(a)}/exports`, segmentId ? { SegmentId: segmentId } : {}),
  exportFile: (a, jobId) => call("GET", `${ext(a)}/jobs/export/${enc(jobId)}/file`, undefined, { accept: "application/x-ndjson" }),
  campaignMetrics: (a, id) => call("GET", `${ext(a)}/campaigns/${enc(id)}/metrics`),
  eventCounts: (a, query) => call("GET", `${ext(a)}/events/counts`, undefined, { query }),
  churnReport: (a) => call("GET", `${ext(a)}/churn/report`),
  sentimentReport: (a) => call("GET", `${ext(a)}/sentiment/report`),
  identity: () => call("GET", "/clarion/identity"),
};
