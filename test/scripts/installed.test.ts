// scripts/installed.mjs decides whether `npm test` must run `npm ci` (half a
// minute, node_modules deleted first): only when node_modules is not what
// package-lock.json says.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers.ts";

const SCRIPT = join(import.meta.dirname, "..", "..", "scripts", "installed.mjs");

const manifest = { name: "app", dependencies: { yaml: "^2.9.1" }, devDependencies: { typescript: "~5.9" } };
const packages = {
  "node_modules/yaml": { version: "2.9.1", integrity: "sha512-yaml" },
  "node_modules/typescript": { version: "5.9.3", integrity: "sha512-ts", dev: true },
  "node_modules/fsevents": { version: "2.3.3", integrity: "sha512-fsevents", optional: true, os: ["darwin"] },
};

function project(t: Parameters<typeof tempDir>[0], installed: Record<string, unknown> | undefined, pkg: object = manifest) {
  const dir = tempDir(t);
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "": manifest, ...packages } }));
  if (installed) {
    mkdirSync(join(dir, "node_modules"));
    writeFileSync(join(dir, "node_modules", ".package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: installed }));
  }
  return () => spawnSync(process.execPath, [SCRIPT], { cwd: dir }).status;
}

const { "node_modules/fsevents": _otherPlatform, ...installedHere } = packages;

test("node_modules installed from this lock file: no npm ci (a package for another platform is never installed)", (t) => {
  assert.equal(project(t, installedHere)(), 0);
});

test("npm ci when node_modules is missing, holds another version, lacks or has an extra package, or package.json moved on", (t) => {
  assert.equal(project(t, undefined)(), 1, "never installed");
  assert.equal(project(t, { ...installedHere, "node_modules/yaml": { version: "2.8.0", integrity: "sha512-old" } })(), 1, "another version");
  const { "node_modules/typescript": _ts, ...withoutTypescript } = installedHere;
  assert.equal(project(t, withoutTypescript)(), 1, "a package missing");
  assert.equal(project(t, { ...installedHere, "node_modules/left-pad": { version: "1.3.0" } })(), 1, "a package the lock does not have");
  assert.equal(project(t, installedHere, { ...manifest, dependencies: { ...manifest.dependencies, pino: "^10.4.0" } })(), 1, "a dependency added to package.json only");
});
