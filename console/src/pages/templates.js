// Templates: an editor per channel (email, SMS, push, voice, in-app) with a live preview
// against a chosen endpoint (email HTML in a sandboxed iframe: no script, no same
// origin), default substitutions, versions and the active version, and a test send.
// In-app messages are fetched by the app (GetInAppMessages), never sent nor personalised
// (Pinpoint keeps their parts as given): their preview draws the message itself.
import { cancel, clarion, later, pinpoint } from "../api.js";
import { add, button, clear, field, h, input, jsonView, notice, select, table } from "../dom.js";
import { currentProject, link, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

const TYPES = ["EMAIL", "SMS", "PUSH", "VOICE", "INAPP"];
const CONFIG = { EMAIL: "EmailTemplate", SMS: "SMSTemplate", PUSH: "PushTemplate", VOICE: "VoiceTemplate" };

// The fields of each channel: [member path, label, multiline].
const FIELDS = {
  EMAIL: [["Subject", "Subject", false], ["HtmlPart", "HTML body", true], ["TextPart", "Text body", true]],
  SMS: [["Body", "Message", true], ["SenderId", "Sender id", false]],
  PUSH: [["Default.Title", "Title", false], ["Default.Body", "Body", true], ["Default.Action", "Action (OPEN_APP, DEEP_LINK, URL)", false], ["Default.Url", "URL", false]],
  VOICE: [["Body", "Spoken text", true], ["LanguageCode", "Language (en-US…)", false], ["VoiceId", "Voice (Joanna…)", false]],
  // The first message of InAppTemplateRequest.Content (a carousel's others are kept).
  INAPP: [
    ["Layout", "Layout", ["BOTTOM_BANNER", "TOP_BANNER", "MIDDLE_BANNER", "OVERLAYS", "MOBILE_FEED", "CAROUSEL"]],
    ["Content.0.HeaderConfig.Header", "Header", false],
    ["Content.0.HeaderConfig.Alignment", "Header alignment", ["LEFT", "CENTER", "RIGHT"]],
    ["Content.0.HeaderConfig.TextColor", "Header colour", false],
    ["Content.0.BodyConfig.Body", "Body", true],
    ["Content.0.BodyConfig.Alignment", "Body alignment", ["LEFT", "CENTER", "RIGHT"]],
    ["Content.0.BodyConfig.TextColor", "Body colour", false],
    ["Content.0.BackgroundColor", "Background colour", false],
    ["Content.0.ImageUrl", "Image URL", false],
    ["Content.0.PrimaryBtn.DefaultConfig.Text", "Primary button text", false],
    ["Content.0.PrimaryBtn.DefaultConfig.ButtonAction", "Primary button action", ["", "LINK", "DEEP_LINK", "CLOSE"]],
    ["Content.0.PrimaryBtn.DefaultConfig.Link", "Primary button link", false],
    ["Content.0.SecondaryBtn.DefaultConfig.Text", "Secondary button text", false],
    ["Content.0.SecondaryBtn.DefaultConfig.ButtonAction", "Secondary button action", ["", "LINK", "DEEP_LINK", "CLOSE"]],
    ["Content.0.SecondaryBtn.DefaultConfig.Link", "Secondary button link", false],
  ],
};

function getPath(object, path) {
  return path.split(".").reduce((o, k) => (o ? o[k] : undefined), object);
}

// A numeric part ("Content.0.BodyConfig") is an array index.
function setPath(object, path, value) {
  const keys = path.split(".");
  let o = object;
  keys.slice(0, -1).forEach((k, i) => { o = o[k] ??= /^\d+$/.test(keys[i + 1]) ? [] : {}; });
  if (value === "") delete o[keys.at(-1)];
  else o[keys.at(-1)] = value;
}

// The API names an array member as Content[0]: "Content.0.Body" → "Content[0].Body".
const apiName = (path) => path.replace(/\.(\d+)(?=\.|$)/g, "[$1]");

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
  if (existing && kind === "INAPP") {
    // Every stored part kept (the other carousel messages, CustomConfig), the first
    // message's fields edited.
    for (const key of ["Content", "CustomConfig", "Layout"]) if (existing[key] !== undefined) body[key] = JSON.parse(JSON.stringify(existing[key]));
  } else if (existing) {
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
    let el;
    if (Array.isArray(multiline)) {
      // A choice with no "(none)" starts at its first option, in the request too.
      if (!getPath(body, path) && multiline[0]) setPath(body, path, multiline[0]);
      el = select(multiline.map((v) => [v, v || "(none)"]), { value: getPath(body, path) ?? "" });
      el.addEventListener("change", () => { setPath(body, path, el.value); changed(); });
    } else {
      el = multiline ? h("textarea", { rows: path === "HtmlPart" ? 10 : 4, spellcheck: false }, body && getPath(body, path) || "") : input({ value: getPath(body, path) || "" });
      el.addEventListener("input", () => { setPath(body, path, el.value); changed(); });
    }
    return field(label, el, { name: apiName(path) });
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
    if (kind === "INAPP") {
      preview.append(inAppView(request()));
      return;
    }
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
    if (kind === "INAPP") {
      sendResult.append(notice("An in-app message is not sent: the app fetches it (GetInAppMessages) from an in-app campaign using this template.", "error"));
      return;
    }
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
    kind === "INAPP" ? null : field("Default substitutions (JSON)", substitutions, { name: "DefaultSubstitutions", hint: '{"User.UserAttributes.FirstName": "there"}' }),
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
        kind === "INAPP"
          ? h("p", { class: "muted" }, "In-app messages are shown as written (Pinpoint does not personalise them).")
          : field("Preview for endpoint", endpointInput, { name: "EndpointId" }),
        preview,
        kind === "INAPP" ? null : button("Send a test to this endpoint", testSend),
        sendResult,
      ),
    ),
    versionsBox,
  );
  renderPreview();
}

// An in-app message drawn from its parts, as text (the image by its address: the page
// loads no image from elsewhere).
const ALIGN = ["LEFT", "CENTER", "RIGHT"];

function inAppView(request) {
  const message = request.Content?.[0] || {};
  const colour = (value) => (/^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value : "");
  const part = (config, key, tag) =>
    config?.[key] ? h(tag, { class: `inapp-${key.toLowerCase()}`, style: `text-align: ${ALIGN.includes(config.Alignment) ? config.Alignment.toLowerCase() : "left"}; color: ${colour(config.TextColor) || "inherit"}` }, config[key]) : null;
  const buttonOf = (btn, cls) => {
    const config = btn?.DefaultConfig;
    if (!config?.Text) return null;
    return h("span", { class: `inapp-button ${cls}`, title: config.Link || config.ButtonAction || "" }, config.Text);
  };
  return h(
    "div",
    { class: `inapp inapp-${String(request.Layout || "MIDDLE_BANNER").toLowerCase()}`, "data-testid": "inapp-preview", style: `background: ${colour(message.BackgroundColor) || "#fff"}` },
    h("small", { class: "muted" }, request.Layout || ""),
    part(message.HeaderConfig, "Header", "strong"),
    part(message.BodyConfig, "Body", "p"),
    message.ImageUrl ? h("p", { class: "muted" }, `image: ${message.ImageUrl}`) : null,
    h("div", {}, buttonOf(message.PrimaryBtn, "primary"), buttonOf(message.SecondaryBtn, "secondary")),
    (request.Content?.length || 0) > 1 ? h("p", { class: "muted" }, `and ${request.Content.length - 1} more carousel message(s)`) : null,
  );
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
