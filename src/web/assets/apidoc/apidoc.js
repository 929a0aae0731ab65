// The /docs page: fetches /openapi.json and renders its endpoints, parameters, bodies,
// responses (headers, media types, Server-Sent Events), schemas and examples. Plain DOM
// building with textContent only (never innerHTML), so nothing in the document can inject
// markup; no external resource, allowed by the page's Content-Security-Policy.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A small, safe Markdown subset: paragraphs, **bold** and `code`.
function markdown(text) {
  const out = document.createDocumentFragment();
  for (const para of String(text || "").split(/\n{2,}/)) {
    const p = el("p");
    for (const piece of para.split(/(`[^`]+`|\*\*[^*]+\*\*)/)) {
      if (piece.startsWith("`") && piece.endsWith("`") && piece.length > 1) {
        p.append(el("code", { text: piece.slice(1, -1) }));
      } else if (piece.startsWith("**") && piece.endsWith("**") && piece.length > 3) {
        p.append(el("strong", { text: piece.slice(2, -2) }));
      } else if (piece) {
        p.append(piece);
      }
    }
    if (p.childNodes.length) out.append(p);
  }
  return out;
}

function pointer(doc, ref) {
  if (!ref.startsWith("#/")) return undefined;
  return ref.slice(2).split("/").reduce((node, part) =>
    node === undefined ? undefined : node[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}

function deref(doc, node) {
  let seen = 0;
  while (node && typeof node.$ref === "string" && seen++ < 20) node = pointer(doc, node.$ref);
  return node || {};
}

function refName(ref) {
  return ref.split("/").pop();
}

function schemaLink(ref) {
  const name = refName(ref);
  return el("a", { href: "#schema-" + name, class: "ref" }, name);
}

// One line of constraints: "string · ≤ 8000 chars · pattern ^…$ · default 5".
function constraints(s) {
  const parts = [];
  const type = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
  if (type) parts.push(type);
  if ("const" in s) parts.push("= " + JSON.stringify(s.const));
  if (s.enum) parts.push("one of " + s.enum.map((v) => JSON.stringify(v)).join(", "));
  if (s.minimum !== undefined) parts.push("≥ " + s.minimum);
  if (s.maximum !== undefined) parts.push("≤ " + s.maximum);
  if (s.minLength !== undefined) parts.push("≥ " + s.minLength + " chars");
  if (s.maxLength !== undefined) parts.push("≤ " + s.maxLength + " chars");
  if (s.minItems !== undefined) parts.push("≥ " + s.minItems + " items");
  if (s.maxItems !== undefined) parts.push("≤ " + s.maxItems + " items");
  if (s.pattern) parts.push("pattern " + s.pattern);
  if (s.format) parts.push("format " + s.format);
  if ("default" in s) parts.push("default " + JSON.stringify(s.default));
  return parts.join(" · ");
}

// A schema as a nested list; $refs become links to the Schemas section.
function schemaView(doc, schema, depth = 0) {
  if (!schema) return el("span", { class: "muted", text: "any" });
  if (schema.$ref) return schemaLink(schema.$ref);
  const box = el("div", { class: "schema" });
  const line = constraints(schema);
  if (line) box.append(el("span", { class: "constraints", text: line }));
  if (schema.description && depth > 0) box.append(el("div", { class: "desc" }, markdown(schema.description)));
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    if (!schema[key]) continue;
    const list = el("ul", { class: "alternatives" });
    for (const alt of schema[key]) list.append(el("li", {}, schemaView(doc, alt, depth + 1)));
    box.append(el("div", { class: "muted", text: key === "allOf" ? "all of:" : "one of:" }), list);
  }
  if (schema.items) box.append(el("div", {}, el("span", { class: "muted", text: "items: " }),
                                  schemaView(doc, schema.items, depth + 1)));
  if (schema.properties) {
    const required = new Set(schema.required || []);
    const table = el("table", { class: "props" });
    for (const [name, prop] of Object.entries(schema.properties)) {
      table.append(el("tr", {},
        el("td", {}, el("code", { text: name }),
           required.has(name) ? el("span", { class: "req", title: "required", text: " *" }) : null),
        el("td", {}, schemaView(doc, prop, depth + 1))));
    }
    box.append(table);
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    box.append(el("div", {}, el("span", { class: "muted", text: "values: " }),
                  schemaView(doc, schema.additionalProperties, depth + 1)));
  }
  if (schema.examples) box.append(el("div", { class: "muted", text: "e.g. " +
    schema.examples.map((v) => JSON.stringify(v)).join(", ") }));
  return box;
}

function exampleView(example) {
  const text = typeof example === "string" ? example : JSON.stringify(example, null, 2);
  return el("details", { class: "example" }, el("summary", { text: "Example" }),
            el("pre", {}, el("code", { text })));
}

function mediaView(doc, type, media) {
  const box = el("div", { class: "media" }, el("h5", {}, el("code", { text: type })));
  box.append(schemaView(doc, media.schema));
  const events = media["x-sse-events"];
  if (events) {
    const table = el("table", { class: "events" }, el("tr", {},
      el("th", { text: "event" }), el("th", { text: "data" }), el("th", { text: "when" })));
    for (const [name, ev] of Object.entries(events)) {
      table.append(el("tr", {}, el("td", {}, el("code", { text: name })),
                      el("td", {}, schemaView(doc, ev.schema, 1)),
                      el("td", {}, markdown(ev.description))));
    }
    box.append(el("div", { class: "muted", text: "Server-Sent Events" +
      (media["x-sse-order"] ? ", in the order " + media["x-sse-order"].join(" → ") : "") +
      (media["x-sse-done"] ? ", ending with data: " + media["x-sse-done"] : "") }), table);
  }
  if (media.example !== undefined) box.append(exampleView(media.example));
  return box;
}

function headersView(doc, headers) {
  const entries = Object.entries(headers || {});
  if (!entries.length) return null;
  const table = el("table", { class: "headers" });
  for (const [name, raw] of entries) {
    const h = deref(doc, raw);
    table.append(el("tr", {}, el("td", {}, el("code", { text: name }),
                                 h.required ? el("span", { class: "req", title: "always present", text: " *" }) : null),
                    el("td", { class: "constraints", text: constraints(h.schema || {}) }),
                    el("td", {}, markdown(h.description))));
  }
  return el("div", {}, el("h5", { text: "Headers" }), table);
}

function responseView(doc, status, raw) {
  const r = deref(doc, raw);
  const cls = status.startsWith("2") ? "ok" : status.startsWith("4") ? "client" : "server";
  const box = el("div", { class: "response", "data-status": status },
                 el("h4", {}, el("span", { class: "status " + cls, text: status }),
                    raw.$ref ? schemaLink(raw.$ref) : null),
                 markdown(r.description), headersView(doc, r.headers));
  for (const [type, media] of Object.entries(r.content || {})) box.append(mediaView(doc, type, media));
  return box;
}

function parametersView(doc, params) {
  if (!params || !params.length) return null;
  const table = el("table", { class: "params" }, el("tr", {},
    el("th", { text: "name" }), el("th", { text: "in" }), el("th", { text: "schema" }),
    el("th", { text: "description" })));
  for (const raw of params) {
    const p = deref(doc, raw);
    table.append(el("tr", {}, el("td", {}, el("code", { text: p.name }),
                                 p.required ? el("span", { class: "req", text: " *" }) : null),
                    el("td", { text: p.in }), el("td", {}, schemaView(doc, p.schema, 1)),
                    el("td", {}, markdown(p.description))));
  }
  return el("div", {}, el("h3", { text: "Parameters" }), table);
}

function operationView(doc, path, method, op) {
  const id = "op-" + (op.operationId || method + path.replace(/[^A-Za-z0-9]+/g, "-"));
  const box = el("article", { class: "operation", id, "data-method": method.toUpperCase(),
                              "data-path": path },
                 el("h2", {}, el("span", { class: "method " + method, text: method.toUpperCase() }),
                    " ", el("code", { class: "path", text: path })),
                 op.summary ? el("p", { class: "summary", text: op.summary }) : null,
                 markdown(op.description), parametersView(doc, op.parameters));
  if (op.requestBody) {
    const body = deref(doc, op.requestBody);
    box.append(el("h3", { text: "Request body" + (body.required ? " (required)" : "") }));
    for (const [type, media] of Object.entries(body.content || {})) box.append(mediaView(doc, type, media));
  }
  box.append(el("h3", { text: "Responses" }));
  for (const [status, r] of Object.entries(op.responses || {})) box.append(responseView(doc, status, r));
  return box;
}

function render(doc) {
  document.getElementById("title").textContent = doc.info.title + " API reference";
  document.getElementById("version").textContent = "v" + doc.info.version;
  document.title = doc.info.title + " " + doc.info.version + " · API reference";
  document.getElementById("intro").append(markdown(doc.info.description));

  const groups = new Map((doc.tags || []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ["Other"])[0];
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push({ path, method, op: item[method] });
    }
  }
  const toc = document.getElementById("toc");
  const ops = document.getElementById("operations");
  for (const [tag, entries] of groups) {
    if (!entries.length) continue;
    const list = el("ul");
    ops.append(el("h2", { class: "tag", id: "tag-" + tag.replace(/\W+/g, "-"), text: tag }));
    for (const { path, method, op } of entries) {
      const view = operationView(doc, path, method, op);
      ops.append(view);
      list.append(el("li", { "data-filter": (method + " " + path + " " + (op.summary || "")).toLowerCase() },
        el("a", { href: "#" + view.id }, el("span", { class: "method " + method, text: method.toUpperCase() }),
           " ", path)));
    }
    toc.append(el("h3", { text: tag }), list);
  }

  const global = document.getElementById("global");
  const responses = (doc.components || {}).responses || {};
  if (Object.keys(responses).length) {
    global.append(el("h2", { text: "Responses on any path" }));
    for (const [name, r] of Object.entries(responses)) {
      const view = responseView(doc, name, r);
      view.id = "response-" + name;
      global.append(view);
    }
  }
  const schemas = document.getElementById("schemas");
  schemas.append(el("h2", { text: "Schemas" }));
  for (const [name, s] of Object.entries((doc.components || {}).schemas || {})) {
    schemas.append(el("article", { class: "schema-def", id: "schema-" + name },
                      el("h3", {}, el("code", { text: name })), markdown(s.description),
                      schemaView(doc, s)));
  }
  toc.append(el("h3", {}, el("a", { href: "#schemas", text: "Schemas" })));
}

function applyFilter(text) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  for (const item of document.querySelectorAll("#toc li")) {
    const hay = item.getAttribute("data-filter");
    item.hidden = !words.every((w) => hay.includes(w));
  }
  for (const op of document.querySelectorAll("article.operation")) {
    const hay = (op.getAttribute("data-method") + " " + op.getAttribute("data-path") + " " +
                 op.textContent).toLowerCase();
    op.hidden = !words.every((w) => hay.includes(w));
  }
}

async function main() {
  const status = document.getElementById("status");
  try {
    const res = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error("GET /openapi.json answered " + res.status);
    const doc = await res.json();
    render(doc);
    status.textContent = "";
    status.hidden = true;
    document.body.setAttribute("data-ready", "true");
    document.getElementById("filter").addEventListener("input", (e) => applyFilter(e.target.value));
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  } catch (err) {
    status.textContent = "Could not load the API description: " + err.message;
    status.className = "error";
    document.body.setAttribute("data-ready", "error");
  }
}

main();
