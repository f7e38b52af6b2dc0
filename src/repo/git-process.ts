// One git process, run directly: its standard output, or a GitExit with what
// it printed. A command that prints nothing for `idleTimeoutMs` is stopped
// (a remote that hangs mid-transfer), with a message git-errors.ts reads as
// the host being unavailable. Standard input is closed: git never waits for
// an answer nobody will type.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

/** After the interrupt of a stalled git, how long it has to exit before it is killed. */
const KILL_AFTER_MS = 5000;

/** How long a git command may print nothing before it is stopped, unless the workspace says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/** A git command that exited non-zero, with what it printed. */
export class GitExit extends Error {
  readonly exitCode: number;
  readonly output: string;

  constructor(exitCode: number, output: string) {
    super(output || `git exited with code ${exitCode}`);
    this.exitCode = exitCode;
    this.output = output;
  }
}

export interface GitProcessOptions {
  cwd: string;
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
  idleTimeoutMs: number;
}

export function runGit(args: readonly string[], options: GitProcessOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const wait = () => {
      clearTimeout(timer);
      if (settled) return;
      timer = setTimeout(() => {
        // Answered now, not when every pipe closes: a process git started may ignore the signal and keep them open.
        settled = true;
        reject(new Error(`git ${args[0]}: block timeout reached (no output for ${options.idleTimeoutMs} ms)`));
        child.kill("SIGINT");
        setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"), KILL_AFTER_MS).unref();
      }, options.idleTimeoutMs);
    };
    wait();
    child.stdout.on("data", (chunk: Buffer) => (stdout.push(chunk), wait()));
    child.stderr.on("data", (chunk: Buffer) => (stderr.push(chunk), wait()));
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      // spawn says ENOENT for a missing folder as for a missing git: say which.
      if (err.code === "ENOENT" && !existsSync(options.cwd)) reject(new Error(`git ${args[0]}: the working folder ${options.cwd} does not exist`));
      else if (err.code === "ENOENT") reject(new Error(`git ${args[0]}: git is not installed (no git on PATH)`));
      else reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      const out = Buffer.concat(stdout).toString("utf8");
      if (code === 0) return resolve(out);
      const printed = `${Buffer.concat(stderr).toString("utf8")}${out}`.trim();
      reject(new GitExit(code ?? 128, printed || (signal ? `git ${args[0]} was stopped by ${signal}` : "")));
    });
  });
}
