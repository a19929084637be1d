// Journeys: asks the API for the project's journeys; until the journeys engine offers
// them, the API's own answer (MethodNotAllowedException and its reason) is shown.
import { ApiError, call } from "../api.js";
import { add, h, notice, table } from "../dom.js";
import { currentProject, link } from "../nav.js";

export async function journeysPage(main) {
  const app = currentProject();
  add(main, h("h1", {}, "Journeys"));
  try {
    const journeys = await call("GET", `/v1/apps/${encodeURIComponent(app)}/journeys`);
    add(main, 
      table(
        [
          { label: "Name", render: (j) => h("a", { href: link(`journeys/${j.Id}`), "data-link": true }, j.Name || j.Id) },
          { label: "State", key: "State" },
        ],
        journeys.JourneysResponse?.Item || journeys.Item || [],
      ),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 405) {
      add(main, notice(`Journeys are not available on this server yet: ${error.message}`));
      return;
    }
    throw error;
  }
}
