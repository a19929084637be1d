// The journey canvas: every activity a node (HTML, so its text wraps, its button takes
// the keyboard focus and its errors read as text), every NextActivity / branch an arrow
// (SVG) with the branch's label, laid out top to bottom by dagre (a kept graph layout
// library: ranks, crossing reduction and edge routing are not ours to write).
import { graphlib, layout } from "@dagrejs/dagre";
import { h } from "../dom.js";
import { TYPE_LABELS, nextSteps, startSummary, summary, typeOf } from "./activities.js";

const SVG = "http://www.w3.org/2000/svg";
const START = "\u0000start";

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) el.append(child);
  return el;
}

function metricsText(metrics) {
  if (!metrics) return "";
  const entries = Object.entries(metrics).filter(([, v]) => Number(v) !== 0);
  if (!entries.length) return "no one yet";
  return entries.map(([k, v]) => `${k} ${v}`).join(" · ");
}

// Draw `journey` into `container` (emptied first). options: selected (an activity id),
// errors ({id: [message]}), metrics ({id: Metrics map}), path (ids an endpoint went
// through), startLabel (the start node's line), zoom (a scale; none: fit the width,
// never above 1 nor below 0.5), onSelect(id). Returns the scale drawn at.
export function drawCanvas(container, journey, options = {}) {
  const { selected, errors = {}, metrics = {}, path = new Set(), startLabel, zoom, onSelect = () => {} } = options;
  container.replaceChildren();
  const activities = journey.Activities || {};
  const surface = h("div", { class: "canvas-surface" });
  const edgesLayer = svg("svg", { class: "canvas-edges", "aria-hidden": "true", focusable: "false" });
  surface.append(edgesLayer);
  container.append(surface);

  const nodes = new Map();
  const start = h(
    "div",
    { class: "canvas-node start", dataset: { node: "start" } },
    h("span", { class: "node-type" }, "Start"),
    h("span", { class: "node-summary" }, startLabel || startSummary(journey)),
  );
  nodes.set(START, start);
  for (const [id, activity] of Object.entries(activities)) {
    const type = typeOf(activity);
    const problems = errors[id] || [];
    const classes = ["canvas-node", `type-${type || "unknown"}`];
    if (id === selected) classes.push("selected");
    if (problems.length) classes.push("has-error");
    if (path.has(id)) classes.push("on-path");
    const node = h(
      "div",
      { class: classes.join(" "), dataset: { activity: id }, "data-testid": `node-${id}` },
      h(
        "button",
        {
          type: "button",
          class: "node-main",
          "aria-pressed": id === selected ? "true" : "false",
          "aria-label": `${TYPE_LABELS[type] || type} activity ${id}${problems.length ? ` (${problems.length} error${problems.length > 1 ? "s" : ""})` : ""}`,
          onclick: () => onSelect(id),
        },
        h("span", { class: "node-type" }, TYPE_LABELS[type] || type || "?"),
        h("strong", { class: "node-id" }, id),
        activity.Description ? h("span", { class: "node-description" }, activity.Description) : null,
        h("span", { class: "node-summary" }, summary(activity)),
        metrics[id]
          ? h("span", { class: `node-metrics${metricsText(metrics[id]) === "no one yet" ? " empty" : ""}`, "data-testid": "node-metrics" }, metricsText(metrics[id]))
          : null,
      ),
      problems.length
        ? h("ul", { class: "node-errors", "data-testid": "node-errors" }, problems.map((p) => h("li", {}, p)))
        : null,
    );
    nodes.set(id, node);
  }
  // A reference to an activity that does not exist is drawn too (the API's error names
  // the activity holding it).
  const edges = [];
  if (journey.StartActivity) edges.push({ from: START, to: journey.StartActivity, label: "" });
  for (const [id, activity] of Object.entries(activities)) {
    for (const step of nextSteps(activity)) edges.push({ from: id, to: step.to, label: step.label });
  }
  for (const edge of edges) {
    if (!nodes.has(edge.to)) {
      nodes.set(
        edge.to,
        h("div", { class: "canvas-node missing" }, h("span", { class: "node-type" }, "Missing"), h("strong", { class: "node-id" }, edge.to)),
      );
    }
  }
  for (const node of nodes.values()) surface.append(node);

  const graph = new graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: "TB", nodesep: 36, ranksep: 46, edgesep: 16, marginx: 16, marginy: 16 });
  for (const [id, node] of nodes) graph.setNode(id, { width: node.offsetWidth, height: node.offsetHeight });
  edges.forEach((edge, i) => {
    const label = edge.label ? { width: edge.label.length * 7 + 12, height: 18, labelpos: "c" } : {};
    graph.setEdge(edge.from, edge.to, { ...label }, `e${i}`);
  });
  layout(graph);

  const size = graph.graph();
  const fit = Math.min(1, Math.max(0.5, (container.clientWidth - 4) / size.width));
  const scale = zoom || fit;
  // CSS zoom (not a transform) so the scrolled area follows the drawn size.
  surface.style.zoom = String(scale);
  surface.style.width = `${Math.ceil(size.width)}px`;
  surface.style.height = `${Math.ceil(size.height)}px`;
  edgesLayer.setAttribute("width", Math.ceil(size.width));
  edgesLayer.setAttribute("height", Math.ceil(size.height));
  for (const [id, node] of nodes) {
    const at = graph.node(id);
    node.style.left = `${Math.round(at.x - at.width / 2)}px`;
    node.style.top = `${Math.round(at.y - at.height / 2)}px`;
  }
  edgesLayer.append(
    svg(
      "defs",
      {},
      svg("marker", { id: "canvas-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "canvas-arrowhead" })),
    ),
  );
  edges.forEach((edge, i) => {
    const laid = graph.edge({ v: edge.from, w: edge.to, name: `e${i}` });
    const points = laid.points || [];
    if (!points.length) return;
    const d = points.map((p, j) => `${j ? "L" : "M"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
    const onPath = (edge.from === START || path.has(edge.from)) && path.has(edge.to);
    edgesLayer.append(svg("path", { d, class: `canvas-edge${onPath ? " on-path" : ""}`, "marker-end": "url(#canvas-arrow)" }));
    if (edge.label) {
      const width = edge.label.length * 7 + 10;
      edgesLayer.append(
        svg(
          "g",
          { class: "canvas-edge-label", transform: `translate(${laid.x.toFixed(1)} ${laid.y.toFixed(1)})` },
          svg("rect", { x: -width / 2, y: -9, width, height: 18, rx: 9 }),
          svg("text", { "text-anchor": "middle", y: 4 }, document.createTextNode(edge.label)),
        ),
      );
    }
  });
  return scale;
}
