// One reconcile as `gitcert serve` runs it: the same pipeline as `run
// --once`, with the repository kept between ticks (snapshot.ts), renew
// requests resolved against the Certificates Git holds, and what happened
// turned into metrics, log lines and the answer an API caller gets.
//
// Most ticks find nothing due. Such a tick learns the remote's head (`git
// ls-remote` on the schedule, then a fetch only when it moved; a fetch at
// once when a push webhook or an API caller announced a change), brings the
// snapshot to it (nothing to do when it did not move; the trees that differ
// and the changed blobs, read through one `git cat-file --batch`, when it
// did), and plans from it with the new time, settling every Certificate as
// a full run would; the checkout is not touched. Only when something is to
// be issued, written or removed does the tick run the whole reconcile: sync
// (fetch, reset, clean, unpushed commits replayed), plan again on the
// checkout, issue, commit, push. The first tick of a process, and every
// tick after one that failed, is a whole one: it pushes what an earlier run
// committed and could not.
//
// This assumes the working clone is gitcert's own (an emptyDir in the pod):
// nothing else writes in it. What gitcert writes ends in a commit, or, when a
// reconcile fails, the next tick makes the checkout exact again.
import type { Config } from "../config.ts";
import { GitcertError } from "../diagnostics.ts";
import type { IssuerRegistry } from "../issuers/index.ts";
import type { Logger } from "../log.ts";
import type { Outcome } from "../execute/index.ts";
import type { IssuerLabels } from "../metrics/index.ts";
import { ISSUING_ACTIONS } from "../plan/index.ts";
import { assess, reconcileQuietTree, reconcileRepository, type ReconcileDeps, type ReconcileReport } from "../reconcile.ts";
import { issuersReadiness } from "../reconcile-once.ts";
import type { WorkingTree, Workspace } from "../repo/index.ts";
import type { TickReport } from "./daemon.ts";
import { certificateInventory, issuerInventory } from "./inventory.ts";
import type { RunContext, RunRequest, Trigger } from "./loop.ts";
import { idleMemoryReducer } from "./idle-memory.ts";
import { RepositorySnapshot } from "./snapshot.ts";

/**
 * Triggers that say the remote most likely moved: a push webhook, or a
 * caller asking for a reconcile now (CI after a push, an operator). Such a
 * tick fetches at once; a scheduled one asks the remote first.
 */
const ANNOUNCING: ReadonlySet<Trigger> = new Set<Trigger>(["webhook", "api"]);

/** The cluster, when one is configured: Secrets for issuers, status and Events afterwards. */
export interface TickCluster {
  session: import("../kube/index.ts").ClusterSession;
  kube: typeof import("../kube/index.ts");
}

export interface TickDeps {
  cluster?: TickCluster;
  workspace: Workspace;
  config: Config;
  issuers: IssuerRegistry;
  identities: readonly string[];
  log: Logger;
  now: () => Date;
  /** Kept between ticks; tests read what each tick had to read. */
  repository?: RepositorySnapshot;
}

