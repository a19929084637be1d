// Project settings and channels: the project's quiet time and limits
// (UpdateApplicationSettings) and every channel of Pinpoint's API (GetChannels, then
// Update*Channel and Delete*Channel of email, SMS, voice, the four APNs channels,
// GCM/FCM, Baidu and ADM). Only the admin group may change them; everyone else sees them
// read-only (the API refuses them too, and its answer is shown beside the field).
import { call } from "../api.js";
import { add, button, field, h, input, notice, select, table } from "../dom.js";
import { currentProject, identity, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

const app = () => `/v1/apps/${encodeURIComponent(currentProject())}`;

export async function settingsPage(main, { query }) {
  const admin = identity()?.Admin !== false;
  const settings = await call("GET", `${app()}/settings`);
  const channels = (await call("GET", `${app()}/channels`)).Channels || {};
  add(
    main,
    h("h1", {}, "Project settings and channels"),
    query.get("saved") ? notice("Saved.") : null,
    admin ? null : notice("Only the admin group may change channels and settings: they are shown read-only."),
  );

  const quietStart = input({ value: settings.QuietTime?.Start || "", placeholder: "22:00", disabled: !admin });
  const quietEnd = input({ value: settings.QuietTime?.End || "", placeholder: "07:00", disabled: !admin });
  const limits = Object.fromEntries(
    ["Daily", "Total", "MessagesPerSecond", "MaximumDuration"].map((k) => [k, input({ type: "number", min: 0, value: settings.Limits?.[k] ?? "", disabled: !admin })]),
  );
  const settingsForm = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(settingsForm);
        const request = {};
        if (quietStart.value || quietEnd.value) request.QuietTime = { Start: quietStart.value, End: quietEnd.value };
        const given = Object.entries(limits).filter(([, el]) => el.value !== "");
        if (given.length) request.Limits = Object.fromEntries(given.map(([k, el]) => [k, Number(el.value)]));
        try {
          await call("PUT", `${app()}/settings`, request);
          navigate("settings", { saved: "1" });
        } catch (error) {
          showErrors(settingsForm, error);
        }
      },
    },
    h("h2", {}, "Quiet time and limits (every campaign of the project)"),
    h("div", { class: "form-errors" }),
    h("div", { class: "row" }, field("Quiet time from", quietStart, { name: "QuietTime.Start" }), field("to", quietEnd, { name: "QuietTime.End" })),
    h("div", { class: "row" }, Object.entries(limits).map(([k, el]) => field(k, el, { name: `Limits.${k}` }))),
    admin ? h("button", { type: "submit" }, "Save settings") : null,
  );

  add(
    main,
    settingsForm,
    h("h2", {}, "Channels"),
    table(
      [
        { label: "Channel", key: "name" },
        { label: "Enabled", key: "Enabled" },
        { label: "Version", key: "Version" },
        { label: "Credential", key: "HasCredential" },
        { label: "Modified", key: "LastModifiedDate" },
      ],
      Object.entries(channels).map(([name, c]) => ({ name, ...c })),
      { caption: "GetChannels: the channels set for this project" },
    ),
  );
  // Each channel's own answer (Get*Channel) holds the fields it echoes; only channels
  // GetChannels lists are asked (the others have nothing to show yet).
  const details = {};
  await Promise.all(
    CHANNELS.filter((c) => channels[c.platform]).map(async (c) => {
      details[c.platform] = await call("GET", `${app()}/channels/${c.path}`);
    }),
  );
  add(main, h("div", { class: "channels" }, CHANNELS.map((channel) => channelForm(channel, details[channel.platform], admin))));
}

