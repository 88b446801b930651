// Generate Java (Jackson) and TypeScript (marshal/unmarshal) models from the AsyncAPI document with
// @asyncapi/modelina, as a Java or TypeScript team consuming Front Door would.
// Usage: node models.mjs <asyncapi.json> <out dir>
// Writes <out>/java/frontdoor/models/*.java (package frontdoor.models) and <out>/ts/*.ts, then prints one JSON
// object: {java: [class names], ts: [model names], unions: {channel: {name, members}}}.
//
// Two things Modelina 5.10.1 does with any AsyncAPI 3.0 document, put right here (the document itself is right):
// - a channel's union (one model named after the channel) is built from each of the channel's operations in turn,
//   and the last one's messages win: frontdoor.triage.decisions came out with triage's two messages, without
//   EmergencyUnanswered and the assignment and note events other services send there. A reader of a topic gets
//   every message on it, so the union is built from a reader of the whole channel;
// - that union is a `oneOf` Modelina writes itself, so it never carries the payloads' `discriminator`: Jackson
//   falls back to deducing the class from the fields present, and cannot tell ReferralSubmitted from
//   ReferralRedirected (a redirect is a submission with one more field). The union is given the payloads'
//   discriminator, `event_type`, so Jackson reads the type from the record.
// And one thing its TypeScript does with any field that may be null, put right for TypeScript only (see
// `nullableFields`): the classes it wrote did not compile (290 errors with tsc --strict) nor run.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  ArrayModel, ConstrainedObjectModel, ConstrainedReferenceModel, EnumModel, InputProcessor, JavaFileGenerator,
  JAVA_JACKSON_PRESET, ObjectModel, ReferenceModel, TypeScriptFileGenerator, TS_COMMON_PRESET, UnionModel,
} from "@asyncapi/modelina";

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  console.error("usage: node models.mjs <asyncapi.json> <out dir>");
  process.exit(2);
}
const document = JSON.parse(await readFile(file, "utf8"));

const unions = {};
for (const [id, channel] of Object.entries(document.channels ?? {})) {
  const names = Object.keys(channel.messages ?? {});
  if (names.length > 1) {
    unions[id] = names;
    document.operations[`x-models.reads.${id}`] = {  // last of the channel's operations: its messages win
      action: "receive", channel: { $ref: `#/channels/${id}` },
      messages: names.map((name) => ({ $ref: `#/channels/${id}/messages/${name}` })),
    };
  }
}
// The document's models, once for each language: a generator splits and renames the models it is given in place.
async function modelsOf(document) {
  const input = await InputProcessor.processor.process(document);
  for (const model of Object.values(input.models)) {
    if (model instanceof UnionModel && model.originalInput?.["x-modelgen-inferred-name"] in unions) {
      const payloads = model.union.map((m) => m.originalInput?.discriminator).filter(Boolean);
      const [discriminator] = new Set(payloads);
      if (discriminator && payloads.length === model.union.length) {
        model.options.discriminator = { discriminator };
      }
    }
  }
  return input;
}
const input = await modelsOf(document);

// A time or a date stays the record's text (Jackson reads java.time only with the jsr310 module, and would write
// `2026-01-15T10:00:05Z` back as `2026-01-15T10:00:05.000Z`); ids are java.util.UUID, Modelina's own choice.
const TEXT = { date: "String", time: "String", dateTime: "String", "date-time": "String", duration: "String" };
const javaTypes = {
  String: ({ constrainedModel }) => TEXT[constrainedModel.options.format] ??
    (constrainedModel.options.format === "uuid" ? "UUID" : constrainedModel.options.format === "binary"
      ? "byte[]" : "String"),
};
// A payload whose event_type is an enum (ServiceOutcome: service_request.accepted, .declined, ...) is one class for
// several type ids: Modelina names it by its class name, Jackson needs every id (`names`, Jackson 2.12 and later).
const severalIds = {
  union: {
    self({ content, model }) {
      let text = content;
      for (const member of model.union) {
        const eventType = Object.values(member.ref?.properties ?? {}).find(
          (p) => p.unconstrainedPropertyName === model.options.discriminator?.discriminator);
        const enumModel = eventType?.property?.ref ?? eventType?.property;
        const ids = enumModel?.values?.map((v) => v.value);
        if (!member.ref?.properties || !ids?.length || eventType.property.options?.const) continue;
        text = text.replace(`value = ${member.name}.class, name = "${member.name}"`,
                            `value = ${member.name}.class, names = {${ids.map((id) => JSON.stringify(String(id).replace(/^"|"$/g, ""))).join(", ")}}`,
        );
      }
      return text;
    },
  },
};
const java = new JavaFileGenerator({ presets: [JAVA_JACKSON_PRESET, severalIds], collectionType: "List",
                                     typeMapping: javaTypes });
const javaModels = await java.generateToFiles(input, path.join(out, "java", "frontdoor", "models"),
                                              { packageName: "frontdoor.models" }, true);

