// Parses and validates an AsyncAPI document with the official parser (any
// diagnostic of severity error or warning fails), then checks that every
// message has an example and that each example's payload is valid against
// the message's schema (the parser resolves but does not check examples).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Parser } from "@asyncapi/parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const path = process.argv[2];
const parser = new Parser();
// `source` lets the parser resolve the references into docs/openapi.json
// (the REST shapes a frame carries are defined there, once).
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), {
  source: resolve(path),
});
const serious = diagnostics.filter((d) => d.severity <= 1);
for (const d of diagnostics) {
  const level = ["error", "warning", "info", "hint"][d.severity] ?? d.severity;
  console.log(`${level} ${d.code} at ${d.path.join(".")}: ${d.message}`);
}
if (!document || serious.length > 0) {
  console.error(`${path}: ${serious.length} errors or warnings`);
  process.exit(1);
}
const messages = document.allMessages().all();
const missing = messages.filter((m) => m.examples().length === 0).map((m) => m.id());
if (missing.length > 0) {
  console.error(`messages without an example: ${missing.join(", ")}`);
  process.exit(1);
}
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
let invalid = 0;
for (const message of messages) {
  const validate = ajv.compile(message.payload().json());
  for (const example of message.examples().all()) {
    if (!validate(example.payload())) {
      invalid += 1;
      console.error(`${message.id()} example ${example.name()}: ${ajv.errorsText(validate.errors)}`);
    }
  }
}
if (invalid > 0) {
  process.exit(1);
}
console.log(`${path}: valid AsyncAPI ${document.version()}, ${messages.length} messages, each with an example that its schema accepts`);