// Every channel of Pinpoint's API: its platform (GetChannels' key), its path, and the
// fields of its Update*Channel request ([member, label, kind]; kind "secret" is a
// credential, given as a Secrets Manager ARN and never echoed back).
const APNS_FIELDS = [
  ["BundleId", "Bundle id", "text"],
  ["TeamId", "Team id", "text"],
  ["TokenKeyId", "Token key id", "text"],
  ["DefaultAuthenticationMethod", "Default authentication", ["", "CERTIFICATE", "TOKEN"]],
  ["Certificate", "Certificate (Secrets Manager ARN)", "secret"],
  ["PrivateKey", "Private key (Secrets Manager ARN)", "secret"],
  ["TokenKey", "Token key (Secrets Manager ARN)", "secret"],
];
export const CHANNELS = [
  {
    platform: "EMAIL",
    path: "email",
    title: "Email",
    fields: [
      ["FromAddress", "From address", "text"],
      ["Identity", "SES identity ARN", "text"],
      ["ConfigurationSet", "SES configuration set", "text"],
      ["RoleArn", "Role ARN", "text"],
      ["OrchestrationSendingRoleArn", "Orchestration sending role ARN", "text"],
    ],
  },
  { platform: "SMS", path: "sms", title: "SMS", fields: [["SenderId", "Sender id", "text"], ["ShortCode", "Short code", "text"]] },
  { platform: "VOICE", path: "voice", title: "Voice", fields: [] },
  { platform: "APNS", path: "apns", title: "APNs (Apple push)", fields: APNS_FIELDS },
  { platform: "APNS_SANDBOX", path: "apns_sandbox", title: "APNs sandbox", fields: APNS_FIELDS },
  { platform: "APNS_VOIP", path: "apns_voip", title: "APNs VoIP", fields: APNS_FIELDS },
  { platform: "APNS_VOIP_SANDBOX", path: "apns_voip_sandbox", title: "APNs VoIP sandbox", fields: APNS_FIELDS },
  {
    platform: "GCM",
    path: "gcm",
    title: "GCM / FCM (Firebase Cloud Messaging)",
    fields: [
      ["DefaultAuthenticationMethod", "Default authentication", ["", "KEY", "TOKEN"]],
      ["ServiceJson", "FCM service JSON (Secrets Manager ARN)", "secret"],
      ["ApiKey", "Legacy server key (Secrets Manager ARN)", "secret"],
    ],
  },
  {
    platform: "BAIDU",
    path: "baidu",
    title: "Baidu",
    fields: [
      ["ApiKey", "API key (Secrets Manager ARN)", "secret"],
      ["SecretKey", "Secret key (Secrets Manager ARN)", "secret"],
    ],
  },
  {
    platform: "ADM",
    path: "adm",
    title: "ADM (Amazon Device Messaging)",
    fields: [
      ["ClientId", "Client id", "text"],
      ["ClientSecret", "Client secret (Secrets Manager ARN)", "secret"],
    ],
  },
];

function channelForm(channel, current, admin) {
  const inputs = {};
  const rows = channel.fields.map(([member, label, kind]) => {
    const props = { disabled: !admin, autocomplete: "off" };
    let el;
    if (Array.isArray(kind)) {
      el = select(kind.map((v) => [v, v || "(not set)"]), { ...props, value: current?.[member] ?? "" });
    } else if (kind === "secret") {
      // Never echoed: left empty, the stored reference is kept only if given again.
      el = input({ ...props, placeholder: current?.HasCredential ? "set: give it again to keep it" : "arn:aws:secretsmanager:..." });
    } else {
      // Pinpoint's channel responses leave some request fields out (an APNs bundle id,
      // an ADM client id): an update replaces the channel, so they are asked again.
      const unseen = current && current[member] === undefined;
      el = input({ ...props, value: current?.[member] ?? "", placeholder: unseen ? "not shown back: give it again to keep it" : undefined });
    }
    inputs[member] = el;
    return field(label, el, { name: member });
  });
  const enabled = h("input", { type: "checkbox", checked: current ? current.Enabled !== false : true, disabled: !admin });
  const form = h("form", {
    class: "card channel",
    "data-channel": channel.platform,
    "aria-label": `${channel.title} channel`,
    onsubmit: async (event) => {
      event.preventDefault();
      clearErrors(form);
      const request = { Enabled: enabled.checked };
      for (const [member, el] of Object.entries(inputs)) if (el.value.trim() !== "") request[member] = el.value.trim();
      try {
        await call("PUT", `${app()}/channels/${channel.path}`, request);
        navigate("settings", { saved: channel.platform });
      } catch (error) {
        showErrors(form, error);
      }
    },
  });
  const remove = async () => {
    clearErrors(form);
    try {
      await call("DELETE", `${app()}/channels/${channel.path}`);
      navigate("settings", { saved: channel.platform });
    } catch (error) {
      showErrors(form, error);
    }
  };
  add(
    form,
    h("h2", {}, `${channel.title} channel`),
    h("p", { class: "muted" }, current ? `Set: version ${current.Version}, modified ${current.LastModifiedDate || ""}${current.HasCredential === false ? ", no credential" : ""}.` : "Not set."),
    h("div", { class: "form-errors" }),
    rows,
    h("label", { class: "check" }, enabled, " Enabled"),
    admin
      ? h(
          "div",
          {},
          h("button", { type: "submit" }, `Save the ${channel.title} channel`),
          current ? button(`Delete the ${channel.title} channel`, remove, { class: "small danger" }) : null,
        )
      : null,
  );
  return form;
}
