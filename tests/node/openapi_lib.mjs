// Shared by the OpenAPI checks (openapi_validate.mjs, openapi_check_responses.mjs): loading
// the document, walking its $refs and schemas, and compiling any schema location with ajv
// (JSON Schema 2020-12, the dialect of OpenAPI 3.1) in the context of the whole document, so
// that "#/components/schemas/X" references resolve.
import fs from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

export const DOC_ID = "urn:rag-server:openapi";
export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export function loadJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

// "#/a/b~1c" → the node, or undefined.
export function resolvePointer(doc, ref) {
  if (!ref.startsWith("#")) return undefined;
  const path = ref.slice(1);
  if (path === "") return doc;
  let node = doc;
  for (const raw of path.slice(1).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

export function deref(doc, node) {
  for (let i = 0; i < 32 && node && typeof node.$ref === "string"; i++) {
    node = resolvePointer(doc, node.$ref);
  }
  return node;
}

export function pointerOf(segments) {
  return "#/" + segments.map((s) => encodeURIComponent(String(s).replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");
}

// Every {$ref} in the document: [{at: pointer, ref}].
export function allRefs(doc) {
  const out = [];
  (function walk(node, path) {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...path, i]));
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (k === "$ref" && typeof v === "string") out.push({ at: pointerOf(path), ref: v });
        else walk(v, [...path, k]);
      }
    }
  })(doc, []);
  return out;
}

// Every schema location: components.schemas.* and each `schema` of a parameter, header,
// media type or x-sse-events entry. Returns pointers.
export function schemaLocations(doc) {
  const out = [];
  for (const name of Object.keys(doc.components?.schemas || {})) out.push(pointerOf(["components", "schemas", name]));
  (function walk(node, path) {
    if (!node || typeof node !== "object") return;
    if (path[0] === "components" && path[1] === "schemas") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "schema" && v && typeof v === "object" && !Array.isArray(v)) out.push(pointerOf([...path, k]));
      else walk(v, [...path, k]);
    }
  })(doc, []);
  return out;
}

// An ajv instance knowing the document; compile(pointer) gives a validator for that location.
export function makeCompiler(doc, { strict = true } = {}) {
  const ajv = new Ajv2020({ strict, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // The OpenAPI 3.1 base dialect's extra keywords, and the document's own top-level fields.
  ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example",
                     "openapi", "info", "tags", "paths", "components", "servers", "security",
                     "jsonSchemaDialect", "webhooks"]);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  const cache = new Map();
  return (pointer) => {
    if (!cache.has(pointer)) cache.set(pointer, ajv.compile({ $ref: DOC_ID + pointer }));
    return cache.get(pointer);
  };
}

export function describeErrors(errors) {
  return (errors || []).map((e) => `${e.instancePath || "(root)"} ${e.message}` +
    (e.params && Object.keys(e.params).length ? " " + JSON.stringify(e.params) : "")).join("; ");
}

// Parses a text/event-stream body into [{event, data}] (comments dropped, event "message"
// when there is no `event:` line, as the SSE specification says).
export function parseSse(text) {
  const events = [];
  let event = "";
  let data = [];
  let seen = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (seen) events.push({ event: event || "message", data: data.join("\n") });
      event = ""; data = []; seen = false;
    } else if (line.startsWith(":")) {
      continue;
    } else {
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") { event = value; seen = true; }
      else if (field === "data") { data.push(value); seen = true; }
    }
  }
  if (seen) events.push({ event: event || "message", data: data.join("\n") });
  return events;
}

// x-sse-order ["sources", "token*", "done|error"] → a RegExp over "name," sequences.
export function orderRegex(order) {
  const parts = order.map((item) => {
    const star = item.endsWith("*");
    const names = (star ? item.slice(0, -1) : item).split("|").map((n) => n.replace(/[^A-Za-z0-9_.-]/g, ""));
    return `(?:(?:${names.join("|")}),)${star ? "*" : ""}`;
  });
  return new RegExp("^" + parts.join("") + "$");
}
