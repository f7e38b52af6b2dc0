// Shared test plumbing: temp folders removed after the test, git and sops
// run for real.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { peer } from "./peers/tools.ts";

export function tempDir(t: TestContext, prefix = "gitcert-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd, encoding: "utf8" });
}

/** `sops -d` with the identity in a 0600 file, as a user would run it. */
export function sopsDecrypt(t: TestContext, file: string, identity: string): string {
  const dir = tempDir(t, "gitcert-sops-");
  const keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, identity + "\n", { mode: 0o600 });
  return execFileSync(peer("sops"), ["--decrypt", file], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: keyFile },
  });
}

/** Clones of a bare remote: to look at what was pushed, and to push as someone else would. */
export function remoteClones(dir: string, remote: string) {
  const checkout = (): string => {
    const clone = join(dir, `clone-${Math.random().toString(36).slice(2)}`);
    execFileSync("git", ["clone", "--quiet", remote, clone]);
    return clone;
  };
  const pushOther = (edit: (clone: string) => void, message: string): void => {
    const clone = checkout();
    edit(clone);
    git(clone, "add", "--all");
    git(clone, "commit", "--quiet", "-m", message);
    git(clone, "push", "--quiet", "origin", "main");
  };
  return { checkout, pushOther };
}
