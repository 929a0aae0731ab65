// Checks recorded HTTP exchanges with the real server against an OpenAPI document.
// Usage: node openapi_check_responses.mjs openapi.json records.json
// A record: {label, method, path (the document's path template) | component (a name in
// components.responses, for answers on any path such as 404), status, headers {lower-case
// name: value}, body (text), ignore_headers? [names], request? {body, expect: "valid"|"invalid"}}.
// For each record: the status must be documented for that operation; every required header
// must be present and every documented header's value must match its schema; the
// Content-Type must be one of the documented media types; the body must match that media
// type's schema (JSON parsed; text/event-stream parsed into events, each event's data matched
// against x-sse-events and their order against x-sse-order); and a request marked valid or
// invalid must be so against the operation's request body schema.
// Prints {checked, failures: [{label, problems}], unexercised: ["METHOD /path"]}; exit 1 on any
// failure.
import { deref, describeErrors, loadJson, makeCompiler, METHODS, orderRegex, parseSse, pointerOf } from "./openapi_lib.mjs";

const [docFile, recordsFile] = process.argv.slice(2);
const doc = loadJson(docFile);
const records = loadJson(recordsFile);
const compile = makeCompiler(doc, { strict: false });

function essence(contentType) {
  return String(contentType || "").split(";")[0].trim().toLowerCase();
}

// A header value as its schema's type: integers are compared as numbers.
function headerValue(schema, raw) {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

function checkHeaders(response, responsePointer, record, problems) {
  const ignored = new Set((record.ignore_headers || []).map((h) => h.toLowerCase()));
  for (const [name, raw] of Object.entries(response.headers || {})) {
    const header = deref(doc, raw);
    const value = record.headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required && !ignored.has(name.toLowerCase())) problems.push(`required header ${name} missing`);
      continue;
    }
    if (!header.schema) continue;
    const pointer = raw.$ref ? raw.$ref + "/schema"
                             : responsePointer + "/headers/" + encodeURIComponent(name) + "/schema";
    const validate = compile(pointer);
    if (!validate(headerValue(header.schema, value)))
      problems.push(`header ${name}: ${JSON.stringify(value)} ${describeErrors(validate.errors)}`);
  }
}

function checkSse(media, mediaPointer, body, problems) {
  const events = parseSse(body);
  const declared = media["x-sse-events"] || {};
  const done = media["x-sse-done"];
  const names = [];
  events.forEach((ev, i) => {
    if (done !== undefined && ev.data === done) {
      if (i !== events.length - 1) problems.push(`event ${i}: ${done} before the end of the stream`);
      return;
    }
    names.push(ev.event);
    if (!(ev.event in declared)) {
      problems.push(`event ${i}: undocumented event ${JSON.stringify(ev.event)}`);
      return;
    }
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      problems.push(`event ${i} (${ev.event}): data is not JSON: ${ev.data.slice(0, 80)}`);
      return;
    }
    const validate = compile(mediaPointer + "/x-sse-events/" + encodeURIComponent(ev.event) + "/schema");
    if (!validate(data)) problems.push(`event ${i} (${ev.event}): ${describeErrors(validate.errors)}`);
  });
  if (done !== undefined && (!events.length || events[events.length - 1].data !== done))
    problems.push(`stream does not end with data: ${done}`);
  if (media["x-sse-order"] && !orderRegex(media["x-sse-order"]).test(names.map((n) => n + ",").join("")))
    problems.push(`event order ${names.join(" ")} is not ${media["x-sse-order"].join(" ")}`);
  if (!events.length) problems.push("empty stream");
}

function checkBody(response, responsePointer, record, problems) {
  const content = response.content || {};
  const type = essence(record.headers["content-type"]);
  if (!Object.keys(content).length) {
    if (record.body) problems.push("a body where the document describes none");
    return;
  }
  const mediaKey = Object.keys(content).find((k) => essence(k) === type);
  if (!mediaKey) {
    problems.push(`content type ${JSON.stringify(record.headers["content-type"])} not documented (${Object.keys(content).join(", ")})`);
    return;
  }
  const media = content[mediaKey];
  const mediaPointer = responsePointer + "/content/" + encodeURIComponent(mediaKey.replace(/~/g, "~0").replace(/\//g, "~1"));
  if (type === "text/event-stream") return checkSse(media, mediaPointer, record.body, problems);
  let value = record.body;
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      value = JSON.parse(record.body);
    } catch {
      problems.push(`body is not JSON: ${record.body.slice(0, 80)}`);
      return;
    }
  }
  const validate = compile(mediaPointer + "/schema");
  if (!validate(value)) problems.push(`body: ${describeErrors(validate.errors)}`);
}

function checkRequest(operation, opPointer, record, problems) {
  if (!record.request) return;
  const media = operation.requestBody && deref(doc, operation.requestBody).content?.["application/json"];
  if (!media) {
    problems.push("request checked but the operation documents no JSON request body");
    return;
  }
  const pointer = operation.requestBody.$ref
    ? operation.requestBody.$ref + "/content/application~1json/schema"
    : opPointer + "/requestBody/content/application~1json/schema";
  const validate = compile(pointer);
  const valid = validate(record.request.body);
  if (record.request.expect === "valid" && !valid)
    problems.push(`request the server accepted is invalid per the document: ${describeErrors(validate.errors)}`);
  if (record.request.expect === "invalid" && valid)
    problems.push("request the server refused is valid per the document");
}

const exercised = new Set();
const failures = [];
for (const record of records) {
  const problems = [];
  let response;
  let responsePointer;
  if (record.component) {
    response = doc.components?.responses?.[record.component];
    responsePointer = pointerOf(["components", "responses", record.component]);
    if (!response) problems.push(`no component response ${record.component}`);
  } else {
    const method = record.method.toLowerCase();
    const operation = doc.paths?.[record.path]?.[method];
    if (!operation) {
      problems.push(`operation ${record.method} ${record.path} not documented`);
    } else {
      exercised.add(`${record.method.toUpperCase()} ${record.path}`);
      const opPointer = pointerOf(["paths", record.path, method]);
      checkRequest(operation, opPointer, record, problems);
      const raw = operation.responses?.[String(record.status)];
      if (!raw) {
        problems.push(`status ${record.status} not documented for ${record.method} ${record.path}`);
      } else {
        response = deref(doc, raw);
        responsePointer = raw.$ref || pointerOf(["paths", record.path, method, "responses", String(record.status)]);
      }
    }
  }
  if (response) {
    checkHeaders(response, responsePointer, record, problems);
    checkBody(response, responsePointer, record, problems);
  }
  if (problems.length) failures.push({ label: record.label, status: record.status, problems });
}

const unexercised = [];
for (const [path, item] of Object.entries(doc.paths || {})) {
  for (const method of METHODS) {
    if (item[method] && !exercised.has(`${method.toUpperCase()} ${path}`)) unexercised.push(`${method.toUpperCase()} ${path}`);
  }
}
console.log(JSON.stringify({ checked: records.length, failures, unexercised }, null, 2));
process.exit(failures.length || unexercised.length ? 1 : 0);
