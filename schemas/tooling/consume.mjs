// Read every Front Door topic as a Node team would, and check every record against the AsyncAPI document alone.
//
// Usage: node consume.mjs --broker HOST:PORT [--document PATH] [--timeout SECONDS] [--rebalance-timeout MS]
//        node consume.mjs --file RECORDS.jsonl [--document PATH]
//
// The topics are the document's channels (each main topic and its .dlq topic). Each is read from the beginning up
// to its end offsets as they were at the start (kafkajs admin fetchTopicOffsets), with kafkajs 2.2.4. kafkajs has
// no consumer without a group, so the reader joins one group of its own (a new id each run, nothing committed).
// Each record is checked with Ajv (JSON Schema 2020-12, strict mode, ajv-formats):
//   - its message: the one of its channel whose type is the record's (its ce_type header, else event-type, else
//     the payload's event_type);
//   - the payload against that message's payload schema, the headers (as UTF-8 strings) against its headers
//     schema, the key against its Kafka binding's key schema;
//   - an event (a main topic's record) also against the CloudEvents Kafka binding: ce_specversion "1.0", ce_id =
//     event-id header = payload event_id, ce_type = payload event_type, ce_time = payload occurred_at (the same
//     instant), ce_source present, content-type application/json;
//   - a dead letter against the dead-letter headers, and its x-original-topic against the topic it sits beside.
// A main topic's record that a consumer dead-lettered (a dead letter points at it) is listed under
// `dead_lettered`, not as a problem: the system refused it, as the document promises. A record that is valid but
// was dead-lettered all the same is a problem (the document and the consumer disagree about it).
//
// `--file` checks records from a file instead (one JSON object a line: {topic, partition, offset, key, headers:
// {name: string}, value: string}), the same way: for testing the checks themselves without a broker.
//
// Prints one JSON object {topics, records, by_type, problems, dead_lettered, ...} on stdout and exits 0 only when
// there is no problem. Nothing printed carries a value from a record: field paths, header names, schema keywords,
// event types, topics and offsets only (the records hold personal data).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { Kafka, logLevel } from "kafkajs";

const here = path.dirname(fileURLToPath(import.meta.url));
const DOC_ID = "https://frontdoor.invalid/asyncapi.json";
const DLQ = ".dlq";
const MAX_ERRORS = 10;
const MAX_PROBLEMS = 500;

function options(argv) {
  const found = { document: path.join(here, "..", "asyncapi.json"), timeout: 120, rebalanceTimeout: 3000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === "--broker") found.broker = value;
    else if (name === "--document") found.document = value;
    else if (name === "--file") found.file = value;
    else if (name === "--timeout") found.timeout = Number(value);
    else if (name === "--rebalance-timeout") found.rebalanceTimeout = Number(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!found.broker === !found.file) throw new Error("give either --broker HOST:PORT or --file RECORDS.jsonl");
  return found;
}

// ---- The document: channels, messages (traits applied), compiled schemas ----

const pointer = (...parts) => "#/" + parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

