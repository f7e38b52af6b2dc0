#!/usr/bin/env node
// Exits 0 when node_modules holds what package-lock.json says, so that
// `npm test` runs `npm ci` (which deletes node_modules first) only when it
// must. npm records what it installed in node_modules/.package-lock.json,
// after `npm install` and `npm ci` alike; package-lock.json's root entry must
// also still list package.json's dependencies (else `npm ci` has to say so).
import { readFileSync } from "node:fs";

const read = (path) => JSON.parse(readFileSync(path, "utf8"));
const same = (a, b) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

function current() {
  let manifest, lock, installed;
  try {
    manifest = read("package.json");
    lock = read("package-lock.json").packages;
    installed = read("node_modules/.package-lock.json").packages;
  } catch {
    return false;
  }
  const root = lock[""] ?? {};
  for (const field of ["dependencies", "devDependencies", "optionalDependencies"]) {
    if (!same(root[field], manifest[field])) return false;
  }
  for (const [path, entry] of Object.entries(lock)) {
    if (path === "") continue;
    const have = installed[path];
    // Optional packages for other platforms are in the lock but never installed.
    if (!have) {
      if (entry.optional) continue;
      return false;
    }
    if (have.version !== entry.version || have.integrity !== entry.integrity) return false;
  }
  return Object.keys(installed).every((path) => path in lock);
}

process.exit(current() ? 0 : 1);
