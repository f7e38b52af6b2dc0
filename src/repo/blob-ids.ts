// Which Git blob each file of the working tree is, in one `git ls-files`:
// the key a long-running gitcert caches parse results under. Only regular
// files whose content on disk is still the blob count; a symlink's blob is
// its target's name, and a file modified since checkout is not its blob.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * `env`: the workspace's git environment (GitObjects.location), which keeps
 * the age identity, gitcert's token and stray GIT_DIR-like variables out of git.
 */
export async function worktreeBlobIds(root: string, env?: Record<string, string>): Promise<Map<string, string>> {
  const options = { cwd: root, env, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" as const };
  const [staged, modified] = await Promise.all([
    run("git", ["ls-files", "--stage", "-z"], options),
    run("git", ["diff-files", "--name-only", "-z"], options),
  ]);
  const changed = new Set(modified.stdout.split("\0"));
  const blobs = new Map<string, string>();
  for (const entry of staged.stdout.split("\0")) {
    // "<mode> <blob> <stage>\t<path>"
    const tab = entry.indexOf("\t");
    if (tab === -1) continue;
    const [mode, blob, stage] = entry.slice(0, tab).split(" ");
    const path = entry.slice(tab + 1);
    if ((mode === "100644" || mode === "100755") && stage === "0" && blob && !changed.has(path)) blobs.set(path, blob);
  }
  return blobs;
}
