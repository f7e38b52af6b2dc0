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
// Files under test/kube/ share one etcd + kube-apiserver for the whole run
// (each works in namespaces of its own), stopped here even when tests fail or
// the run is interrupted: the signal handlers keep Node from exiting before
// the finally block.
const kube = files.some((f) => f.startsWith(join("test", "kube"))) && !process.env.GITCERT_TEST_KUBE ? await startSharedKube() : undefined;
let status = 1;
try {
  const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-reporter=spec", ...files], { stdio: "inherit", env: kube ? { ...process.env, GITCERT_TEST_KUBE: kube.dir } : process.env });
  status = result.status ?? 1;
} finally {
  await kube?.release();
}
process.exit(status);

async function startSharedKube() {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
  const { startKube } = await import("../test/peers/kube.ts");
  return startKube();
}
