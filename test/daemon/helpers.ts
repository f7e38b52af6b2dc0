// A `gitcert serve` daemon in the test process, against the demo's real
// bare Git remote, with a clock the test moves. Its schedule never fires on
// its own (1 January only): ticks are asked for, as node-cron would.
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { loadConfig, type Config } from "../../src/config.ts";
import { ROUTES, startDaemon, type Daemon } from "../../src/daemon/daemon.ts";
import { daemonReconcile, remoteFailure } from "../../src/daemon/tick.ts";
import { prepareDemo } from "../../src/demo.ts";
import { defaultIssuers, type IssuerRegistry } from "../../src/issuers/index.ts";
import { createLogger } from "../../src/log.ts";
import { ParseCache } from "../../src/manifests/index.ts";
import { GitcertMetrics } from "../../src/metrics/index.ts";
import { openWorkspace, type Workspace } from "../../src/repo/index.ts";
import { git, tempDir } from "../helpers.ts";

export const WEBHOOK_SECRET = "webhook-secret-for-tests";
export const API_TOKEN = "api-token-for-tests";

export interface Served {
  daemon: Daemon;
  url: string;
  clock: { now: Date };
  parseCache: ParseCache;
  remote: string;
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
  const parseCache = new ParseCache();
  const log = createLogger("error");
  const daemon = await startDaemon({
    reconcile: daemonReconcile({ workspace, config, issuers, identities, log, now: () => clock.now, parseCache }),
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
    parseCache,
    remote,
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
