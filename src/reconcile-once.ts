// `gitcert run --once`: one reconcile, with the cluster's help when one is
// configured — it waits to lead (the Lease), lets issuers read the cluster's
// Secrets, stops the moment leadership is lost, and reports status and
// Events afterwards. Without a cluster it is the plain reconcile, and the
// Kubernetes client is never loaded.
import type { Diagnostic } from "./diagnostics.ts";
import { clusterConfigured } from "./kube/configured.ts";
import { ISSUING_ACTIONS } from "./plan/index.ts";
import { reconcileRepository, type Assessment, type ReconcileDeps, type ReconcileReport, type SecretIndexSource } from "./reconcile.ts";
import type { Workspace } from "./repo/index.ts";

export interface OnceResult {
  report: ReconcileReport;
  /** Warnings from reporting to the cluster (unreachable, CRDs missing, a write refused). */
  clusterDiagnostics: Diagnostic[];
}

export async function reconcileOnce(workspace: Workspace, deps: ReconcileDeps, env: NodeJS.ProcessEnv): Promise<OnceResult> {
  if (!clusterConfigured(deps.config, env)) return { report: await reconcileRepository(workspace, deps), clusterDiagnostics: [] };
  const kube = await import("./kube/index.ts");
  const session = await kube.openClusterSession(deps.config, env, deps.log);
  try {
    const leadership = await session?.lead();
    const swept = (await session?.sweepLeftovers()) ?? [];
    for (const d of swept) deps.log.warn(d.message);
    const onAssessed = async (assessment: Assessment) => {
      // Issuing True while certificates are being issued (ACME orders take a while): Argo CD shows Progressing.
      if (session && assessment.items.some((i) => ISSUING_ACTIONS.has(i.action))) await session.reportIssuing(assessment, deps.now());
    };
    const reconciling = reconcileRepository(workspace, { ...deps, readClusterSecret: kube.clusterSecretReader(session), serviceAccountToken: kube.clusterTokenRequester(session), secretIndex: session?.secretIndex, signal: leadership, onAssessed });
    const report = await kube.untilAborted(reconciling, leadership);
    const cluster = await session?.report({ ...report.assessment, failures: report.failures }, report.outcomes, deps.now());
    return { report, clusterDiagnostics: [...swept, ...(cluster?.diagnostics ?? [])] };
  } finally {
    await session?.close();
  }
}

/**
 * For `plan` and `status`: the cluster's Secrets for the Issuer checks, so
 * they block exactly what `run` would. Undefined without a cluster (or when
 * it does not answer); never leader election, never a write.
 */
export async function clusterSecretIndex(config: ReconcileDeps["config"], env: NodeJS.ProcessEnv, log: ReconcileDeps["log"]): Promise<SecretIndexSource | undefined> {
  if (!clusterConfigured(config, env)) return undefined;
  const kube = await import("./kube/index.ts");
  return (await kube.openClusterSession(config, env, log))?.secretIndex;
}
