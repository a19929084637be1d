// Audience: look up an endpoint (by id or address) or a user, import a file (upload,
// progress, the rejected rows with line, field and reason), export.
import { ApiError, clarion, pinpoint } from "../api.js";
import { add, button, clear, download, field, h, input, jsonView, notice, select, table } from "../dom.js";
import { currentProject, link, navigate } from "../nav.js";
import { clearErrors, showErrors } from "./forms.js";

export async function audiencePage(main) {
  const app = currentProject();
  add(main, h("h1", {}, "Audience"));

  // -- look up
  const kind = select(
    [
      ["endpoint", "Endpoint id"],
      ["user", "User id"],
      ["address", "Address (email, phone, token)"],
    ],
    { name: "kind" },
  );
  const value = input({ required: true, autocomplete: "off" });
  const results = h("div", { class: "results", "aria-live": "polite" });
  const lookup = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(lookup);
        clear(results);
        const wanted = value.value.trim();
        try {
          if (kind.value === "endpoint") {
            navigate(`audience/endpoints/${encodeURIComponent(wanted)}`);
            return;
          }
          const found =
            kind.value === "user"
              ? (await pinpoint.getUserEndpoints(app, wanted)).Item
              : (await clarion.findEndpoints(app, wanted)).Item;
          if (!found.length) results.append(notice("No endpoint found."));
          else results.append(endpointTable(found));
        } catch (error) {
          showErrors(lookup, error);
        }
      },
    },
    h("h2", {}, "Look up"),
    h("div", { class: "form-errors" }),
    h("div", { class: "row" }, field("Look up by", kind), field("Value", value, { name: "address" })),
    h("button", { type: "submit" }, "Look up"),
    results,
  );

  // -- import
  const file = h("input", { type: "file", accept: ".csv,.json,.jsonl,.gz", required: true });
  const format = select(["CSV", "JSON"], { value: "CSV" });
  const segmentName = input({ autocomplete: "off" });
  const progress = h("div", { class: "progress", "aria-live": "polite" });
  const importForm = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(importForm);
        clear(progress);
        const chosen = file.files[0];
        if (!chosen) return;
        try {
          progress.append(h("progress", { max: 3, value: 1 }), h("span", {}, ` Uploading ${chosen.name}…`));
          const uploaded = await clarion.upload(app, chosen.name, await chosen.arrayBuffer());
          clear(progress).append(h("progress", { max: 3, value: 2 }), h("span", {}, " Importing…"));
          const request = { S3Url: uploaded.S3Url, Format: format.value, RoleArn: "" };
          if (segmentName.value.trim()) {
            request.DefineSegment = true;
            request.SegmentName = segmentName.value.trim();
          }
          const job = await pinpoint.createImportJob(app, request);
          navigate(`audience/imports/${encodeURIComponent(job.Id)}`);
        } catch (error) {
          clear(progress);
          showErrors(importForm, error);
        }
      },
    },
    h("h2", {}, "Import a file"),
    h("p", {}, "CSV with Pinpoint's columns (ChannelType, Address, User.UserId, User.UserAttributes.…), or one endpoint JSON a line."),
    h("div", { class: "form-errors" }),
    field("File", file, { name: "file" }),
    h(
      "div",
      { class: "row" },
      field("Format", format, { name: "Format" }),
      field("Make a segment named (optional)", segmentName, { name: "SegmentName" }),
    ),
    h("button", { type: "submit" }, "Upload and import"),
    progress,
  );

  // -- export
  const segments = (await pinpoint.getSegments(app)).Item || [];
  const exportSegment = select([["", "Every endpoint"], ...segments.map((s) => [s.Id, s.Name || s.Id])]);
  const exportResult = h("div", { "aria-live": "polite" });
  const exportForm = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(exportForm);
        clear(exportResult);
        try {
          const job = await clarion.exportEndpoints(app, exportSegment.value || undefined);
          const data = await clarion.exportFile(app, job.Id);
          exportResult.append(notice(`Exported ${job.TotalProcessed} endpoints (job ${job.Id}).`));
          download(`endpoints-${job.Id}.jsonl`, data, "application/x-ndjson");
        } catch (error) {
          showErrors(exportForm, error);
        }
      },
    },
    h("h2", {}, "Export"),
    h("div", { class: "form-errors" }),
    field("Segment", exportSegment, { name: "SegmentId" }),
    h("button", { type: "submit" }, "Export and download"),
    exportResult,
  );

  // -- recent imports
  const jobs = (await pinpoint.getImportJobs(app)).Item || [];
  add(main, 
    lookup,
    importForm,
    exportForm,
    h("h2", {}, "Recent imports"),
    table(
      [
        { label: "Job", render: (j) => h("a", { href: link(`audience/imports/${j.Id}`), "data-link": true }, j.Id) },
        { label: "Status", key: "JobStatus" },
        { label: "Imported", key: "TotalProcessed" },
        { label: "Rejected", key: "TotalFailures" },
        { label: "Created", key: "CreationDate" },
      ],
      jobs.slice(0, 20),
    ),
  );
}

