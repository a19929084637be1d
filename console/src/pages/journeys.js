// Journeys: the project's list with each one's state and a form to create one; a
// journey's own page (its canvas, state buttons, metrics and explain) is journey.js.
// Every call is a Pinpoint journey operation, or Clarion's ExplainJourney extension.
import { add, field, h, input, notice, table } from "../dom.js";
import { currentProject, link, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";
import { journeyPage } from "./journey.js";
import { journeysApi } from "./journeyApi.js";

export async function journeysPage(main, params) {
  if (params.id) return journeyPage(main, params);
  const app = currentProject();
  const answer = await journeysApi.list(app);
  const journeys = answer.JourneysResponse?.Item || answer.Item || [];
  const name = input({ name: "Name", required: true, autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(form);
        try {
          const journey = await journeysApi.create(app, { Name: name.value.trim() });
          await navigate(`journeys/${journey.Id}`);
        } catch (error) {
          showErrors(form, error);
        }
      },
    },
    h("h2", {}, "Create a journey"),
    h("div", { class: "form-errors" }),
    field("Journey name", name, { name: "Name", hint: "Then draw its activities on its page." }),
    h("button", { type: "submit" }, "Create journey"),
  );
  add(
    main,
    h("h1", {}, "Journeys"),
    journeys.length
      ? table(
          [
            { label: "Name", render: (j) => h("a", { href: link(`journeys/${j.Id}`), "data-link": true }, j.Name || j.Id) },
            { label: "State", render: (j) => h("span", { class: `state state-${j.State || "DRAFT"}` }, j.State || "DRAFT") },
            { label: "Activities", render: (j) => String(Object.keys(j.Activities || {}).length) },
            { label: "Start", render: (j) => j.StartActivity || "" },
            { label: "Modified", key: "LastModifiedDate" },
          ],
          journeys,
        )
      : notice("No journey in this project yet."),
    form,
  );
}
