// gitcert's use of a cluster for one run (or, for the daemon, one process):
// connect, check the API server answers, lead through the Lease, lend the
// reconcile the cluster's Secrets, and report the results. An API server
// that cannot be reached is a warning, and the reconcile goes on without the
// cluster: what needs none (Git, SelfSigned/CA, DNS-01) keeps working.
import { VersionApi } from "@kubernetes/client-node";
export { untilAborted } from "../abort.ts";
import type { Config } from "../config.ts";
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { Outcome } from "../execute/index.ts";
import { coexistencePolicy, type ClusterView, type ClusterViewSource } from "../discovery/index.ts";
import type { IssuerEnv, IssuerReadiness, SecretKey } from "../issuers/types.ts";
import type { IssuerResource } from "../manifests/types.ts";
import type { Logger } from "../log.ts";
import type { SecretIndexSource } from "../reconcile.ts";
import { Cluster } from "./client.ts";
import { readClusterView } from "./cluster-view.ts";
import { clusterTarget } from "./connect.ts";
import { EventRecorder } from "./events.ts";
import { instanceOf } from "./instance.ts";
import { defaultIdentity, LeaderElector } from "./leader-election.ts";
import { handOffThroughLease, type HandOffRequest } from "./lease-handoff.ts";
import { reportToCluster, type ClusterReport, type ReconcileResult } from "./report.ts";
import { sweepHttp01Leftovers } from "./http01-sweep.ts";
import { withClusterSecrets } from "./secret-index.ts";
import { ClusterSecrets } from "./secrets.ts";
import { serviceAccountToken } from "./service-account-token.ts";

export interface ClusterSession {
  cluster: Cluster;
  /** Why the cluster is not used this run (unreachable); undefined when it answered. */
  unavailable?: Diagnostic;
  secrets: ClusterSecrets;
  /**
   * Waits for leadership (when leader election is on and the cluster
   * answers) and returns its signal: aborted the moment leadership is lost.
   */
  lead(signal?: AbortSignal): Promise<AbortSignal | undefined>;
  /**
   * Status, Events and derived Certificates for a finished reconcile;
   * `readiness`: the live checks of the issuers in use, for their status.
   */
  report(result: ReconcileResult, outcomes: readonly Outcome[], now: Date, readiness?: ReadonlyMap<IssuerResource, IssuerReadiness>): Promise<ClusterReport>;
  /**
   * What Flux or Argo CD applied that may ask for certificates, and whether
   * cert-manager's controller runs: read once, then kept until
   * forgetView(). Undefined when the cluster could not be reached.
   */
  view: ClusterViewSource;
  /** The next view() reads the cluster again: a long-running gitcert calls it before each reconcile. */
  forgetView(): void;
  /** Issuing True on the Certificates a reconcile is about to issue. */
  reportIssuing(result: ReconcileResult, now: Date): Promise<void>;
  /**
   * Removes what a killed gitcert left of its HTTP-01 challenges (temporary
   * Ingresses, HTTPRoutes, backend Services, paths in edited Ingresses).
   * Call once leading, before issuing: `run --once` does after lead(), the
   * daemon each time it becomes leader. Problems are warnings.
   */
  sweepLeftovers(): Promise<Diagnostic[]>;
  /**
   * Triggers passed between replicas through the Lease: a standby sends one
   * (resolves to the Lease's holder, "" when none), the leader receives what
   * it takes while a listener is set (undefined: a stopping leader leaves
   * requests on the Lease for the next one). Sending rejects when leader
   * election is off or the cluster did not answer (then this replica is the
   * only one that works anyway).
   */
  handOffs: {
    send(request: HandOffRequest): Promise<{ leader: string }>;
    receive(listener: ((request: HandOffRequest) => void) | undefined): void;
  };
  /** Gives up leadership (the Lease is freed for the next candidate). */
  close(): Promise<void>;
  /** The repository's Secret index with the cluster's added (when it answered; else saying it did not). */
  secretIndex: SecretIndexSource;
}

