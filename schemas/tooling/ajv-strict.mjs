// Compile every schema Front Door publishes with Ajv 8 in strict mode, as a Node team validating our records
// would, and validate the AsyncAPI document's message examples against the schemas they claim to follow.
// Usage: node ajv-strict.mjs [asyncapi.json] [json schema directory]   (defaults: ../asyncapi.json, ../json)
// Prints one JSON object {compiled, errors: [{source, schema, dialect, message}], examples, invalid_examples} and
// exits 0 only when every schema compiles and every example is valid.
//
// The dialects: schemas/json/*.schema.json by their own `$schema` (2020-12 when they name none, as Pydantic
// writes 2020-12). The AsyncAPI document's schemas are AsyncAPI Schema Objects, "a superset of JSON Schema
// Draft 07" (AsyncAPI 3.0.0, Schema Object), so they are compiled as draft-07; and as 2020-12 as well, since a
// consumer may hand them to Ajv2020 (nothing in them should depend on the draft).
//
// One keyword is registered beyond JSON Schema, because the AsyncAPI Schema Object defines it and Ajv does not
// know it in that form: `discriminator`, a string naming the property that tells the schemas of a union apart
// (AsyncAPI's own, unlike OpenAPI's object, which Ajv's `discriminator: true` option reads). It is an annotation:
// it validates nothing. Nothing else is loosened: strict mode stays on in every part (unknown keywords and
// formats, `properties` without `type: "object"`, `required` naming an undefined property, ...).
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
const asyncapiFile = process.argv[2] ?? path.join(here, "..", "asyncapi.json");
const jsonDir = process.argv[3] ?? path.join(here, "..", "json");

const DIALECTS = {
  "http://json-schema.org/draft-07/schema#": ["draft-07", Ajv],
  "http://json-schema.org/draft-07/schema": ["draft-07", Ajv],
  "https://json-schema.org/draft/2019-09/schema": ["2019-09", Ajv2019],
  "https://json-schema.org/draft/2020-12/schema": ["2020-12", Ajv2020],
};
const DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema";

function ajvOf(Class, { asyncapi = false } = {}) {
  const ajv = new Class({ strict: true, allErrors: true });
  addFormats(ajv);
  if (asyncapi) ajv.addKeyword({ keyword: "discriminator", schemaType: "string" });
  return ajv;
}

const errors = [];
let compiled = 0;

function compileOne(source, name, dialect, compile) {
  try {
    const validate = compile();
    compiled += 1;
    return validate;
  } catch (error) {
    errors.push({ source, schema: name, dialect, message: String(error.message ?? error) });
    return undefined;
  }
}

// Every JSON Schema file, each in an Ajv of its own dialect.
for (const file of (await readdir(jsonDir)).filter((f) => f.endsWith(".schema.json")).sort()) {
  const schema = JSON.parse(await readFile(path.join(jsonDir, file), "utf8"));
  const uri = schema.$schema ?? DEFAULT_DIALECT;
  const known = DIALECTS[uri];
  if (known === undefined) {
    errors.push({ source: `json/${file}`, schema: file, dialect: uri, message: "an unknown $schema" });
    continue;
  }
  const [dialect, Class] = known;
  compileOne(`json/${file}`, file, dialect, () => ajvOf(Class).compile(schema));
}

// Every schema in the AsyncAPI document: components, each message's payload and headers, each message trait's
// headers, the Kafka bindings' key and groupId schemas. The document itself is not a schema, so its component
// schemas are put under `$defs` of a schema of their own and each `#/components/schemas/<name>` reference is
// pointed there (nothing else changes); each schema is then compiled by itself.
const doc = JSON.parse(await readFile(asyncapiFile, "utf8"));
const ID = "https://frontdoor.invalid/asyncapi-components.json";
const COMPONENT = /^#\/components\/schemas\/([a-zA-Z0-9.\-_]+)$/;
const outside = new Set();
const rewritten = (value) => {
  if (Array.isArray(value)) return value.map(rewritten);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$ref" && typeof inner === "string") {
      const match = COMPONENT.exec(inner);
      if (match === null) outside.add(inner);
      out[key] = match === null ? inner : `${ID}#/$defs/${match[1]}`;
    } else {
      out[key] = rewritten(inner);
    }
  }
  return out;
};
const places = [];  // [where, schema]
for (const name of Object.keys(doc.components?.schemas ?? {})) {
  places.push([`components/schemas/${name}`, { $ref: `#/components/schemas/${name}` }]);
}
for (const [name, message] of Object.entries(doc.components?.messages ?? {})) {
  for (const part of ["payload", "headers"]) {
    if (message[part] !== undefined) places.push([`components/messages/${name}/${part}`, message[part]]);
  }
  const key = message.bindings?.kafka?.key;
  if (key !== undefined) places.push([`components/messages/${name}/bindings/kafka/key`, key]);
}
for (const [name, trait] of Object.entries(doc.components?.messageTraits ?? {})) {
  if (trait.headers !== undefined) places.push([`components/messageTraits/${name}/headers`, trait.headers]);
}
for (const [name, operation] of Object.entries(doc.operations ?? {})) {
  for (const field of ["groupId", "clientId"]) {
    const schema = operation.bindings?.kafka?.[field];
    if (schema !== undefined) places.push([`operations/${name}/bindings/kafka/${field}`, schema]);
  }
}
const validators = {};
const components = { $id: ID, $defs: rewritten(doc.components?.schemas ?? {}) };
for (const [dialect, Class] of [["draft-07", Ajv], ["2020-12", Ajv2020]]) {
  const ajv = ajvOf(Class, { asyncapi: true });
  ajv.addSchema(components);
  for (const [where, schema] of places) {
    const validate = compileOne("asyncapi.json", where, dialect, () => ajv.compile(rewritten(schema)));
    if (dialect === "draft-07") validators[where] = validate;
  }
}
for (const ref of outside) {
  errors.push({ source: "asyncapi.json", schema: ref, dialect: "-",
                message: "a schema refers to something other than #/components/schemas/<name>" });
}

// Every message's examples: each one's payload against the message's payload, its headers against its headers.
let examples = 0;
const invalid = [];
for (const [name, message] of Object.entries(doc.components?.messages ?? {})) {
  for (const [index, example] of (message.examples ?? []).entries()) {
    examples += 1;
    for (const part of ["payload", "headers"]) {
      const validate = validators[`components/messages/${name}/${part}`];
      if (example[part] === undefined || validate === undefined) continue;
      if (!validate(example[part])) {
        invalid.push({ message: name, example: example.name ?? index, part,
                       errors: validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`) });
      }
    }
  }
}

const result = { compiled, errors, examples, invalid_examples: invalid };
console.log(JSON.stringify(result, null, 2));
process.exit(errors.length === 0 && invalid.length === 0 ? 0 : 1);
