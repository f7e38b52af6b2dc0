// A `gitcert serve` daemon in the test process, against the demo's real
// bare Git remote, with a clock the test moves. Its schedule never fires on
// its own (1 January only): ticks are asked for, as node-cron would.
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { loadConfig, type Config } from "../../src/config.ts";
import { ROUTES, startDaemon, type Daemon } from "../../src/daemon/daemon.ts";
import { RepositorySnapshot } from "../../src/daemon/snapshot.ts";
import { daemonReconcile, remoteFailure } from "../../src/daemon/tick.ts";
import { prepareDemo } from "../../src/demo.ts";
import { defaultIssuers, type IssuerRegistry } from "../../src/issuers/index.ts";
import { createLogger } from "../../src/log.ts";
import { GitcertMetrics } from "../../src/metrics/index.ts";
import { openWorkspace, type Workspace } from "../../src/repo/index.ts";
import { git, tempDir } from "../helpers.ts";

const BIN = join(import.meta.dirname, "../../bin/gitcert.js");

export const WEBHOOK_SECRET = "webhook-secret-for-tests";
export const API_TOKEN = "api-token-for-tests";

export interface Served {
  daemon: Daemon;
  url: string;
  clock: { now: Date };
  /** What the daemon keeps of the repository between ticks. */
  repository: RepositorySnapshot;
  remote: string;
  /** The daemon's own clone. */
  workdir: string;
  /** Fresh clone of the remote. */
  checkout(): string;
  /** A commit by someone else, pushed to the remote. */
  pushOther(edit: (clone: string) => void, message: string): void;
  /** Asks for one reconcile as the schedule would, and waits for it. */
  tick(): Promise<import("../../src/daemon/loop.ts").Settled<import("../../src/daemon/daemon.ts").TickReport>>;
  scrape(): Promise<Map<string, ReturnType<typeof parsePrometheusTextFormat>[number]>>;
  remoteHead(): string;
}

export interface ServeOptions {
  /** A demo remote already there (a second daemon on the same repository). */
  remote?: string;
  identities?: string[];
  now?: Date;
  config?: Partial<Config>;
  /** Wraps the real workspace (a test reaches in between gitcert's fetch and its push). */
  workspace?: (workspace: Workspace) => Workspace;
  /** The issuers, built with the daemon's metrics (ACME requests are counted there). */
  issuers?: (metrics: GitcertMetrics) => IssuerRegistry;
}

export async function serveDemo(t: TestContext, options: ServeOptions = {}): Promise<Served & { identities: string[] }> {
  const dir = tempDir(t);
  const demo = options.remote ? undefined : await prepareDemo(join(dir, "demo"));
  const remote = options.remote ?? demo!.remote;
  const identities = options.identities ?? demo?.identities ?? [];
  const config: Config = { ...loadConfig({}).config, logLevel: "error", ...options.config };
  const opened = await openWorkspace({ url: remote, branch: "main", workdir: join(dir, "work"), author: { name: "gitcert", email: "gitcert@test.invalid" } });
  const workspace = options.workspace?.(opened) ?? opened;
  const clock = { now: options.now ?? new Date() };
  const metrics = new GitcertMetrics({ processMetrics: false, now: () => clock.now });
  const issuers = options.issuers?.(metrics) ?? defaultIssuers();
  t.after(() => Promise.all([...issuers.values()].map((i) => i.close?.())));
  const repository = new RepositorySnapshot(opened.objects, opened.root);
  const log = createLogger("error");
  const daemon = await startDaemon({
    reconcile: daemonReconcile({ workspace, config, issuers, identities, log, now: () => clock.now, repository }),
    remoteUnreachable: remoteFailure,
    schedule: "0 0 1 1 *",
    endpoints: [{ address: "127.0.0.1", port: 0, routes: ROUTES.all }],
    branch: "main",
    secrets: { webhook: { value: WEBHOOK_SECRET }, api: { value: API_TOKEN } },
    maxBodyBytes: 1024 * 1024,
    stuckAfterMs: 600_000,
    metrics,
    log,
    now: () => clock.now,
  });
  t.after(() => daemon.stop(10_000));
  const url = `http://127.0.0.1:${daemon.addresses[0]!.port}`;
  const checkout = () => {
    const clone = join(dir, `clone-${Math.random().toString(36).slice(2)}`);
    execFileSync("git", ["clone", "--quiet", remote, clone]);
    return clone;
  };
  return {
    daemon,
    url,
    clock,
    repository,
    remote,
    workdir: opened.root,
    identities,
    checkout,
    pushOther: (edit, message) => {
      const clone = checkout();
      edit(clone);
      git(clone, "add", "--all");
      git(clone, "commit", "--quiet", "-m", message);
      git(clone, "push", "--quiet", "origin", "main");
    },
    tick: () => daemon.loop.request("schedule")!,
    scrape: async () => {
      const res = await fetch(`${url}/metrics`);
      return new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
    },
    remoteHead: () => execFileSync("git", ["--git-dir", remote, "rev-parse", "refs/heads/main"], { encoding: "utf8" }).trim(),
  };
}

/** A GitHub push webhook for `main`, signed. */
export function githubPush(url: string, secret = WEBHOOK_SECRET): Promise<Response> {
  const body = JSON.stringify({ ref: "refs/heads/main", after: "0".repeat(40) });
  return fetch(`${url}/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` },
    body,
  });
}

/** gitcert's plaintext annotation on a Secret file. */
export function annotation(file: string, name: string): string | undefined {
  const match = new RegExp(`${name.replace(/[./]/g, (c) => `\\${c}`)}: "?([^"\\n]+)"?`).exec(readFileSync(file, "utf8"));
  return match?.[1];
}

const WAIT_LIMIT_MS = 120_000;

export interface ServeProcess {
  lines: Array<Record<string, unknown>>;
  waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** The pid of the process started (gitcert's own, unless an older Node handed over to a child). */
  pid: number;
}

/**
 * `gitcert serve` as a child process, `bin` started by `node` (the
 * project's bin and this test's Node unless told); its JSON log lines as
 * they come (waitFor rejects once it has exited without the line).
 * SIGKILLed when the test ends.
 */
export function startServe(t: TestContext, env: Record<string, string>, node = process.execPath, bin = BIN): ServeProcess {
  const child = spawn(node, [bin, "serve"], { env: { PATH: process.env.PATH!, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  let ended = false;
  const gone = () => new Error(`gitcert serve exited before the line awaited; its last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")}`);
  // After the last output: a process that died cannot print what a test waits for.
  child.on("close", () => {
    ended = true;
    for (const w of waiters.splice(0)) w.reject(gone());
  });
  let buffer = "";
  child.stderr.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let nl;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const w of waiters.filter((w) => w.match(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  return {
    lines,
    exited,
    kill: (signal) => child.kill(signal),
    pid: child.pid!,
    waitFor: (match) => {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      if (ended) return Promise.reject(gone());
      return new Promise((resolve, reject) => {
        // A bound so a line that never comes fails the test instead of hanging the run; not a speed check.
        const timer = setTimeout(() => {
          waiters.splice(waiters.findIndex((w) => w.match === match), 1);
          reject(new Error(`no such line from gitcert serve in ${WAIT_LIMIT_MS / 1000} s; its last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")}`));
        }, WAIT_LIMIT_MS);
        const done = <T,>(settle: (value: T) => void) => (value: T) => (clearTimeout(timer), settle(value));
        waiters.push({ match, resolve: done(resolve), reject: done(reject) });
      });
    },
  };
}
