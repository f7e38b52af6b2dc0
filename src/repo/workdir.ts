// The working clone's folder, and what a run killed at any instant can leave
// in it. A new clone is assembled aside and its .git renamed into place, so
// a folder either holds a complete clone or gitcert's half-built one under a
// name of its own. A clone of the right remote is ours: whatever a killed
// git left there (locks, a half-done rebase or merge, a detached HEAD, temp
// objects, half-written files) is cleaned up and said in one log line, and a
// damaged one is rebuilt. Anything else is someone's data: refused, never
// deleted.
import { lstat, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { redact } from "../redact.ts";
import { GitError } from "./git-errors.ts";
import { testPoint } from "./test-point.ts";

/** Where a new clone is assembled; only gitcert uses this name. */
export const BUILD_DIR = ".gitcert-new-clone";

/** How the workspace runs git (git.ts): `probe` answers undefined for a silent exit 1. */
export interface GitRunner {
  git(operation: string, args: string[]): Promise<string>;
  probe(operation: string, args: string[]): Promise<string | undefined>;
}

/** Where repairs are reported: one line per opening of the clone. */
export interface RepairLog {
  warn(fields: object, message: string): void;
}

export interface Workdir {
  root: string;
  /** The remote URL as configured (never logged: it may carry a user name). */
  url: string;
  branch: string;
  log?: RepairLog;
}

// Files git leaves mid-operation; with the operation gone they only stop the
// next one ("a rebase is in progress"). The branch ref is updated last by
// each of them, so dropping the state is the same as aborting.
const OPERATION_STATE = ["rebase-merge", "rebase-apply", "MERGE_HEAD", "MERGE_MODE", "MERGE_MSG", "AUTO_MERGE", "CHERRY_PICK_HEAD", "REVERT_HEAD", "sequencer"];

/** A writeFileAtomic temp file (write.ts): `.name.<12 hex>.tmp`. */
const HALF_WRITTEN = /(^|\/)\.[^/]+\.[0-9a-f]{12}\.tmp$/;

export function sameRemote(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/\/+$/, "").replace(/\.git$/, "");
  return norm(a) === norm(b);
}

/** Make `root` a clone of the remote, or recognise and repair the one there. */
export async function prepareWorkdir(w: Workdir, run: GitRunner): Promise<void> {
  const entries = await readdir(w.root);
  const repairs: string[] = [];
  if (entries.includes(".git")) {
    const st = await lstat(join(w.root, ".git"));
    if (!st.isDirectory()) throw conflict(w, "its .git is not a directory (a worktree or submodule checkout)");
    const origin = await originOf(w.root, run);
    if (origin && !sameRemote(origin, w.url)) throw conflict(w, `it holds a clone of ${redact(origin)}`);
    if (!origin) {
      if (!(await abandonedInit(w.root, entries, run))) throw conflict(w, "it holds a Git repository without an origin remote");
      await run.git("open", ["remote", "add", "origin", "--", w.url]);
      repairs.push("added the origin remote to the empty repository a killed run had started");
    }
    if (!(await run.probe("open", ["rev-parse", "--git-dir"]).catch(() => undefined))) {
      await rebuild(w, run, "git no longer reads it as a repository");
      return;
    }
    repairs.push(...(await repairLeftovers(w, run)));
  } else {
    if (entries.some((e) => e !== BUILD_DIR)) throw conflict(w, "it is not empty and holds no Git clone");
    if (entries.includes(BUILD_DIR)) {
      await rm(join(w.root, BUILD_DIR), { recursive: true, force: true });
      repairs.push("removed the clone a killed run had started building");
    }
    await build(w, run);
  }
  await keepMaintenanceInProcess(run);
  if (repairs.length > 0) w.log?.warn({ workdir: w.root }, `repaired the working clone: ${repairs.join("; ")}`);
}

/**
 * Start over: everything in the folder goes, the folder stays (it may be a
 * mount point). Only for a clone already recognised as ours; commits it held
 * that the remote lacks are lost with it, and their certificates issued again.
 */
export async function rebuild(w: Workdir, run: GitRunner, why: string): Promise<void> {
  const unpushed = await run.probe("rebuild", ["rev-list", "--count", `refs/remotes/origin/${w.branch}..refs/heads/${w.branch}`]).catch(() => undefined);
  for (const entry of await readdir(w.root)) await rm(join(w.root, entry), { recursive: true, force: true });
  await build(w, run);
  await keepMaintenanceInProcess(run);
  const lost = unpushed === undefined ? "; any commits it held that were not pushed are lost" : Number(unpushed) > 0 ? `; ${Number(unpushed)} commit(s) it held that were not pushed are lost` : "";
  w.log?.warn({ workdir: w.root }, `rebuilt the working clone from the remote: ${why}${lost}`);
}

