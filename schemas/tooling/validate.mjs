// Validate an AsyncAPI document with @asyncapi/parser (the AsyncAPI Initiative's own parser).
// Usage: node validate.mjs [path]   (default: ../asyncapi.json)
// Prints one JSON object {errors, warnings, diagnostics: [{severity, code, message, path}]} and exits
// 0 only when the document parses with no error and no warning diagnostics.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(here, "..", "asyncapi.json");
const names = { [DiagnosticSeverity.Error]: "error", [DiagnosticSeverity.Warning]: "warning",
                [DiagnosticSeverity.Information]: "information", [DiagnosticSeverity.Hint]: "hint" };

const { document, diagnostics } = await new Parser().parse(await readFile(file, "utf8"));
const found = diagnostics.map((d) => ({ severity: names[d.severity] ?? String(d.severity), code: String(d.code),
                                        message: d.message, path: d.path.join("/") }));
const count = (severity) => found.filter((d) => d.severity === severity).length;
const result = { document: document !== undefined, errors: count("error"), warnings: count("warning"),
                 diagnostics: found };
console.log(JSON.stringify(result, null, 2));
process.exit(result.document && result.errors === 0 && result.warnings === 0 ? 0 : 1);
