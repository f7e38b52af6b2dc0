// `gitcert serve`: the daemon with its real reconcile, listeners from the
// configuration, and the process's signals. SIGTERM or SIGINT stops it as
// the pod's termination asks: no new work, the reconcile in flight given
// serve.gracePeriodSeconds, then exit 0. A second signal exits at once.
import type { Http01Server } from "../acme/http01/index.ts";
import type { Config } from "../config.ts";
import type { IssuerRegistry } from "../issuers/index.ts";
import type { Logger } from "../log.ts";
import { GitcertMetrics } from "../metrics/index.ts";
import type { Workspace } from "../repo/index.ts";
import type { Endpoint } from "../server/index.ts";
import { ROUTES, startDaemon, type Daemon } from "./daemon.ts";
import type { Leadership } from "./leadership.ts";
import { leadershipGate } from "./leadership.ts";
import { daemonReconcile, remoteFailure, type TickCluster } from "./tick.ts";

export interface ServeDeps {
  config: Config;
  env?: NodeJS.ProcessEnv;
  workspace: Workspace;
  issuers: IssuerRegistry;
  identities: readonly string[];
  log: Logger;
  /** Shared with the issuers, which count their ACME requests in it. */
  metrics?: GitcertMetrics;
  leadership?: Leadership;
  /**
   * With a cluster: the HTTP-01 responder the issuers present into, kept
   * listening on every replica, leader or standby, until the process stops.
   */
  http01?: Http01Server;
  /** Tests stop the daemon themselves; by default SIGTERM and SIGINT do. */
  signals?: NodeJS.Signals[];
  /** Called once listening (tests read the ports). */
  onStarted?(daemon: Daemon): void;
}

export function endpointsOf(config: Config): Endpoint[] {
  const hooks = { address: config["serve.address"], port: config["serve.port"] };
  const probes = { address: config["serve.metricsAddress"], port: config["serve.metricsPort"] };
  if (hooks.port === probes.port && hooks.port !== 0) return [{ ...hooks, routes: ROUTES.all }];
  return [
    { ...hooks, routes: ROUTES.hooks },
    { ...probes, routes: ROUTES.probes },
  ];
}

export async function runServe(deps: ServeDeps): Promise<number> {
  const { config, log } = deps;
  // Listening for signals before anything starts: a SIGTERM that arrives
  // during the start is a stop like any other, not the default death.
  const signals = deps.signals ?? ["SIGTERM", "SIGINT"];
  let signalled!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++count > 1) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    signalled(signal);
  };
  for (const s of signals) process.on(s, onSignal);
  const cluster = await openCluster(config, deps.env ?? process.env, log);
  try {
    if (deps.http01) {
      await deps.http01.open();
      log.info({ address: `${config["acme.http01.address"] || "*"}:${deps.http01.port}` }, "answering HTTP-01 on every replica: this one's challenges and, from the cluster, the leader's");
    }
    // With a cluster, only the replica holding the Lease works; losing it aborts the run at once.
    // A standby hands the triggers it receives to the leader through the Lease.
    const leadership = deps.leadership ?? (cluster ? leadershipGate((stop) => leadAndSweep(cluster, stop, log), cluster.session.handOffs) : undefined);
    const metrics = deps.metrics ?? new GitcertMetrics();
    const daemon = await startDaemon({
      reconcile: daemonReconcile({ cluster, workspace: deps.workspace, config, issuers: deps.issuers, identities: deps.identities, log, now: () => new Date() }),
      remoteUnreachable: remoteFailure,
      schedule: config["serve.schedule"],
      timezone: config["serve.timezone"] || undefined,
      endpoints: endpointsOf(config),
      branch: config.branch,
      secrets: {
        webhook: { value: config["webhook.secret"], file: config["webhook.secretFile"] || undefined },
        api: { value: config["serve.token"], file: config["serve.tokenFile"] || undefined },
      },
      maxBodyBytes: config["webhook.maxBodyBytes"],
      stuckAfterMs: config["serve.stuckAfterSeconds"] * 1000,
      metrics,
      log,
      leadership,
    });
    deps.onStarted?.(daemon);
    const signal = await received;
    log.info({ signal, graceSeconds: config["serve.gracePeriodSeconds"] }, "stopping: no new work; the reconcile in flight may finish");
    const { abandoned } = await daemon.stop(config["serve.gracePeriodSeconds"] * 1000);
    log.info({ signal, abandoned }, "gitcert serve stopped");
    return 0;
  } finally {
    await deps.http01?.close();
    await cluster?.session.close(); // frees the Lease for the next replica at once
    for (const s of signals) process.off(s, onSignal);
  }
}

/**
 * Waits for the Lease; once held, removes what a killed leader left of its
 * HTTP-01 challenges before this replica's first reconcile as leader, as
 * `run --once` does at its start.
 */
async function leadAndSweep(cluster: TickCluster, stop: AbortSignal, log: Logger): Promise<AbortSignal> {
  const leadership = (await cluster.session.lead(stop)) ?? new AbortController().signal;
  for (const problem of await cluster.session.sweepLeftovers()) log.warn({ code: problem.code }, problem.message);
  return leadership;
}

async function openCluster(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<TickCluster | undefined> {
  const { clusterConfigured } = await import("../kube/configured.ts");
  if (!clusterConfigured(config, env)) return undefined;
  const kube = await import("../kube/index.ts");
  const session = await kube.openClusterSession(config, env, log);
  return session ? { session, kube } : undefined;
}