function conflict(w: Workdir, why: string): GitError {
  return new GitError(
    "WorkdirConflict",
    "configuration",
    "open",
    `refusing to use workdir ${w.root} for ${redact(w.url)}: ${why}; point gitcert at an empty or missing folder, or remove this one yourself`,
  );
}

/** remote.origin.url read from the file, so that it answers even when the rest of .git is damaged. */
async function originOf(root: string, run: GitRunner): Promise<string | undefined> {
  const url = await run.probe("open", ["config", "--file", join(root, ".git", "config"), "--get", "remote.origin.url"]).catch(() => undefined);
  return url?.trim() || undefined;
}

/**
 * A repository with nothing in it: no refs, no objects, no other remote, no
 * files beside .git. What an older gitcert left when killed between `git
 * init` and adding the remote; completing it can cost nobody anything.
 */
async function abandonedInit(root: string, entries: string[], run: GitRunner): Promise<boolean> {
  if (entries.length !== 1) return false;
  try {
    const refs = await run.git("open", ["for-each-ref", "--count=1"]);
    const remotes = await run.git("open", ["remote"]);
    const objects = await run.git("open", ["count-objects", "-v"]);
    return !refs.trim() && !remotes.trim() && /^count: 0$/m.test(objects) && /^in-pack: 0$/m.test(objects);
  } catch {
    return false;
  }
}

/** `git init` and the remote in a folder of gitcert's own, then one rename makes it the clone. */
async function build(w: Workdir, run: GitRunner): Promise<void> {
  const aside = join(w.root, BUILD_DIR);
  await mkdir(aside);
  await run.git("init", ["init", `--initial-branch=${w.branch}`, "--", aside]);
  await run.git("init", [`--git-dir=${join(aside, ".git")}`, "remote", "add", "origin", "--", w.url]);
  await testPoint("clone-assembled");
  await rename(join(aside, ".git"), join(w.root, ".git"));
  await rm(aside, { recursive: true, force: true });
}

// `git gc --auto` (which fetch and commit may start) detaches by default and
// would outlive a killed run holding its locks; in the foreground it dies
// with gitcert, so a lock found at the next start is always stale.
async function keepMaintenanceInProcess(run: GitRunner): Promise<void> {
  const current = await run.probe("open", ["config", "--local", "--get", "gc.autoDetach"]);
  if (current?.trim() !== "false") await run.git("open", ["config", "--local", "gc.autoDetach", "false"]);
}

/** Clean what a killed git leaves behind; returns what was repaired, in words. */
async function repairLeftovers(w: Workdir, run: GitRunner): Promise<string[]> {
  const dotGit = join(w.root, ".git");
  const repairs: string[] = [];
  const locks: string[] = [];
  const temps: string[] = [];
  // Nothing else works in this clone (one gitcert per workdir, git's own
  // maintenance kept in the foreground): every lock here is stale.
  for (const entry of await readdir(dotGit, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dotGit, join(entry.parentPath, entry.name)).split(sep).join("/");
    if (entry.name.endsWith(".lock")) locks.push(path);
    else if (/^objects\/([0-9a-f]{2}\/tmp_obj_|pack\/tmp_)/.test(path)) temps.push(path);
  }
  await Promise.all([...locks, ...temps].map((p) => rm(join(dotGit, p), { force: true })));
  if (locks.length > 0) repairs.push(`removed stale lock file(s) ${listed(locks)}`);
  if (temps.length > 0) repairs.push(`removed ${temps.length} partly written object file(s)`);

  const states: string[] = [];
  for (const name of OPERATION_STATE) {
    if (await exists(join(dotGit, name))) {
      states.push(name);
      await rm(join(dotGit, name), { recursive: true, force: true });
    }
  }
  if (states.length > 0) repairs.push(`dropped an interrupted ${describeOperation(states)} (${listed(states)})`);

  const head = (await readFile(join(dotGit, "HEAD"), "utf8").catch(() => "")).trim();
  if (!head.startsWith("ref: ")) {
    await run.git("open", ["symbolic-ref", "HEAD", `refs/heads/${w.branch}`]);
    repairs.push(`re-attached the detached HEAD to ${w.branch}`);
  }

  const untracked = (await run.probe("open", ["ls-files", "-z", "--others"]).catch(() => undefined)) ?? "";
  const halfWritten = untracked.split("\0").filter((p) => HALF_WRITTEN.test(p));
  if (halfWritten.length > 0) repairs.push(`discarding ${halfWritten.length} half-written file(s) (${listed(halfWritten)})`);
  return repairs;
}

function describeOperation(states: string[]): string {
  if (states.some((s) => s.startsWith("rebase"))) return "rebase";
  if (states.includes("MERGE_HEAD")) return "merge";
  if (states.includes("CHERRY_PICK_HEAD")) return "cherry-pick";
  if (states.includes("REVERT_HEAD")) return "revert";
  return "operation";
}

function listed(items: string[], max = 5): string {
  return items.slice(0, max).join(", ") + (items.length > max ? `, … (${items.length} in all)` : "");
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
