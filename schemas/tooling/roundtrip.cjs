// The TypeScript round trip of tests/integration/test_generated_models.py: each record unmarshalled with the class
// Modelina generated (chosen among the channel's classes by the record's event_type, as a consumer would) and
// marshalled back. Usage: node roundtrip.cjs <compiled models dir> <cases.json>
// cases.json: [{"message", "expect", "members": [classes on the channel], "record"}]; prints [{message, class,
// json} or {message, error}].
const fs = require("node:fs");
const path = require("node:path");

const [dir, casesFile] = process.argv.slice(2);
const load = (name) => require(path.resolve(dir, name))[name];
const out = [];
for (const c of JSON.parse(fs.readFileSync(casesFile, "utf8"))) {
  try {
    const classes = c.members.map(load);
    const typed = classes.filter((C) => new C({}).eventType === c.record.event_type);
    const open = classes.filter((C) => typeof new C({}).eventType !== "string");
    const [Chosen] = typed.length ? typed : open;  // a class whose event_type is an enum (several types)
    const value = Chosen.unmarshal(JSON.stringify(c.record));
    out.push({ message: c.message, class: value.constructor.name, json: JSON.parse(value.marshal()) });
  } catch (e) {
    out.push({ message: c.message, error: `${e.name}: ${String(e.message).split("\n")[0]}` });
  }
}
console.log(JSON.stringify(out, null, 2));
