// Parses and validates an AsyncAPI document with the official parser:
// any diagnostic of severity error or warning fails.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"));
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
console.log(`${path}: valid AsyncAPI ${document.version()}, ${messages.length} messages, each with an example`);
