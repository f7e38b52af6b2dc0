// `gitcert serve` put together: the reconcile loop, its node-cron schedule,
// the HTTP listeners, metrics, and a stop that takes no new work, lets the
// reconcile in flight finish within the grace period (or abandons it, its
// signal aborted so orders and challenges are cleaned up), then closes the
// listeners. The reconcile itself is passed in: this file knows when to run
// one, not how.
import type { CertificateMetric, GitcertMetrics, IssuerMetric, ReconcileRecord } from "../metrics/index.ts";
import { startServers, type Endpoint, type Route, type ServerDeps, type TriggerAnswer, type TriggerReply, type TriggerRequest } from "../server/index.ts";
import { liveness, readiness } from "./health.ts";
import { handedTriggers, type HandOffs, type Leadership } from "./leadership.ts";
import { ReconcileLoop, type RunContext, type RunRequest, type Settled } from "./loop.ts";
import { startSchedule, type Schedule } from "./schedule.ts";
import { secretFrom, type SecretSource } from "./secret-source.ts";

/** What one reconcile tells the daemon. */
export interface TickReport {
  record: Omit<ReconcileRecord, "trigger" | "seconds">;
  certificates: readonly CertificateMetric[];
  issuers: readonly IssuerMetric[];
  /** The answer to an API caller (`gitcert renew` prints it). */
  summary: unknown;
  /** Certificates a renew request named that the repository does not hold. */
  unknown?: readonly string[];
}

export interface DaemonLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface DaemonOptions {
  reconcile(request: RunRequest, context: RunContext): Promise<TickReport>;
  /** A failed reconcile: did it fail to reach the Git remote (readiness)? */
  remoteUnreachable(error: unknown): string | undefined;
  schedule: string;
  timezone?: string;
  endpoints: readonly Endpoint[];
  branch: string;
  secrets: { webhook: SecretSource; api: SecretSource };
  maxBodyBytes: number;
  stuckAfterMs: number;
  metrics: GitcertMetrics;
  log: DaemonLog;
  leadership?: Leadership;
  /** The HTTP-01 answers, when they are served on these listeners. */
  acme?: ServerDeps["acme"];
  now?: () => Date;
}

export interface Daemon {
  /** Listening addresses, in the order of `endpoints`. */
  addresses: Array<{ address: string; port: number }>;
  loop: ReconcileLoop<TickReport>;
  /** Resolves when the first reconcile (the one at start) has ended. */
  started: Promise<Settled<TickReport>>;
  stop(graceMs: number): Promise<{ abandoned: boolean }>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { log, metrics } = options;
  const now = options.now ?? (() => new Date());
  let remote: { reachable: boolean; detail?: string } | undefined;

  const loop = new ReconcileLoop<TickReport>({
    gate: options.leadership?.gate,
    run: (request, context) => options.reconcile(request, context),
    settled: (request, outcome, seconds) => {
      const trigger = request.triggers[0] ?? "schedule";
      if (outcome.status === "done") {
        remote = { reachable: true };
        const { record, certificates, issuers } = outcome.result;
        metrics.reconciled({ ...record, trigger, seconds }, now());
        metrics.setInventory(certificates, issuers);
        log.info({ triggers: request.triggers, durationMs: Math.round(seconds * 1000), commits: record.commitsPushed, actions: record.actions }, "reconcile finished");
      } else if (outcome.status === "failed") {
        const unreachable = options.remoteUnreachable(outcome.error);
        remote = unreachable === undefined ? { reachable: true } : { reachable: false, detail: unreachable };
        metrics.reconciled({ trigger, seconds, ok: false, commitsPushed: 0, pushRetries: 0, actions: {}, failures: [] }, now());
        log.error({ triggers: request.triggers, durationMs: Math.round(seconds * 1000), err: errorText(outcome.error) }, "reconcile failed");
      }
    },
  });

  const runHere = (request: TriggerRequest): TriggerAnswer => {
    const settled = loop.request(request.trigger, renewSet(request.forceRenew));
    if (!settled) return { accepted: false, status: 503, reason: "gitcert is shutting down" };
    return { accepted: true, done: settled.then((outcome) => reply(outcome, request)) };
  };
  const handOffs = options.leadership?.handOffs;
  const trigger = (request: TriggerRequest): TriggerAnswer => {
    if (loop.status().stopping) return { accepted: false, status: 503, reason: "gitcert is shutting down" };
    // A standby would only run it once it leads (hours later, maybe): the leader runs it now.
    if (!handOffs || options.leadership!.leading()) return runHere(request);
    return { accepted: true, elsewhere: handOff(handOffs, request, log, () => runHere(request)) };
  };
  // What standbys handed over, once this replica leads; joins a queued run like any trigger.
  handOffs?.receive((request) => {
    for (const t of handedTriggers(request)) void loop.request(t, renewSet(request.forceRenew));
  });