function endpointTable(endpoints) {
  return table(
    [
      { label: "Endpoint", render: (e) => h("a", { href: link(`audience/endpoints/${e.Id}`), "data-link": true }, e.Id) },
      { label: "Channel", key: "ChannelType" },
      { label: "Address", key: "Address" },
      { label: "User", render: (e) => e.User?.UserId || "" },
      { label: "Opt-out", key: "OptOut" },
    ],
    endpoints,
  );
}

export async function endpointPage(main, { id }) {
  const app = currentProject();
  add(main, h("p", {}, h("a", { href: link("audience"), "data-link": true }, "← Audience")), h("h1", {}, `Endpoint ${id}`));
  let endpoint;
  try {
    endpoint = await pinpoint.getEndpoint(app, id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      add(main, notice(`No endpoint ${id} in this project.`, "error"));
      return;
    }
    throw error;
  }
  const events = (await clarion.endpointEvents(app, id)).Item;
  add(main, 
    h("div", { class: "two" }, h("section", {}, h("h2", {}, "JSON"), jsonView(endpoint)),
      h(
        "section",
        {},
        h("h2", {}, "Recent events"),
        events.length
          ? table(
              [
                { label: "When", render: (e) => new Date(e.event_timestamp).toISOString() },
                { label: "Event", key: "event_type" },
                { label: "Id", key: "event_id" },
              ],
              events,
              { csvName: `events-${id}.csv` },
            )
          : notice("No events yet."),
      ),
    ),
  );
  if (endpoint.User?.UserId) {
    add(main, h("p", {}, "User ", h("strong", {}, endpoint.User.UserId)));
  }
}

export async function importPage(main, { id }) {
  const app = currentProject();
  const job = await pinpoint.getImportJob(app, id);
  const failures = (job.Failures || []).map((text) => {
    // "<file> line <n>: <field>: <reason>"
    const m = /^(.*) line (\d+): ([^:]+): (.*)$/s.exec(text);
    return m ? { file: m[1], line: Number(m[2]), field: m[3], reason: m[4] } : { file: "", line: "", field: "", reason: text };
  });
  add(main, 
    h("p", {}, h("a", { href: link("audience"), "data-link": true }, "← Audience")),
    h("h1", {}, `Import ${id}`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"), h("dd", { "data-testid": "import-status" }, job.JobStatus),
      h("dt", {}, "Imported"), h("dd", { "data-testid": "import-processed" }, String(job.TotalProcessed ?? 0)),
      h("dt", {}, "Rejected rows"), h("dd", { "data-testid": "import-failures" }, String(job.TotalFailures ?? 0)),
      job.Definition?.SegmentId
        ? [h("dt", {}, "Segment"), h("dd", {}, h("a", { href: link(`segments/${job.Definition.SegmentId}`), "data-link": true }, job.Definition.SegmentId))]
        : null,
    ),
    job.JobStatus === "PROCESSING" ? [notice("Still running: this page refreshes."), refreshLater(main, id)] : null,
    h("h2", {}, "Rejected rows"),
    failures.length
      ? table(
          [
            { label: "File", key: "file" },
            { label: "Line", key: "line" },
            { label: "Field", key: "field" },
            { label: "Reason", key: "reason" },
          ],
          failures,
          { csvName: `rejected-${id}.csv` },
        )
      : notice("No row was rejected."),
  );
}

function refreshLater(main, id) {
  setTimeout(() => {
    if (location.pathname.endsWith(`/imports/${id}`)) navigate(`audience/imports/${id}`);
  }, 2000);
  return button("Refresh now", () => navigate(`audience/imports/${id}`));
}
