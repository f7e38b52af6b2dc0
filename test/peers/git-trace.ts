// The real git, behind a `git` on PATH that first notes the command it
// was asked to run (with its process id: the script execs git, which keeps
// the id): to count the git processes gitcert starts, and to see whether
// one is still running.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { tempDir } from "../helpers.ts";

export interface GitCommand {
  pid: number;
  /** The arguments, joined by spaces. */
  args: string;
}

export interface TracedGit {
  /** Put first on PATH. */
  bin: string;
  /** The environment that routes git through the trace: PATH plus where it writes. */
  env: Record<string, string>;
  /** Every command noted so far, oldest first. */
  commands(): GitCommand[];
}

export function tracedGit(t: TestContext): TracedGit {
  const dir = tempDir(t, "gitcert-git-trace-");
  const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const bin = join(dir, "bin");
  const log = join(dir, "commands.log");
  execFileSync("mkdir", [bin]);
  // One record a command, NUL-terminated: arguments may hold line breaks.
  writeFileSync(join(bin, "git"), `#!/bin/sh\nprintf '%s %s\\0' "$$" "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, "git"), 0o755);
  return {
    bin,
    env: { PATH: `${bin}:${process.env.PATH ?? ""}` },
    commands: () =>
      existsSync(log)
        ? readFileSync(log, "utf8")
            .split("\0")
            .filter(Boolean)
            .map((record) => {
              const space = record.indexOf(" ");
              return { pid: Number(record.slice(0, space)), args: record.slice(space + 1) };
            })
        : [],
  };
}

/** Whether a process of this id still runs (or is a zombie nobody reaped). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
