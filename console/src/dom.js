// Small DOM helpers: elements are built with h(), never from HTML strings, so text from
// the API (names, attributes, rendered templates) is always text, never markup.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

// Append children (nodes, text, arrays of them; null and false skipped).
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let fieldCounter = 0;

// A labelled form field; `name` is the API field it fills, so an API error naming that
// field is shown under it (showErrors).
export function field(label, input, { name, hint } = {}) {
  const id = input.id || `f${++fieldCounter}`;
  input.id = id;
  if (name) input.dataset.field = name;
  const error = h("span", { class: "field-error", role: "alert", id: `${id}-error` });
  input.setAttribute("aria-describedby", `${id}-error`);
  return h(
    "div",
    { class: "field", dataset: name ? { fieldWrap: name } : {} },
    h("label", { for: id }, label),
    input,
    hint ? h("small", { class: "hint" }, hint) : null,
    error,
  );
}

export function input(props = {}) {
  return h("input", { type: "text", ...props });
}

export function select(options, props = {}) {
  const el = h("select", props);
  for (const option of options) {
    const [value, label] = Array.isArray(option) ? option : [option, option];
    el.append(h("option", { value }, label));
  }
  if (props.value !== undefined) el.value = props.value;
  return el;
}

export function button(label, onClick, props = {}) {
  return h("button", { type: "button", onclick: onClick, ...props }, label);
}

export function table(columns, rows, { caption, csvName } = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)));
  const body = rows.map((row) =>
    h(
      "tr",
      {},
      columns.map((c) => h("td", {}, c.render ? c.render(row) : formatCell(row[c.key]))),
    ),
  );
  const wrap = h(
    "div",
    { class: "table-wrap" },
    h("table", {}, caption ? h("caption", {}, caption) : null, h("thead", {}, head), h("tbody", {}, body)),
  );
  if (csvName) {
    wrap.prepend(
      button("Download CSV", () => downloadCsv(csvName, columns, rows), { class: "small" }),
    );
  }
  return wrap;
}

function formatCell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function toCsv(columns, rows) {
  const quote = (v) => {
    const text = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [columns.map((c) => quote(c.label)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => quote(row[c.key])).join(","));
  return lines.join("\n") + "\n";
}

export function downloadCsv(name, columns, rows) {
  download(name, toCsv(columns, rows), "text/csv");
}

export function download(name, content, type) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function jsonView(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

export function notice(text, kind = "info") {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}
