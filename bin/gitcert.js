#!/usr/bin/env node
// gitcert's executable. Plain JavaScript that any Node can parse, because the
// first thing it does is make sure it runs on Node 24: an older `node` on
// PATH hands over to the one the `node` npm package puts in node_modules.
// Then it runs the compiled CLI (dist/, built by `npm install`'s prepare
// step), or the TypeScript sources when dist/ is missing or older than them
// (someone edited src/ since the build), which Node 24 runs itself.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import module from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const MINIMUM_MAJOR = 24;
const root = fileURLToPath(new URL("..", import.meta.url));

if (Number(process.versions.node.split(".")[0]) < MINIMUM_MAJOR) {
  const bundled = `${root}node_modules/.bin/node`;
  if (!existsSync(bundled)) {
    console.error(
      `gitcert: needs Node.js ${MINIMUM_MAJOR} or newer, and this is ${process.version}. ` +
        `Install Node ${MINIMUM_MAJOR}, or run \`npm install\` in ${root} (it installs Node ${MINIMUM_MAJOR} into node_modules).`,
    );
    process.exit(2);
  }
  const child = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

// Caches V8's compiled code (and Node's type-stripped sources) between runs,
// in the OS temp folder; where that is not writable, Node just runs without.
module.enableCompileCache?.();

const compiled = `${root}dist/cli.js`;
const sources = `${root}src`;
const entry = existsSync(compiled) && !newerThan(sources, statSync(compiled).mtimeMs) ? compiled : `${sources}/cli.ts`;
const { main } = await import(pathToFileURL(entry).href);
process.exit(await main(process.argv.slice(2)));

/** Whether any file under `dir` was modified after `time` (false when there is no `dir`). */
function newerThan(dir, time) {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() ? newerThan(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}
