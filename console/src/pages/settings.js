// Project settings and channels: the project's quiet time and limits
// (UpdateApplicationSettings) and its email channel (UpdateEmailChannel). Only the admin
// group may change them; everyone else sees them read-only (the API refuses them too).
import { call } from "../api.js";
import { add, field, h, input, notice, table } from "../dom.js";
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

  const email = channels.EMAIL || {};
  const fromAddress = input({ value: email.FromAddress || "", disabled: !admin, autocomplete: "off" });
  const identityArn = input({ value: email.Identity || "", disabled: !admin, autocomplete: "off" });
  const enabled = h("input", { type: "checkbox", checked: email.Enabled !== false, disabled: !admin });
  const emailForm = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(emailForm);
        try {
          await call("PUT", `${app()}/channels/email`, { FromAddress: fromAddress.value.trim(), Identity: identityArn.value.trim(), Enabled: enabled.checked });
          navigate("settings", { saved: "1" });
        } catch (error) {
          showErrors(emailForm, error);
        }
      },
    },
    h("h2", {}, "Email channel"),
    h("div", { class: "form-errors" }),
    field("From address", fromAddress, { name: "FromAddress" }),
    field("SES identity ARN", identityArn, { name: "Identity" }),
    h("label", { class: "check" }, enabled, " Enabled"),
    admin ? h("div", {}, h("button", { type: "submit" }, "Save the email channel")) : null,
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
        { label: "Modified", key: "LastModifiedDate" },
      ],
      Object.entries(channels).map(([name, c]) => ({ name, ...c })),
    ),
    emailForm,
  );
}
