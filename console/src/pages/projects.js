// Projects: create one, switch to one (the picker in the header does the same).
import { pinpoint } from "../api.js";
import { add, field, h, input, table } from "../dom.js";
import { link, navigate, refreshApps, state } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

export async function projectsPage(main) {
  const apps = await refreshApps();
  const name = input({ required: true, autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(form);
        try {
          const created = await pinpoint.createApp(name.value.trim());
          await refreshApps();
          state.project = created.Id;
          navigate("projects");
        } catch (error) {
          showErrors(form, error);
        }
      },
    },
    h("h2", {}, "Create a project"),
    h("div", { class: "form-errors" }),
    field("Name", name, { name: "Name" }),
    h("button", { type: "submit" }, "Create project"),
  );
  add(main, 
    h("h1", {}, "Projects"),
    h("p", {}, "Each project has its own endpoints, segments, campaigns, events and metrics. Templates are shared by every project."),
    table(
      [
        { label: "Name", key: "Name" },
        { label: "Id", key: "Id" },
        { label: "Created", key: "CreationDate" },
        {
          label: "",
          render: (app) =>
            app.Id === state.project
              ? h("strong", {}, "current")
              : h("a", { href: `/console/audience?project=${encodeURIComponent(app.Id)}`, "data-link": true }, `Open ${app.Name}`),
        },
      ],
      apps,
    ),
    form,
    h("p", {}, h("a", { href: link("audience"), "data-link": true }, "Go to the audience of the current project →")),
  );
}