function resolve(doc, node) {
  // A local $ref of the document ("#/components/..."), followed until a node without one.
  for (let seen = 0; node && typeof node.$ref === "string" && seen < 20; seen += 1) {
    if (!node.$ref.startsWith("#/")) throw new Error(`only local references are followed: ${node.$ref}`);
    node = node.$ref.slice(2).split("/").map((p) => decodeURIComponent(p).replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((at, part) => (at === undefined ? undefined : at[part]), doc);
  }
  return node;
}

function merged(target, patch) {
  // AsyncAPI 3 traits: JSON Merge Patch, where a property the message has itself wins over its trait's.
  if (!isObject(target) || !isObject(patch)) return target === undefined ? patch : target;
  const out = { ...patch };
  for (const [k, v] of Object.entries(target)) out[k] = k in patch ? merged(v, patch[k]) : v;
  return out;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function prepared(doc) {
  // A copy of the document where every channel's message is a components message with its traits applied, so
  // each schema is compiled once by a pointer into the document (its $refs resolve there).
  const copy = structuredClone(doc);
  copy.components ??= {};
  copy.components.messages ??= {};
  const channels = [];
  for (const [channelName, channel] of Object.entries(copy.channels ?? {})) {
    const messages = [];
    for (const [key, ref] of Object.entries(channel.messages ?? {})) {
      let name = typeof ref.$ref === "string" && ref.$ref.startsWith("#/components/messages/")
        ? decodeURIComponent(ref.$ref.slice("#/components/messages/".length)).replaceAll("~1", "/").replaceAll("~0", "~")
        : `${channelName} ${key}`;
      let message = resolve(copy, ref);
      for (const trait of message.traits ?? []) message = merged(message, resolve(copy, trait));
      delete message.traits;
      copy.components.messages[name] = message;
      messages.push(name);
    }
    channels.push({ name: channelName, topic: channel.address ?? channelName, messages });
  }
  return { doc: copy, channels };
}

function typesOf(doc, schema, property, depth = 0) {
  // The event types a schema allows for one property (const or enum), looking through $ref and allOf/oneOf/anyOf.
  schema = resolve(doc, schema);
  if (!isObject(schema) || depth > 10) return [];
  const own = resolve(doc, schema.properties?.[property]);
  const found = [];
  if (isObject(own)) {
    if (typeof own.const === "string") found.push(own.const);
    if (Array.isArray(own.enum)) found.push(...own.enum.filter((v) => typeof v === "string"));
  }
  for (const keyword of ["allOf", "oneOf", "anyOf"]) {
    for (const part of schema[keyword] ?? []) found.push(...typesOf(doc, part, property, depth + 1));
  }
  return found;
}

class Contract {
  constructor(raw) {
    const { doc, channels } = prepared(raw);
    this.doc = doc;
    this.defaultContentType = doc.defaultContentType ?? "application/json";
    this.ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // The document's components are one schema resource, so the schemas' "#/components/schemas/..." references
    // resolve as written; `components` is declared an annotation so strict mode accepts that wrapper itself.
    this.ajv.addKeyword({ keyword: "components", schemaType: "object" });
    // AsyncAPI's own `discriminator` (a string naming the property that tells a union's schemas apart, unlike
    // OpenAPI's object that Ajv's `discriminator` option reads): an annotation, it validates nothing.
    this.ajv.addKeyword({ keyword: "discriminator", schemaType: "string" });
    this.ajv.addSchema({ $id: DOC_ID, components: doc.components }, DOC_ID);
    this.compiled = new Map();
    this.unusable = new Map(); // schema pointer -> why it does not compile
    this.channels = new Map(channels.map((c) => [c.topic, c]));
  }

  validator(...parts) {
    // The compiled schema at this place of the document (compiled once), or null with the reason kept.
    const where = pointer(...parts);
    if (!this.compiled.has(where)) {
      let validate = null;
      const at = parts.reduce((node, part) => (node === undefined ? undefined : node[part]), this.doc);
      if (at === undefined) validate = () => true; // the document says nothing here: nothing to check
      else {
        try {
          validate = this.ajv.compile({ $ref: DOC_ID + where });
        } catch (error) {
          this.unusable.set(where, String(error.message ?? error).split("\n")[0].slice(0, 300));
        }
      }
      this.compiled.set(where, validate);
    }
    return this.compiled.get(where);
  }

  messageFor(topic, eventType) {
    const channel = this.channels.get(topic);
    if (!channel) return undefined;
    if (channel.messages.length === 1) return channel.messages[0];
    return channel.messages.find((name) => {
      const m = this.doc.components.messages[name];
      return [...typesOf(this.doc, m.headers, "ce_type"), ...typesOf(this.doc, m.headers, "event-type"),
              ...typesOf(this.doc, m.payload, "event_type")]
        .includes(eventType) || (m.name ?? name) === eventType;
    });
  }
}

// ---- One record ----

function errorsOf(validate) {
  return (validate.errors ?? []).slice(0, MAX_ERRORS).map((e) => {
    const p = e.params ?? {};
    const detail = p.missingProperty ?? p.additionalProperty ?? p.format ?? p.type ?? p.propertyName ?? "";
    return `${e.instancePath || "/"}: ${e.keyword}${detail ? ` ${detail}` : ""}`;
  });
}

function instant(text) {
  // An RFC 3339 date-time as nanoseconds since the epoch (a BigInt), or null: two spellings of one instant agree.
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/.exec(text ?? "");
  if (!m) return null;
  const base = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
  if (Number.isNaN(base)) return null;
  const sign = m[6].startsWith("-") ? -1 : 1;
  const offset = /^[zZ]$/.test(m[6]) ? 0 : sign * (Number(m[6].slice(1, 3)) * 60 + Number(m[6].slice(4, 6)));
  return (BigInt(base) - BigInt(offset) * 60000n) * 1000000n + BigInt((m[5] ?? "").padEnd(9, "0"));
}

function cloudEvents(headers, payload) {
  // The CloudEvents Kafka binding (binary mode) beside the event's own headers: field names only in what it says.
  const wrong = [];
  const h = (name) => (typeof headers[name] === "string" ? headers[name] : undefined);
  if (h("ce_specversion") !== "1.0") wrong.push(h("ce_specversion") === undefined ? "ce_specversion: missing" : "ce_specversion: not 1.0");
  if (h("ce_id") === undefined) wrong.push("ce_id: missing");
  else {
    if (h("ce_id") !== h("event-id")) wrong.push("ce_id: differs from the event-id header");
    if (h("ce_id") !== payload?.event_id) wrong.push("ce_id: differs from the payload's event_id");
  }
  if (h("ce_type") === undefined) wrong.push("ce_type: missing");
  else if (h("ce_type") !== payload?.event_type) wrong.push("ce_type: differs from the payload's event_type");
  if (!h("ce_source")) wrong.push("ce_source: missing");
  if (h("ce_time") === undefined) wrong.push("ce_time: missing");
  else {
    const [time, occurred] = [instant(h("ce_time")), instant(payload?.occurred_at)];
    if (time === null) wrong.push("ce_time: not an RFC 3339 date-time");
    else if (occurred === null || time !== occurred) wrong.push("ce_time: not the payload's occurred_at");
  }
  if (h("content-type") !== "application/json") wrong.push("content-type: not application/json");
  return wrong;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes) {
  if (bytes === null || bytes === undefined) return null;
  if (typeof bytes === "string") return bytes;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined; // not UTF-8
  }
}

class Check {
  constructor(contract) {
    this.contract = contract;
    this.topics = {};
    this.records = 0;
    this.byType = {};
    this.found = []; // {topic, partition, offset, what, errors, eventRecord}
    this.valid = []; // main-topic records found valid: {topic, partition, offset}
    this.deadLetters = new Map(); // "topic:partition:offset" of an original -> the dead letter's error type
  }

  problem(at, what, errors = []) {
    this.found.push({ ...at, what, errors });
  }

  record(topic, partition, offset, key, rawHeaders, value) {
    const at = { topic, partition, offset: String(offset) };
    this.records += 1;
    this.topics[topic] = (this.topics[topic] ?? 0) + 1;
    const before = this.found.length;
    const headers = {};
    for (const [name, raw] of Object.entries(rawHeaders ?? {})) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(text);
      if (values.some((v) => v === undefined || v === null)) this.problem(at, "a header is not UTF-8 text", [name]);
      headers[name] = values.length === 1 ? values[0] : values; // a repeated header fails the schema's string type
    }
    const dead = topic.endsWith(DLQ);
    const contract = this.contract;
    const channel = contract.channels.get(topic);
    const contentType = (name) => contract.doc.components.messages[name].contentType ?? contract.defaultContentType;
    const body = text(value);
    let payload;
    const named = (h) => (typeof headers[h] === "string" ? headers[h] : undefined);
    let eventType = named("ce_type") ?? named("event-type");
    if (!dead) {
      if (body === undefined) this.problem(at, "the payload is not UTF-8 text");
      else if (body === null) this.problem(at, "the record has no payload");
      else {
        try {
          payload = JSON.parse(body);
        } catch {
          this.problem(at, "the payload is not JSON");
        }
      }
      eventType ??= typeof payload?.event_type === "string" ? payload.event_type : undefined;
    }
    const name = contract.messageFor(topic, eventType);
    const type = dead ? "dead-letter" : eventType ?? "(no event type)";
    this.byType[type] = (this.byType[type] ?? 0) + 1;
    if (!channel) this.problem(at, "the topic is not a channel of the document");
    else if (!name) this.problem(at, "no message of this channel has this event type", [type]);
    else {
      const message = ["components", "messages", name];
      const checks = [["payload", "payload", payload], ["headers", "headers", headers],
                      ["key", "bindings/kafka/key", text(key)]];
      if (dead || contentType(name) !== "application/json") checks.shift(); // bytes as they came: not checked
      for (const [what, where, data] of checks) {
        const validate = contract.validator(...message, ...where.split("/"));
        if (validate === null) this.problem(at, `the ${what} schema does not compile (Ajv strict)`, [name]);
        else if (!validate(data)) this.problem(at, `the ${what} do not match the message ${name}`.replace("payload do", "payload does").replace("key do", "key does"), errorsOf(validate));
      }
    }
    if (dead) {
      const original = topic.slice(0, -DLQ.length);
      if (headers["x-original-topic"] !== original) this.problem(at, "x-original-topic is not this dead-letter topic's own");
      const where = `${headers["x-original-topic"]}:${headers["x-original-partition"]}:${headers["x-original-offset"]}`;
      this.deadLetters.set(where, String(headers["x-error"] ?? "").split(/[:(\s]/)[0]);
    } else if (payload !== undefined && isObject(payload)) {
      const wrong = cloudEvents(headers, payload);
      if (wrong.length) this.problem(at, "the CloudEvents headers do not match the event", wrong);
    }
    for (const p of this.found.slice(before)) p.event = !dead;
    if (!dead && this.found.length === before) this.valid.push(at);
  }

  summary() {
    const key = (p) => `${p.topic}:${p.partition}:${p.offset}`;
    const problems = [];
    const deadLettered = [];
    for (const { event, ...p } of this.found) (event && this.deadLetters.has(key(p)) ? deadLettered : problems).push(p);
    for (const at of this.valid) {
      if (this.deadLetters.has(key(at))) {
        problems.push({ ...at, what: "a valid record was dead-lettered", errors: [this.deadLetters.get(key(at))] });
      }
    }
    const unusable = [...this.contract.unusable].map(([where, why]) => ({ schema: where, error: why }));
    return { topics: this.topics, records: this.records, by_type: this.byType, problems: problems.slice(0, MAX_PROBLEMS),
             problem_count: problems.length, dead_lettered: deadLettered, schemas_not_compiled: unusable };
  }
}

// ---- Reading ----

async function fromFile(check, file) {
  const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim());
  for (const line of lines) {
    const r = JSON.parse(line);
    check.record(r.topic, r.partition ?? 0, r.offset ?? 0, r.key ?? null, r.headers ?? {}, r.value ?? null);
  }
  return {};
}

