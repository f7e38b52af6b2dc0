// A local bare Git remote, and a colleague who pushes to it: the Git peer of
// the workspace, push-retry and kill tests.
import { execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Plain git for the other side of the test: a colleague pushing, or the remote's own view. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Colleague",
      GIT_AUTHOR_EMAIL: "colleague@example.test",
      GIT_COMMITTER_NAME: "Colleague",
      GIT_COMMITTER_EMAIL: "colleague@example.test",
      GIT_TERMINAL_PROMPT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

export function initBare(path: string): string {
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", path]);
  return path;
}

/** Write `files` into a clone, commit them as the colleague and push. */
export async function commitFiles(clone: string, files: Record<string, string>, message: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(clone, path, ".."), { recursive: true });
    await writeFile(join(clone, path), content);
  }
  git(clone, "add", "--all");
  git(clone, "commit", "--quiet", "-m", message);
}

/** A bare remote with a first commit on main holding `files`. */
export async function seededRemote(base: string, name: string, files: Record<string, string>): Promise<string> {
  const bare = initBare(join(base, `${name}.git`));
  const seed = join(base, `${name}-seed`);
  git(base, "clone", "--quiet", bare, seed);
  await commitFiles(seed, files, "seed");
  git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");
  return bare;
}

/** The colleague clones `bare`, commits `files` and pushes. */
export async function pushFromColleague(bare: string, clone: string, files: Record<string, string>, message: string): Promise<void> {
  git(join(clone, ".."), "clone", "--quiet", bare, clone);
  await commitFiles(clone, files, message);
  git(clone, "push", "--quiet", "origin", "main");
}

export function remoteHead(bare: string, branch = "main"): string {
  return git(bare, "rev-parse", `refs/heads/${branch}`);
}

export function remoteFiles(bare: string): string[] {
  return git(bare, "ls-tree", "-r", "--name-only", "main").split("\n").filter(Boolean).sort();
}

/** Install `body` (sh) as the remote's pre-receive hook. */
export async function preReceiveHook(bare: string, body: string): Promise<void> {
  const hook = join(bare, "hooks", "pre-receive");
  await writeFile(hook, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

export interface BusyRemote {
  /** From now on pushes go through again. */
  stop(): Promise<void>;
  /** Commits the colleague has pushed so far. */
  foreignCommits(): number;
}

/**
 * A remote that someone else keeps pushing to: while it is busy, every push
 * that is not the colleague's own loses the race, because the colleague's
 * commit lands while that push is being received (git then refuses to move
 * the branch: "cannot lock ref … is at X but expected Y"). Real pushes, real
 * rejections; only the timing is made certain. `alsoEdit`: a file each of
 * the colleague's commits appends a comment line to, as well.
 */
export async function busyRemote(bare: string, colleagueClone: string, options: { alsoEdit?: string } = {}): Promise<BusyRemote> {
  git(join(colleagueClone, ".."), "clone", "--quiet", bare, colleagueClone);
  const flag = join(bare, "gitcert-test-busy");
  await writeFile(flag, "");
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await preReceiveHook(
    bare,
    `while read old new ref; do last=$new; done
[ -f ${q(flag)} ] || exit 0
# The colleague's own push goes through.
[ "$(git log -1 --format=%ae "$last")" = colleague@example.test ] && exit 0
cd ${q(colleagueClone)} || exit 0
# Outside this push's environment (its GIT_DIR, its quarantine).
env -i PATH="$PATH" HOME="$HOME" GIT_AUTHOR_NAME=Colleague GIT_AUTHOR_EMAIL=colleague@example.test GIT_COMMITTER_NAME=Colleague GIT_COMMITTER_EMAIL=colleague@example.test ALSO_EDIT=${q(options.alsoEdit ?? "")} \\
  sh -c 'git pull --quiet --rebase && date +%s%N > colleague.txt && { [ -z "$ALSO_EDIT" ] || echo "# colleague was here" >> "$ALSO_EDIT"; } && git add --all && git commit --quiet -m "foreign change" && git push --quiet origin main' >&2
exit 0`,
  );
  return {
    stop: () => rm(flag, { force: true }),
    foreignCommits: () => Number(git(bare, "rev-list", "--count", "--grep=^foreign change$", "main")),
  };
}