// TypeScript: a field that may be null is `anyOf: [T, {type: "null"}]` (how pydantic writes `T | None`), which
// Modelina reads as a union of one member that may be null, and writes as a type alias of its own
// (`type CorrelationId = string | null`) that its marshalling then treats as a class: `this.correlationId.marshal()`,
// `CorrelationId.unmarshal(...)`, which neither compiles (TS2339, TS2693) nor runs. Here each such field is its member
// itself, marked as one that may be null: a string, number, boolean or list is then `T | null` in Modelina's own code;
// an object or an enum is a reference to its own model, typed `T | null` by `nullableReference`; and `nullSafe` gives
// every such field's marshal and unmarshal a first branch for null, so a null is read and written as null and the
// rest of Modelina's code sees only T (and reads an object with `T.unmarshal`, not `T | null.unmarshal`). A class
// with a field of type T and another of type `T | null` (ServiceOutcome's service and redirect_to) imports T twice,
// once for each type: the second import is left out.
function nullableFields(input) {
  const seen = new Set();
  const walk = (model) => {
    if (!model || seen.has(model)) return;
    seen.add(model);
    if (model instanceof ObjectModel) {
      for (const property of Object.values(model.properties)) {
        const field = property.property;
        if (field instanceof UnionModel && field.union.length === 1 && field.options.isNullable) {
          const [member] = field.union;
          const options = { ...member.options, isNullable: true };
          if (member instanceof ObjectModel || member instanceof EnumModel) {
            property.property = new ReferenceModel(member.name, member.originalInput, options, member);
            input.models[member.name] ??= member;  // a model of its own, as if Modelina had split it out
          } else {
            property.property = Object.assign(Object.create(Object.getPrototypeOf(member)), member, { options });
          }
        }
        walk(property.property instanceof ReferenceModel ? property.property.ref : property.property);
      }
    } else if (model instanceof UnionModel) {
      model.union.forEach(walk);
    } else if (model instanceof ArrayModel) {
      walk(model.valueModel);
    }
  };
  Object.values(input.models).forEach(walk);
  return input;
}
const nullableReference = ({ constrainedModel }) =>
  constrainedModel.options.isNullable ? `${constrainedModel.name} | null` : constrainedModel.name;
const once = (text, find, replace, where) => {
  const parts = text.split(find);
  if (parts.length !== 2) throw new Error(`models.mjs: expected Modelina to write ${find} once in ${where}`);
  return parts.join(replace);
};
const nullSafe = {
  class: {
    additionalContent({ content, model }) {
      let text = content;
      for (const { propertyName: name, unconstrainedPropertyName: raw, property } of Object.values(model.properties)) {
        if (!property.options.isNullable || property.options.const) continue;
        const [marshal, unmarshal] = [`if(this.${name} !== undefined) {`, `if (obj["${raw}"] !== undefined) {`];
        const [writeNull, readNull] = [`json += '"${raw}": null,';`, `instance.${name} = null;`];
        text = once(text, marshal, `if(this.${name} === null) {\n    ${writeNull}\n  } else ${marshal}`,
                    `${model.name}.marshal`);
        text = once(text, unmarshal, `if (obj["${raw}"] === null) {\n    ${readNull}\n  } else ${unmarshal}`,
                    `${model.name}.unmarshal`);
        if (property instanceof ConstrainedReferenceModel && property.ref instanceof ConstrainedObjectModel) {
          const where = `${model.name}.unmarshal`;
          text = once(text, `${property.type}.unmarshal(`, `${property.ref.type}.unmarshal(`, where);
        }
      }
      return text;
    },
  },
};
const ts = new TypeScriptFileGenerator({
  modelType: "class", enumType: "enum", moduleSystem: "ESM", typeMapping: { Reference: nullableReference },
  presets: [{ preset: TS_COMMON_PRESET, options: { marshalling: true } }, nullSafe],
});
const tsModels = (await ts.generateCompleteModels(nullableFields(await modelsOf(document)), { exportType: "named" }))
  .filter((model) => model.modelName !== "");
await mkdir(path.join(out, "ts"), { recursive: true });
for (const model of tsModels) {
  const imports = new Set();
  const lines = model.result.split("\n")
    .filter((line) => !line.startsWith("import ") || (!imports.has(line) && imports.add(line)));
  await writeFile(path.join(out, "ts", `${model.modelName}.ts`), lines.join("\n"));
}

const found = {};
for (const model of javaModels) {
  const channel = model.model.originalInput?.["x-modelgen-inferred-name"];
  if (channel in unions && Array.isArray(model.model.union)) {
    found[channel] = { name: model.modelName, members: model.model.union.map((m) => m.ref?.name ?? m.name),
                       discriminator: model.model.options.discriminator?.discriminator ?? null };
  }
}
console.log(JSON.stringify({ java: javaModels.map((m) => m.modelName), ts: tsModels.map((m) => m.modelName),
                             unions: found }, null, 2));
