// The console's shell: the router (every page has its own URL under /console/, with the
// project in ?project=), the section navigation and the project picker.
import "./style.css";
import { ApiError, busy, clarion, loadConfig, pinpoint, setToken } from "./api.js";
import { add, button, clear, field, h, input, notice } from "./dom.js";
import { projectsPage } from "./pages/projects.js";
import { audiencePage, endpointPage, importPage } from "./pages/audience.js";
import { segmentPage, segmentsPage } from "./pages/segments.js";
import { templatePage, templatesPage } from "./pages/templates.js";
import { campaignPage, campaignsPage, campaignWizard } from "./pages/campaigns.js";
import { analyticsPage, campaignAnalyticsPage, journeyAnalyticsPage } from "./pages/analytics.js";
import { journeysPage } from "./pages/journeys.js";
import { churnPage, sentimentPage } from "./pages/insights.js";
import { settingsPage } from "./pages/settings.js";
import { link, refreshApps, state } from "./nav.js";

const SECTIONS = [
  ["projects", "Projects"],
  ["audience", "Audience"],
  ["segments", "Segments"],
  ["templates", "Templates"],
  ["campaigns", "Campaigns"],
  ["journeys", "Journeys"],
  ["analytics", "Analytics"],
  ["churn", "Churn"],
  ["sentiment", "Sentiment"],
  ["settings", "Settings"],
];

// [pattern, page]: the first match renders; `:name` parts become params.
const ROUTES = [
  ["", projectsPage],
  ["projects", projectsPage],
  ["audience", audiencePage],
  ["audience/endpoints/:id", endpointPage],
  ["audience/imports/:id", importPage],
  ["segments", segmentsPage],
  ["segments/new", segmentPage],
  ["segments/:id", segmentPage],
  ["templates", templatesPage],
  ["templates/new", templatePage],
  ["templates/:type/:name", templatePage],
  ["campaigns", campaignsPage],
  ["campaigns/new", campaignWizard],
  ["campaigns/:id", campaignPage],
  ["journeys", journeysPage],
  ["journeys/:id", journeysPage],
  ["analytics", analyticsPage],
  ["analytics/campaigns/:id", campaignAnalyticsPage],
  ["analytics/journeys/:id", journeyAnalyticsPage],
  ["churn", churnPage],
  ["sentiment", sentimentPage],
  ["settings", settingsPage],
];

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    want.forEach((segment, i) => {
      if (segment.startsWith(":")) params[segment.slice(1)] = decodeURIComponent(parts[i]);
      else if (segment !== parts[i]) ok = false;
    });
    if (ok) return { page, params, section: want[0] || "projects" };
  }
  return null;
}

function renderNav(section) {
  const nav = clear(document.getElementById("nav"));
  for (const [key, label] of SECTIONS) {
    nav.append(
      h("a", { href: link(key), "data-link": true, "aria-current": key === section ? "page" : false }, label),
    );
  }
}

function renderPicker() {
  const picker = document.getElementById("project-select");
  clear(picker);
  for (const app of state.apps) picker.append(h("option", { value: app.Id }, `${app.Name} (${app.Id})`));
  picker.value = state.project;
}


export function render() {
  return busy(renderPage);
}

async function renderPage() {
  const url = new URL(location.href);
  const wanted = url.searchParams.get("project");
  if (wanted && state.apps.some((a) => a.Id === wanted)) state.project = wanted;
  else if (!state.project) {
    const remembered = localStorage.getItem("clarion-project");
    state.project = state.apps.some((a) => a.Id === remembered) ? remembered : state.apps[0]?.Id || "";
  }
  localStorage.setItem("clarion-project", state.project);
  const path = url.pathname.replace(/^\/console\/?/, "");
  const found = match(path);
  const main = clear(document.getElementById("main"));
  renderNav(found?.section);
  renderPicker();
  if (!found) {
    add(main, h("h1", {}, "Not found"), notice(`No console page at ${url.pathname}.`, "error"));
    return;
  }
  try {
    await found.page(main, { ...found.params, query: url.searchParams, project: state.project });
  } catch (error) {
    add(main, notice(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error), "error"));
  }
}

function signInForm(message) {
  const main = clear(document.getElementById("main"));
  const token = input({ type: "password", autocomplete: "current-password" });
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: (event) => {
        event.preventDefault();
        setToken(token.value);
        start();
      },
    },
    h("h1", {}, "Sign in"),
    message ? notice(message, "error") : null,
    field("API token", token, { hint: "The token `clarion serve --token` was started with." }),
    h("button", { type: "submit" }, "Sign in"),
  );
  add(main, form);
  token.focus();
}

async function start() {
  const config = await loadConfig();
  if (config.mode === "aws") {
    const { signIn } = await import("./auth.js");
    if (!(await signIn(document.getElementById("main"), start))) return;
  }
  await busy(async () => {
    try {
      await refreshApps();
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        signInForm(config.tokenRequired ? error.message : "");
        return;
      }
      throw error;
    }
    try {
      state.identity = await clarion.identity();
      const who = document.getElementById("who");
      who.textContent = `${state.identity.User} · ${state.identity.Groups.join(", ")}`;
    } catch {
      /* an older API without the identity extension */
    }
    document.getElementById("project-select").onchange = (event) => {
      state.project = event.target.value;
      const url = new URL(location.href);
      url.searchParams.set("project", state.project);
      history.pushState({}, "", url);
      render();
    };
    await render();
  });
}

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[data-link]");
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  history.pushState({}, "", a.getAttribute("href"));
  render();
});
window.addEventListener("popstate", () => render());
state.render = render;

start().catch((error) => {
  const main = clear(document.getElementById("main"));
  add(main, notice(`The console could not start: ${error.message || error}`, "error"), button("Retry", () => start()));
});
