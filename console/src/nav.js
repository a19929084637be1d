import { pinpoint } from "./api.js";

// The console's place: the current project and page URLs (kept apart from main.js so
// pages can link without importing the router).
export const state = { apps: [], project: "", identity: null, render: null };

export function currentProject() {
  return state.project;
}

export function identity() {
  return state.identity;
}

// A console URL of the current project: link("segments/abc") → /console/segments/abc?project=…
export function link(path, extra = {}) {
  const params = new URLSearchParams({ project: state.project, ...extra });
  return `/console/${path}?${params}`;
}

export function navigate(path, extra) {
  history.pushState({}, "", path.startsWith("/console/") ? path : link(path, extra));
  return state.render();
}

export async function refreshApps() {
  const apps = await pinpoint.getApps();
  state.apps = apps.Item || [];
  return state.apps;
}