async function fromBroker(check, { broker, timeout, rebalanceTimeout }) {
  const stderr = () => ({ namespace, level, log }) => {
    if (level <= logLevel.WARN) process.stderr.write(`kafkajs ${namespace}: ${log.message}\n`);
  };
  const kafka = new Kafka({ clientId: "frontdoor-contract-check", brokers: [broker], logLevel: logLevel.WARN,
                            logCreator: stderr, retry: { retries: 5 } });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(); // "topic:partition" -> the end offset at the start (a BigInt)
  const wanted = [];
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of check.contract.channels.keys()) {
      check.topics[topic] = 0;
      if (!existing.has(topic)) {
        check.problem({ topic, partition: null, offset: null }, "the topic does not exist on the broker");
        continue;
      }
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) ends.set(`${topic}:${partition}`, BigInt(high));
      }
      if ([...ends.keys()].some((k) => k.startsWith(`${topic}:`))) wanted.push(topic);
    }
  } finally {
    await admin.disconnect();
  }
  if (!wanted.length) return { group: null, join_ms: 0 };
  // kafkajs reads only through a consumer group: one of its own, never committed, so it leaves no offsets behind.
  const group = `frontdoor-contract-check-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: Math.max(6000, rebalanceTimeout * 2),
                                    rebalanceTimeout, heartbeatInterval: 500, maxWaitTimeInMs: 250,
                                    allowAutoTopicCreation: false });
  const started = Date.now();
  let joined = null;
  consumer.on(consumer.events.GROUP_JOIN, () => { joined ??= Date.now() - started; });
  const remaining = new Set(ends.keys());
  let finish;
  const caughtUp = new Promise((resolve) => { finish = resolve; });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: wanted, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const at = `${topic}:${partition}`;
        const end = ends.get(at);
        if (end === undefined || BigInt(message.offset) >= end) return; // written after the start: not ours
        check.record(topic, partition, message.offset, message.key, message.headers, message.value);
        if (BigInt(message.offset) + 1n >= end) {
          remaining.delete(at);
          if (!remaining.size) finish(true);
        }
      },
    });
    const timer = new Promise((resolve) => setTimeout(() => resolve(false), timeout * 1000));
    if (!(await Promise.race([caughtUp, timer]))) {
      for (const at of remaining) {
        const [topic, partition] = [at.slice(0, at.lastIndexOf(":")), Number(at.slice(at.lastIndexOf(":") + 1))];
        check.problem({ topic, partition, offset: null }, `not read to its end within ${timeout} s`);
      }
    }
  } finally {
    await consumer.disconnect();
  }
  return { group, join_ms: joined, read_ms: Date.now() - started };
}

const opts = options(process.argv.slice(2));
const check = new Check(new Contract(JSON.parse(await readFile(opts.document, "utf8"))));
const reading = opts.file ? await fromFile(check, opts.file) : await fromBroker(check, opts);
const result = { ...check.summary(), reading };
console.log(JSON.stringify(result, null, 2));
process.exit(result.problem_count === 0 && result.schemas_not_compiled.length === 0 ? 0 : 1);