export async function openClusterSession(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<ClusterSession | undefined> {
  const target = clusterTarget({ kubeconfig: config.kubeconfig, context: config.context }, env);
  if (!target) return undefined;
  const cluster = new Cluster(target);
  let unavailable: Diagnostic | undefined;
  try {
    const version = await cluster.call("get the server version", () => target.kubeConfig.makeApiClient(VersionApi).getCode());
    log.info({ cluster: target.origin, server: target.server, version: version.gitVersion }, "cluster connected");
  } catch (err) {
    unavailable = diagnostic("KubeUnreachable", `${(err as Error).message}; going on without the cluster (no status, Events, cluster Secrets or leader election this run)`, {}, "warning");
    log.warn({ cluster: target.origin }, unavailable.message);
  }
  const events = new EventRecorder(cluster, { instance: env.POD_NAME || undefined });
  const instance = instanceOf(config);
  let elector: LeaderElector | undefined;
  let received: ((request: HandOffRequest) => void) | undefined;
  let sending: Promise<unknown> = Promise.resolve();
  const lease = { namespace: config["leaderElection.namespace"] || target.namespace, name: config["leaderElection.leaseName"] };

  const secrets = new ClusterSecrets(cluster);
  const coexistence = coexistencePolicy(config);
  let viewing: Promise<ClusterView | undefined> | undefined;
  const view: ClusterViewSource = () => {
    viewing ??= unavailable
      ? Promise.resolve(undefined)
      : readClusterView(cluster, { discovery: config["discovery.enabled"], leaseNamespace: config["coexistence.leaseNamespace"], now: new Date() }).then(
          (v) => {
            if (v.certManager?.running) log.info({ lease: v.certManager.lease }, `cert-manager's controller is running: its Lease ${v.certManager.evidence}`);
            log.info({ objects: v.objects?.length }, "read the cluster's certificate objects");
            return v;
          },
          (err: unknown) => {
            log.warn({ cluster: target.origin }, `cannot read the cluster's objects: ${(err as Error).message}; going on with Git alone`);
            return { server: target.server, complete: false, diagnostics: [diagnostic("DiscoveryFailed", `cannot read the cluster's objects: ${(err as Error).message}; going on with Git alone`, {}, "warning")] };
          },
        );
    return viewing;
  };
  return {
    view,
    forgetView: () => {
      viewing = undefined;
    },
    cluster,
    unavailable,
    secrets,
    secretIndex: unavailable
      ? async (repository) => ({ secrets: repository.secrets, lookedIn: `the repository (the cluster, ${target.server}, could not be reached)`, ...(repository.makers ? { makers: repository.makers } : {}) })
      : (repository, needed) => withClusterSecrets(repository, needed, secrets, target.origin),
    async lead(signal) {
      if (unavailable || !config["leaderElection.enabled"]) return undefined;
      const { namespace, name } = lease;
      elector = new LeaderElector(
        cluster,
        {
          namespace,
          name,
          identity: defaultIdentity(env),
          leaseDurationSeconds: config["leaderElection.leaseDurationSeconds"],
          renewDeadlineSeconds: config["leaderElection.renewDeadlineSeconds"],
          retryPeriodSeconds: config["leaderElection.retryPeriodSeconds"],
        },
        {
          waiting: (holder) => log.info({ lease: `${namespace}/${name}`, holder }, "another gitcert leads; waiting for the Lease"),
          retrying: (err) => log.warn({ lease: `${namespace}/${name}` }, `cannot take the Lease yet: ${err.message}`),
          leading: () => log.info({ lease: `${namespace}/${name}` }, "leading: this replica reconciles"),
          stopped: (reason) => log.warn({ lease: `${namespace}/${name}` }, `stopped leading: ${reason}`),
          takesRequests: () => received !== undefined,
          requested: (request) => {
            log.info({ lease: `${namespace}/${name}`, triggers: request.triggers, renew: request.forceRenew, since: request.at }, "took a request a standby handed over through the Lease");
            received?.(request);
          },
        },
      );
      return elector.acquire(signal);
    },
    async report(result, outcomes, now, readiness) {
      if (unavailable) return { diagnostics: [unavailable], statusesWritten: 0, eventsRecorded: 0, certificatesCreated: 0, certificatesUpdated: 0, certificatesDeleted: 0 };
      const certManager = (await view())?.certManager;
      const report = await reportToCluster(cluster, result, outcomes, { now, events, instance, coexistence, ...(certManager ? { certManager } : {}), ...(readiness ? { readiness } : {}) });
      const { statusesWritten: statuses, eventsRecorded, certificatesCreated: created, certificatesUpdated: updated, certificatesDeleted: deleted } = report;
      log.info({ statuses, events: eventsRecorded, created, updated, deleted }, "reported to the cluster");
      return report;
    },
    async reportIssuing(result, now) {
      if (unavailable) return;
      const certManager = (await view())?.certManager;
      await reportToCluster(cluster, result, [], { now, events, instance, coexistence, ...(certManager ? { certManager } : {}), stage: "before-issuing" });
    },
    async sweepLeftovers() {
      if (unavailable) return [];
      const swept = await sweepHttp01Leftovers(cluster, instance);
      if (swept.removed.length > 0) log.info({ removed: swept.removed }, "removed what an earlier gitcert left of its HTTP-01 challenges");
      return swept.problems.map((message) => diagnostic("Http01SweepFailed", `sweeping leftover HTTP-01 challenge objects: ${message}`, {}, "warning"));
    },
    handOffs: {
      async send(request) {
        if (unavailable || !config["leaderElection.enabled"]) throw new Error("leader election is not in use: this replica works itself");
        // One write at a time from this replica: a burst of pushes does not race itself on the Lease.
        const sent = sending.then(() => handOffThroughLease(cluster, lease, request));
        sending = sent.catch(() => undefined);
        return { leader: (await sent).holder };
      },
      receive(listener) {
        received = listener;
      },
    },
    async close() {
      await elector?.release();
    },
  };
}

/** The SecretStore's fallback: a Secret issuers need that the repository does not hold. */
export function clusterSecretReader(session: ClusterSession | undefined): ((key: SecretKey) => Promise<Record<string, Buffer> | undefined>) | undefined {
  if (!session || session.unavailable) return undefined;
  return (key) => session.secrets.read(key);
}

/** Service account tokens from the cluster's TokenRequest API, for issuers (Vault's kubernetes auth). */
export function clusterTokenRequester(session: ClusterSession | undefined): IssuerEnv["serviceAccountToken"] {
  if (!session || session.unavailable) return undefined;
  return (request) => serviceAccountToken(session.cluster, request);
}
