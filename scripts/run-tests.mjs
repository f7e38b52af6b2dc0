#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner; Node 24 runs the
// TypeScript sources itself (type stripping). Extra arguments are path
// filters: `node scripts/run-tests.mjs test/secrets` runs one room.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

function* walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith(".test.ts")) yield relative(process.cwd(), path);
  }
}

const filters = process.argv.slice(2);
const files = [...walk("test")].filter((f) => filters.length === 0 || filters.some((x) => f.startsWith(x)));
if (files.length === 0) {
  console.error("no test files matched", filters.join(" "));
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
