// Commits gitcert made but could not push (a lost race, a killed run) stay
// on the local branch until they reach the remote. When the remote moved on
// meanwhile they are replayed onto its new head, file by file: a file only
// gitcert changed is taken from its commit; a file the remote changed too is
// left as the remote has it, and the reconcile that follows re-plans what it
// concerns (a Certificate edited there is issued again, a kustomization.yaml
// gets its entries back). Git's own rebase would stop on such a file and
// wait for a human; this never does.
import type { GitRunner } from "./workdir.ts";

export interface Replayed {
  /** Commits made on the new head (a commit whose every file the remote also changed is dropped). */
  commits: number;
  /** Files left as the remote has them because it changed them too. */
  superseded: string[];
}

/**
 * Replay `commits` (oldest first) onto the checked-out new head `head`;
 * `base` is where they forked from it (undefined: unrelated histories).
 * Runs on a detached HEAD: until the caller moves the branch, a killed run
 * leaves the commits where they were.
 */
export async function replayCommits(run: GitRunner, commits: readonly string[], base: string | undefined, head: string): Promise<Replayed> {
  const theirs = new Set(split(base ? await run.git("sync", ["diff", "--name-only", "-z", "--no-renames", base, head]) : await run.git("sync", ["ls-tree", "-r", "-z", "--name-only", head])));
  const superseded = new Set<string>();
  let made = 0;
  for (const commit of commits) {
    const changed = parseNameStatus(await run.git("sync", ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", "--name-status", "--root", commit]));
    const take: string[] = [];
    const drop: string[] = [];
    for (const { status, path } of changed) {
      if (theirs.has(path)) superseded.add(path);
      else (status === "D" ? drop : take).push(path);
    }
    if (take.length > 0) await run.git("sync", ["--literal-pathspecs", "checkout", commit, "--", ...take]);
    if (drop.length > 0) await run.git("sync", ["--literal-pathspecs", "rm", "--quiet", "--ignore-unmatch", "--", ...drop]);
    // Exit 1 without output: there are staged changes to commit.
    if ((await run.probe("sync", ["diff", "--cached", "--quiet"])) !== undefined) continue;
    await run.git("sync", ["commit", "--no-verify", "--no-gpg-sign", `--reuse-message=${commit}`]);
    made++;
  }
  return { commits: made, superseded: [...superseded].sort() };
}

function split(z: string): string[] {
  return z.split("\0").filter(Boolean);
}

/** `git diff-tree -z --name-status`: status and path alternate. */
function parseNameStatus(z: string): Array<{ status: string; path: string }> {
  const fields = split(z);
  const out: Array<{ status: string; path: string }> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push({ status: fields[i]!.charAt(0), path: fields[i + 1]! });
  return out;
}
