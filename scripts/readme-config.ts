// Writes the configuration table into README.md from src/config.ts, the one
// place options are declared: the Markdown `gitcert help config --markdown`
// prints. test/readme.test.ts fails when they drift.
import { readFileSync, writeFileSync } from "node:fs";
import { configReference } from "../src/config.ts";

export const START = "<!-- config:start (generated: npm run readme:config) -->";
export const END = "<!-- config:end -->";

export function withConfigTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error("README.md has no config table markers");
  return readme.slice(0, start + START.length) + "\n" + configReference() + "\n" + readme.slice(end);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync("README.md", withConfigTable(readFileSync("README.md", "utf8")));
}
