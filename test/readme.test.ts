import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { withConfigTable } from "../scripts/readme-config.ts";

test("README.md's configuration table is the one src/config.ts declares (npm run readme:config)", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.equal(readme, withConfigTable(readme));
});

test("README.md gives the two commands a newcomer needs", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.match(readme, /npm install && npm start/);
  assert.match(readme, /npm test/);
  const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
  assert.match(ci, /^npm test$/m, ".ci/run runs the README's test command");
});
