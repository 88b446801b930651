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
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  InputProcessor, JavaFileGenerator, JAVA_JACKSON_PRESET, TypeScriptFileGenerator, TS_COMMON_PRESET, UnionModel,
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
const input = await InputProcessor.processor.process(document);
const discriminators = new Set();
for (const model of Object.values(input.models)) {
  if (model instanceof UnionModel && model.originalInput?.["x-modelgen-inferred-name"] in unions) {
    const payloads = model.union.map((m) => m.originalInput?.discriminator).filter(Boolean);
    const [discriminator] = new Set(payloads);
    if (discriminator && payloads.length === model.union.length) {
      model.options.discriminator = { discriminator };
      discriminators.add(model.name);
    }
  }
}

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
const ts = new TypeScriptFileGenerator({
  modelType: "class", enumType: "enum", moduleSystem: "ESM",
  presets: [{ preset: TS_COMMON_PRESET, options: { marshalling: true } }],
});
const tsModels = await ts.generateToFiles(input, path.join(out, "ts"), { exportType: "named" }, true);

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