export function daemonReconcile(deps: TickDeps): (request: RunRequest, context: RunContext) => Promise<TickReport> {
  const { workspace } = deps;
  const snapshot = deps.repository ?? new RepositorySnapshot(workspace.objects, workspace.root);
  // The checkout as last synced: what the whole reconcile reads and writes.
  const checkedOut = snapshot.at(() => workspace.headCommit());
  let wholeNext = true;
  const quiet = quietTree(snapshot);
  const memory = idleMemoryReducer();
  const tick = async (request: RunRequest, context: RunContext): Promise<TickReport> => {
    const { config, issuers, log, now } = deps;
    snapshot.read = 0;
    const cluster = deps.cluster;
    const session = cluster?.session;
    // What Flux or Argo CD applied, and whether cert-manager runs: read afresh for each tick.
    session?.forgetView();
    let forceRenew: ReadonlySet<string> | undefined;
    let unknown: string[] = [];
    if (request.forceRenew) {
      await workspace.sync();
      const { items } = await assess(workspace.root, config, { now: now(), issuers, repository: checkedOut, ...(session ? { cluster: session.view } : {}) });
      const known = new Set(items.filter((i) => i.certificate && i.action !== "remove").map((i) => `${i.object.namespace}/${i.object.name}`));
      if (request.forceRenew === "all") forceRenew = known;
      else {
        unknown = [...request.forceRenew].filter((name) => !known.has(name));
        forceRenew = new Set([...request.forceRenew].filter((name) => known.has(name)));
      }
      context.progress();
    }
    // Each certificate's line says how long it took: from the start of execution to its outcome.
    let executing = performance.now();
    const tookMs = new Map<Outcome, number>();
    const clusterReads = cluster && session ? { readClusterSecret: cluster.kube.clusterSecretReader(session), serviceAccountToken: cluster.kube.clusterTokenRequester(session) } : {};
    const reconcileDeps: ReconcileDeps = {
      config,
      issuers,
      identities: deps.identities,
      now,
      log,
      forceRenew,
      // Leadership lost or the shutdown's grace period over: no new work, no commit.
      signal: context.signal,
      ...(cluster && session
        ? {
            ...clusterReads,
            secretIndex: session.secretIndex,
            cluster: session.view,
            onAssessed: async (assessment: import("../reconcile.ts").Assessment) => {
              if (assessment.items.some((i) => ISSUING_ACTIONS.has(i.action))) await session.reportIssuing(assessment, now());
            },
          }
        : {}),
      onOutcome: (outcome, done) => {
        if (done === 1) executing = Math.min(executing, performance.now());
        tookMs.set(outcome, Math.round(performance.now() - executing));
        context.progress();
      },
    };
    const announced = request.triggers.some((t) => ANNOUNCING.has(t));
    let report = wholeNext || forceRenew ? undefined : await quietReconcile(workspace, snapshot, quiet, reconcileDeps, announced);
    // The issuers' readiness reads the files the plan was made from: Git's objects after a quiet tick (the checkout may be behind).
    const readFrom = report ? quiet : undefined;
    if (!report) {
      try {
        report = await reconcileRepository(workspace, { ...reconcileDeps, repository: checkedOut });
        wholeNext = false;
      } catch (err) {
        wholeNext = true;
        throw err;
      }
    }
    context.progress();
    if (session) {
      const planned = report.head;
      const kept = readFrom ? snapshot.at(async () => planned) : checkedOut;
      const readiness = session.unavailable ? undefined : await issuersReadiness(workspace.root, report.assessment, deps, clusterReads, readFrom, kept);
      const reported = await session.report({ ...report.assessment, failures: report.failures }, report.outcomes, now(), readiness);
      for (const d of reported.diagnostics) log.warn({ code: d.code }, d.message);
    }
    const { items, diagnostics, scan } = report.assessment;
    const failures: IssuerLabels[] = [];
    const acted = report.outcomes.filter((o) => o.kind !== "unchanged");
    for (const outcome of acted) {
      const issuer = outcome.item.certificate?.spec.issuerRef;
      const fields = {
        certificate: `${outcome.certificate.namespace}/${outcome.certificate.name}`,
        issuer: issuer ? `${issuer.kind}/${issuer.name}` : undefined,
        action: outcome.item.action,
        outcome: outcome.kind,
        reason: outcome.reason,
        durationMs: tookMs.get(outcome),
      };
      if (outcome.kind === "failed") {
        log.warn({ ...fields, code: outcome.diagnostics[0]?.code, atCA: outcome.atCA }, `${outcome.item.action} failed: ${outcome.message}`);
        if (issuer) failures.push({ name: issuer.name, kind: issuer.kind, group: issuer.group });
      } else if (outcome.kind === "blocked") {
        log.debug(fields, `blocked: ${outcome.message}`);
      } else {
        log.info(fields, `${outcome.kind} ${fields.certificate}`);
      }
    }
    const actions: Record<string, number> = {};
    for (const item of items) actions[item.action] = (actions[item.action] ?? 0) + 1;
    const at = now();
    return {
      record: { ok: true, commitsPushed: report.pushed ? (report.commit ? 1 : 0) + report.fromEarlierRuns : 0, pushRetries: Math.max(0, report.attempts - 1), actions, failures },
      certificates: certificateInventory(items, report.outcomes, at),
      issuers: issuerInventory(scan.issuers, diagnostics),
      unknown,
      summary: {
        commit: report.commit,
        pushed: report.pushed,
        parsedFiles: snapshot.read,
        certificates: acted.filter((o) => o.kind !== "blocked" || request.forceRenew).map((o) => ({
          certificate: `${o.certificate.namespace}/${o.certificate.name}`,
          action: o.item.action,
          result: o.kind,
          message: o.message,
        })),
      },
    };
  };
  return async (request, context) => {
    try {
      return await tick(request, context);
    } finally {
      memory.settled();
    }
  };
}

/**
 * The tick that finds nothing to write, planned from the remote's head in
 * Git's objects; undefined when there is something to write (or the
 * repository cannot be planned from objects): the whole reconcile follows.
 */
async function quietReconcile(workspace: Workspace, snapshot: RepositorySnapshot, tree: WorkingTree, deps: ReconcileDeps, announced: boolean): Promise<ReconcileReport | undefined> {
  let head: string | undefined;
  if (!announced) {
    // A scheduled tick most often finds nothing new: `git ls-remote` tells so for less than a fetch that brings nothing
    // (that one also checks, in a process of its own, that what it already has is whole).
    const remote = await workspace.remoteHead();
    if (remote === "") return undefined;
    if (remote === snapshot.commit) head = remote;
  }
  if (head === undefined) {
    // The remote moved, or a push was announced: fetched, and the fetched head planned (the remote may have moved on meanwhile).
    try {
      head = await workspace.fetch();
    } catch (err) {
      // No such branch (any more): the whole reconcile's sync sees to it.
      if (err instanceof GitcertError && err.code === "GitBranchNotFound") return undefined;
      throw err;
    }
  }
  const planned = head;
  // Every read of Git's objects from here on (the commits, the trees that differ, the changed blobs) shares one process.
  return workspace.objects.session(async () => {
    await snapshot.moveTo(planned);
    if (!(await snapshot.faithful())) return undefined;
    const result = await reconcileQuietTree(workspace.root, tree, { ...deps, repository: snapshot.at(async () => planned) });
    return result && { ...result, head: planned, pushed: false, attempts: 1, fromEarlierRuns: 0 };
  });
}

/** The snapshot's files for a reconcile that must not write: a write means it was not quiet after all, and is dropped. */
function quietTree(snapshot: RepositorySnapshot): WorkingTree {
  return { read: snapshot.tree().read, write: async () => undefined, remove: async () => false };
}

/** A reconcile that failed at the Git remote (readiness reports it); undefined for any other failure. */
export function remoteFailure(error: unknown): string | undefined {
  // GitHostUnavailable, GitAuthenticationFailed, GitRemoteNotFound…; a push the remote refused reached it.
  return error instanceof GitcertError && error.code.startsWith("Git") ? error.message : undefined;
}