  const servers = await startServers(options.endpoints, {
    health: () => liveness(loop.status(), performance.now(), options.stuckAfterMs),
    ready: () => readiness({ status: loop.status(), now: performance.now(), remote, leading: options.leadership?.leading() }),
    metrics: {
      contentType: metrics.contentType,
      webhook: (forge, result) => metrics.webhook(forge, result),
      text: () => {
        // A leader that lost the Lease runs on as a standby (src/kube): what it last reconciled is the new leader's to report.
        if (options.leadership && !options.leadership.leading()) metrics.forgetInventory();
        return metrics.text();
      },
    },
    trigger,
    webhookSecret: () => secretFrom(options.secrets.webhook),
    apiToken: () => secretFrom(options.secrets.api),
    branch: options.branch,
    maxBodyBytes: options.maxBodyBytes,
    acme: options.acme,
    log,
  });

  let schedule: Schedule;
  try {
    schedule = startSchedule(options.schedule, () => void loop.request("schedule"), { timezone: options.timezone, log });
  } catch (err) {
    await servers.close();
    throw err;
  }
  const started = loop.request("start")!;
  log.info(
    { listeners: servers.addresses.map((a, i) => `${a.address}:${a.port} (${[...options.endpoints[i]!.routes].join(", ")})`), schedule: options.schedule, next: schedule.next()?.toISOString() },
    "gitcert serve: reconciling now, then on schedule, on push webhooks and on request",
  );

  return {
    addresses: servers.addresses.map((a) => ({ address: a.address, port: a.port })),
    loop,
    started,
    stop: async (graceMs) => {
      await schedule.stop();
      // Requests standbys hand over from now on wait on the Lease for the next leader.
      handOffs?.receive(undefined);
      const stopped = await loop.stop(graceMs);
      if (stopped.abandoned) log.warn({ graceMs }, "the reconcile in flight did not finish within the grace period; it was abandoned and its challenges cleaned up");
      await servers.close();
      return stopped;
    },
  };
}

function renewSet(forceRenew: TriggerRequest["forceRenew"]): ReadonlySet<string> | "all" | undefined {
  return forceRenew === undefined ? undefined : forceRenew === "all" ? "all" : new Set(forceRenew);
}

/**
 * Passes a trigger to the leader through the Lease and answers the caller
 * 202 at once: the result is the leader's, and cannot be awaited here. When
 * the Lease cannot be written, the trigger is kept here as before the
 * hand-off existed (run when this replica leads; a push is also seen by the
 * leader's next scheduled reconcile).
 */
async function handOff(handOffs: HandOffs, request: TriggerRequest, log: DaemonLog, runHere: () => TriggerAnswer): Promise<TriggerReply> {
  try {
    const { leader } = await handOffs.send({ triggers: [request.trigger], ...(request.forceRenew ? { forceRenew: request.forceRenew } : {}) });
    log.info({ trigger: request.trigger, leader: leader || undefined }, "standby: handed the request to the leader through the Lease");
    const to = leader ? `the leader, ${leader}` : "the next leader (none holds the Lease now)";
    return {
      status: 202,
      body: {
        handedOff: true,
        leader,
        message: `this replica is a standby: it handed the request to ${to}, which runs it within seconds; its result cannot be awaited here (wait=true and renew answers come only from the leader): see the leader's logs or the Certificates' status`,
      },
    };
  } catch (err) {
    log.warn({ trigger: request.trigger, err: errorText(err) }, "standby: could not hand the request to the leader; keeping it for when this replica leads");
    const answer = runHere();
    if (!answer.accepted) return { status: answer.status, body: { error: answer.reason } };
    if ("elsewhere" in answer) return answer.elsewhere;
    answer.done.catch(() => undefined);
    return { status: 202, body: { queued: true, message: `this replica is a standby and could not hand the request to the leader (${errorText(err)}); it runs it when it leads` } };
  }
}

function reply(outcome: Settled<TickReport>, request: TriggerRequest): TriggerReply {
  switch (outcome.status) {
    case "done": {
      const unknown = outcome.result.unknown ?? [];
      if (request.trigger === "renew" && unknown.length > 0) {
        return { status: 404, body: { error: `no such Certificate: ${unknown.join(", ")}`, result: outcome.result.summary } };
      }
      return { status: 200, body: outcome.result.summary };
    }
    case "failed":
      return { status: 500, body: { error: errorText(outcome.error) } };
    case "cancelled":
      return { status: 503, body: { error: outcome.reason } };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const ROUTES = {
  hooks: new Set<Route>(["webhook", "api", "acme"]),
  probes: new Set<Route>(["health", "metrics"]),
  all: new Set<Route>(["health", "metrics", "webhook", "api", "acme"]),
};
