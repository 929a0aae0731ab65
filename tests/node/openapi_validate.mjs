// Validates an OpenAPI document (default: src/web/assets/apidoc/openapi.json):
//   1. against the OpenAPI 3.1 schema, with @seriousme/openapi-schema-validator;
//   2. every $ref resolves inside the document;
//   3. every schema location compiles with ajv in strict mode (JSON Schema 2020-12), so a
//      misspelt keyword or a bad pattern is an error, not a silently ignored field;
//   4. every example (media type `example`, schema `examples`) is valid against its schema.
// Usage: node openapi_validate.mjs [openapi.json]. Prints a JSON report; exit 0 when valid.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { allRefs, describeErrors, loadJson, makeCompiler, resolvePointer, schemaLocations } from "./openapi_lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] || path.join(here, "..", "..", "src", "web", "assets", "apidoc", "openapi.json");
const errors = [];
const doc = loadJson(file);

const validator = new Validator();
const result = await validator.validate(doc);
if (!result.valid) errors.push({ check: "openapi-schema", errors: result.errors });
if (validator.version !== "3.1") errors.push({ check: "openapi-version", errors: `version ${validator.version}` });

const refs = allRefs(doc);
for (const { at, ref } of refs) {
  if (resolvePointer(doc, ref) === undefined) errors.push({ check: "ref", at, errors: `unresolved ${ref}` });
}

const compile = makeCompiler(doc, { strict: true });
const locations = schemaLocations(doc);
let examples = 0;
for (const pointer of locations) {
  let validate;
  try {
    validate = compile(pointer);
  } catch (e) {
    errors.push({ check: "schema-compiles", at: pointer, errors: e.message });
    continue;
  }
  const schema = resolvePointer(doc, pointer);
  for (const example of schema.examples || []) {
    examples++;
    if (!validate(example)) errors.push({ check: "schema-example", at: pointer, example, errors: describeErrors(validate.errors) });
  }
  // The media type (or parameter, header) holding this schema may carry an example.
  const holder = resolvePointer(doc, pointer.replace(/\/schema$/, ""));
  if (pointer.endsWith("/schema") && holder && "example" in holder) {
    examples++;
    if (!validate(holder.example)) errors.push({ check: "media-example", at: pointer, errors: describeErrors(validate.errors) });
  }
}

// Schemas nested under components.schemas may carry examples too (properties).
(function walk(node, where) {
  if (!node || typeof node !== "object") return;
  if (!Array.isArray(node) && Array.isArray(node.examples) && where.includes("/properties/")) {
    try {
      const validate = compile(where);
      for (const example of node.examples) {
        examples++;
        if (!validate(example)) errors.push({ check: "property-example", at: where, example, errors: describeErrors(validate.errors) });
      }
    } catch (e) {
      errors.push({ check: "schema-compiles", at: where, errors: e.message });
    }
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === "examples" || k === "example") continue;
    walk(v, where + "/" + encodeURIComponent(k.replace(/~/g, "~0").replace(/\//g, "~1")));
  }
})(doc.components?.schemas, "#/components/schemas");

const report = { file, valid: errors.length === 0, version: validator.version, refs: refs.length,
                 schemas: locations.length, examples, errors };
console.log(JSON.stringify(report, null, 2));
process.exit(errors.length === 0 ? 0 : 1);
