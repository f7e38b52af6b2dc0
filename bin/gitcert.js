#!/usr/bin/env node
// gitcert's executable. Plain JavaScript that any Node can parse, because the
// first thing it does is make sure it runs on Node 24: an older `node` on
// PATH hands over to the one the `node` npm package puts in node_modules.
// Then it runs the bundled CLI (dist/, built by `npm install`'s prepare
// step: scripts/build.ts), or the TypeScript sources when dist/ is missing or
// older than them (someone edited src/ since the build), which Node 24 runs
// itself.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, statSync } from "node:fs";
import module from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const MINIMUM_MAJOR = 24;
const FORWARDED_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"];
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
  const args = [fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  // Node 22.15+ can replace itself: the bundled Node takes this process over (same pid), and signals reach it directly.
  if (typeof process.execve === "function" && executable(bundled)) process.execve(bundled, [bundled, ...args], process.env);
  // Older, a child: what a supervisor sends this process (a pod's SIGTERM, a terminal's Ctrl-C) is passed on,
  // else gitcert would run on after its parent is gone; its end is this process's end, signal or exit code.
  const child = spawn(bundled, args, { stdio: "inherit" });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  await new Promise((resolve) => child.on("exit", resolve)).then(() => {
    if (child.signalCode) {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      process.kill(process.pid, child.signalCode);
    }
    process.exit(child.exitCode ?? 1);
  });
}

// `gitcert serve` runs for months and is idle nearly all the time, so it
// starts itself again (execve: the same process, same pid) with settings
// that keep its resident memory down, unless the environment chose them:
// - glibc's allocator: blocks of 32 KiB and more (a stream's 64 KiB read
//   buffers, a worker's message) get pages of their own, handed back when
//   freed, and threads share 2 arenas instead of up to 8 per core. Without,
//   freed blocks stay resident in the arenas (bench/renewal, idle: 65 MB of
//   malloc and stacks after 5,000 Certificates' first scan, 24 MB with).
// - V8's young generation: semi-spaces of at most 8 MB, where V8 lets them
//   grow to tens of MB under a tick's allocation (64 MB of new space here).
// - V8's middle tiers off (Sparkplug, Maglev): code a tick runs often is
//   still optimized (TurboFan), the rest stays interpreted. Their code and
//   Maglev's compile buffers stayed resident for nothing (bench/renewal,
//   idle: 129 → 121 MB; tick and first-reconcile times unchanged).
// A user's own malloc settings (GLIBC_TUNABLES or MALLOC_*) or V8 flags
// (--max-semi-space-size, --[no-]maglev, --[no-]sparkplug, either spelling)
// win.
const SERVE_MALLOC = "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=32768";
const SERVE_V8 = ["--max-semi-space-size=8", "--no-maglev", "--no-sparkplug"];
if (process.argv[2] === "serve" && process.platform === "linux" && typeof process.execve === "function") {
  const env = { ...process.env };
  // glibc's MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ etc. are the same settings by
  // older names, and GLIBC_TUNABLES would override them: a user who set one chose.
  const ownMalloc = /glibc\.malloc\./.test(env.GLIBC_TUNABLES ?? "") || Object.keys(env).some((name) => name.startsWith("MALLOC_"));
  if (!ownMalloc) env.GLIBC_TUNABLES = env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${SERVE_MALLOC}` : SERVE_MALLOC;
  // V8 reads --max_semi_space_size as --max-semi-space-size.
  const chosen = [...process.execArgv, env.NODE_OPTIONS ?? ""].join(" ").replaceAll("_", "-");
  const v8 = SERVE_V8.filter((flag) => !new RegExp(`--(no-)?${flag.replace(/^--(no-)?/, "").split("=")[0]}(?=[=\\s]|$)`).test(chosen));
  // A failed execve cannot be caught: Node aborts the process (SIGABRT).
  // So it is tried only where it can work: the binary this runs is still
  // there and executable (not removed or replaced since it started).
  // Elsewhere it runs as started; where a sandbox refuses execve itself,
  // setting both GLIBC_TUNABLES malloc and --max-semi-space-size skips it.
  if ((env.GLIBC_TUNABLES !== process.env.GLIBC_TUNABLES || v8.length > 0) && executable(process.execPath)) {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...v8, fileURLToPath(import.meta.url), ...process.argv.slice(2)], env);
  }
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

/** Whether `file` exists and this process may execute it. */
function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
