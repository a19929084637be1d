// Templates: an editor per channel with a live preview against a chosen endpoint (email
// HTML in a sandboxed iframe: no script, no same origin), default substitutions,
// versions and the active version, and a test send.
import { cancel, clarion, later, pinpoint } from "../api.js";
import { add, button, clear, field, h, input, jsonView, notice, select, table } from "../dom.js";
import { currentProject, link, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

const TYPES = ["EMAIL", "SMS", "PUSH", "VOICE"];
const REQUEST = { EMAIL: "EmailTemplateRequest", SMS: "SMSTemplateRequest", PUSH: "PushNotificationTemplateRequest", VOICE: "VoiceTemplateRequest" };
const CONFIG = { EMAIL: "EmailTemplate", SMS: "SMSTemplate", PUSH: "PushTemplate", VOICE: "VoiceTemplate" };

// The fields of each channel: [member path, label, multiline].
const FIELDS = {
  EMAIL: [["Subject", "Subject", false], ["HtmlPart", "HTML body", true], ["TextPart", "Text body", true]],
  SMS: [["Body", "Message", true], ["SenderId", "Sender id", false]],
  PUSH: [["Default.Title", "Title", false], ["Default.Body", "Body", true], ["Default.Action", "Action (OPEN_APP, DEEP_LINK, URL)", false], ["Default.Url", "URL", false]],
  VOICE: [["Body", "Spoken text", true], ["LanguageCode", "Language (en-US…)", false], ["VoiceId", "Voice (Joanna…)", false]],
};

function getPath(object, path) {
  return path.split(".").reduce((o, k) => (o ? o[k] : undefined), object);
}

function setPath(object, path, value) {
  const keys = path.split(".");
  let o = object;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  if (value === "") delete o[keys.at(-1)];
  else o[keys.at(-1)] = value;
}

export async function templatesPage(main) {
  const templates = (await pinpoint.listTemplates()).Item || [];
  add(main, 
    h("h1", {}, "Templates"),
    h("p", {}, h("a", { href: link("templates/new"), "data-link": true, class: "button" }, "New template")),
    table(
      [
        { label: "Name", render: (t) => h("a", { href: link(`templates/${t.TemplateType.toLowerCase()}/${t.TemplateName}`), "data-link": true }, t.TemplateName) },
        { label: "Channel", key: "TemplateType" },
        { label: "Version", key: "Version" },
        { label: "Modified", key: "LastModifiedDate" },
      ],
      templates,
    ),
  );
}

export async function templatePage(main, { type, name, query }) {
  const app = currentProject();
  const kind = (type || query.get("type") || "EMAIL").toUpperCase();
  const existing = name ? await pinpoint.getTemplate(name, kind) : null;
  const body = {};
  if (existing) {
    for (const [path] of FIELDS[kind]) {
      const value = getPath(existing, path);
      if (value !== undefined && value !== null) setPath(body, path, value);
    }
  }

  const nameInput = input({ value: name || "", required: true, disabled: Boolean(name), autocomplete: "off" });
  const typeSelect = select(TYPES, { value: kind, disabled: Boolean(name) });
  typeSelect.addEventListener("change", () => navigate("templates/new", { type: typeSelect.value }));
  const substitutions = h("textarea", { rows: 3, spellcheck: false }, existing?.DefaultSubstitutions || "");
  const description = input({ value: existing?.TemplateDescription || "" });
  const endpointInput = input({ value: query.get("endpoint") || "", placeholder: "an endpoint id of this project", autocomplete: "off" });
  const preview = h("div", { class: "preview", "aria-live": "polite" });
  const form = h("form", { class: "card" });

  const inputs = FIELDS[kind].map(([path, label, multiline]) => {
    const el = multiline ? h("textarea", { rows: path === "HtmlPart" ? 10 : 4, spellcheck: false }, body && getPath(body, path) || "") : input({ value: getPath(body, path) || "" });
    el.addEventListener("input", () => { setPath(body, path, el.value); changed(); });
    return field(label, el, { name: path.includes(".") ? path : path });
  });
  substitutions.addEventListener("input", changed);
  endpointInput.addEventListener("input", changed);

  function request() {
    const r = JSON.parse(JSON.stringify(body));
    if (substitutions.value.trim()) r.DefaultSubstitutions = substitutions.value.trim();
    if (description.value.trim()) r.TemplateDescription = description.value.trim();
    return r;
  }

  let timer;
  let asked = 0;
  function changed() {
    cancel(timer);
    timer = later(renderPreview, 300);
  }
  async function renderPreview() {
    const ticket = ++asked;
    const endpointId = endpointInput.value.trim();
    clear(preview);
    if (!endpointId) {
      preview.append(notice("Choose an endpoint to preview the message as its customer will see it."));
      return;
    }
    try {
      const rendered = await clarion.previewTemplate(app, nameInput.value || "draft", kind, { EndpointId: endpointId, Draft: request() });
      if (ticket !== asked) return;
      clearErrors(form);
      preview.append(renderedView(kind, rendered));
    } catch (error) {
      if (ticket !== asked) return;
      preview.append(notice("No preview: see the errors."));
      showErrors(form, error);
    }
  }

  const sendResult = h("div", { "aria-live": "polite" });
  async function testSend() {
    clear(sendResult);
    const endpointId = endpointInput.value.trim();
    if (!name) {
      sendResult.append(notice("Save the template first: a test send uses its active version.", "error"));
      return;
    }
    if (!endpointId) {
      sendResult.append(notice("Choose an endpoint to send the test to.", "error"));
      return;
    }
    try {
      const result = await pinpoint.sendMessages(app, {
        Endpoints: { [endpointId]: {} },
        MessageConfiguration: {},
        TemplateConfiguration: { [CONFIG[kind]]: { Name: name } },
      });
      const answer = result.EndpointResult?.[endpointId] || {};
      sendResult.append(notice(`Test send: ${answer.DeliveryStatus || "?"} ${answer.StatusMessage || ""}`.trim(), answer.DeliveryStatus === "SUCCESSFUL" ? "info" : "error"));
    } catch (error) {
      sendResult.append(notice(`${error.code || "Error"}: ${error.message}`, "error"));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const templateName = nameInput.value.trim();
    try {
      if (name) await pinpoint.updateTemplate(templateName, kind, request());
      else await pinpoint.createTemplate(templateName, kind, request());
      navigate(`templates/${kind.toLowerCase()}/${encodeURIComponent(templateName)}`, { saved: "1", endpoint: endpointInput.value.trim() });
    } catch (error) {
      showErrors(form, error);
    }
  });
  add(form, 
    h("div", { class: "form-errors" }),
    h("div", { class: "row" }, field("Name", nameInput, { name: "TemplateName" }), field("Channel", typeSelect, { name: "TemplateType" })),
    inputs,
    field("Default substitutions (JSON)", substitutions, { name: "DefaultSubstitutions", hint: '{"User.UserAttributes.FirstName": "there"}' }),
    field("Description", description, { name: "TemplateDescription" }),
    h("button", { type: "submit" }, name ? "Save as a new version" : "Create template"),
  );

  let versionsBox = null;
  if (name) {
    const versions = (await pinpoint.listTemplateVersions(name, kind)).Item || [];
    const active = String(existing?.Version ?? "");
    versionsBox = h(
      "section",
      { class: "card" },
      h("h2", {}, "Versions"),
      table(
        [
          { label: "Version", key: "Version" },
          { label: "Modified", key: "LastModifiedDate" },
          {
            label: "Active",
            render: (v) =>
              String(v.Version) === active
                ? h("strong", {}, "active")
                : button(`Make version ${v.Version} active`, async () => {
                    await pinpoint.setActiveVersion(name, kind, v.Version);
                    navigate(`templates/${kind.toLowerCase()}/${encodeURIComponent(name)}`);
                  }, { class: "small" }),
          },
        ],
        versions,
      ),
    );
  }

  add(main, 
    h("p", {}, h("a", { href: link("templates"), "data-link": true }, "← Templates")),
    h("h1", {}, name ? `Template ${name} (${kind})` : "New template"),
    query.get("saved") ? notice("Saved.") : null,
    h(
      "div",
      { class: "two" },
      form,
      h(
        "aside",
        { class: "card" },
        h("h2", {}, "Preview"),
        field("Preview for endpoint", endpointInput, { name: "EndpointId" }),
        preview,
        button("Send a test to this endpoint", testSend),
        sendResult,
      ),
    ),
    versionsBox,
  );
  renderPreview();
}

// The rendered parts: email HTML only ever inside a sandboxed iframe (no allow-scripts,
// no allow-same-origin), every other part as text.
function renderedView(kind, rendered) {
  const parts = [];
  if (kind === "EMAIL") {
    parts.push(h("p", {}, h("strong", {}, "Subject: "), rendered.Subject || ""));
    const frame = h("iframe", { class: "email-frame", title: "Email preview", sandbox: "", referrerpolicy: "no-referrer" });
    frame.srcdoc = rendered.HtmlPart || rendered.HtmlBody || "";
    parts.push(frame);
    if (rendered.TextPart) parts.push(h("details", {}, h("summary", {}, "Text part"), h("pre", {}, rendered.TextPart)));
  } else {
    const { EndpointId, TemplateName, Version, ...rest } = rendered;
    parts.push(jsonView(rest));
  }
  return h("div", {}, parts);
}
