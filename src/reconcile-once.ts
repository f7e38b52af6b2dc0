// `gitcert run --once`: one reconcile, with the cluster's help when one is
// configured — it waits to lead (the Lease), lets issuers read the cluster's
// Secrets, stops the moment leadership is lost, and reports status and
// Events afterwards. Without a cluster it is the plain reconcile, and the
// Kubernetes client is never loaded.
import type { Diagnostic } from "./diagnostics.ts";
import { LEFT_TO_CERT_MANAGER } from "./discovery/coexistence.ts";
import type { ClusterViewSource } from "./discovery/types.ts";
import type { IssuerReadiness } from "./issuers/types.ts";
import type { IssuerResource } from "./manifests/types.ts";
import { clusterConfigured } from "./kube/configured.ts";
import { ISSUING_ACTIONS } from "./plan/index.ts";
import { reconcileRepository, type Assessment, type KeptRepository, type ReconcileDeps, type ReconcileReport, type SecretIndexSource } from "./reconcile.ts";
import type { WorkingTree, Workspace } from "./repo/index.ts";

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
    const readClusterSecret = kube.clusterSecretReader(session);
    const serviceAccountToken = kube.clusterTokenRequester(session);
    const reconciling = reconcileRepository(workspace, { ...deps, readClusterSecret, serviceAccountToken, secretIndex: session?.secretIndex, cluster: session?.view, signal: leadership, onAssessed });
    const report = await kube.untilAborted(reconciling, leadership);
    const readiness = session && !session.unavailable ? await issuersReadiness(workspace.root, report.assessment, deps, { readClusterSecret, serviceAccountToken }) : undefined;
    const cluster = await session?.report({ ...report.assessment, failures: report.failures }, report.outcomes, deps.now(), readiness);
    return { report, clusterDiagnostics: [...swept, ...(cluster?.diagnostics ?? [])] };
  } finally {
    await session?.close();
  }
}

/**
 * The live check of every issuer this run used (not those blocked by what
 * resolve found, nor those left to cert-manager), for Issuer status:
 * reading the Secrets issuance reads, bounded in time, each issuer once.
 */
export async function issuersReadiness(
  root: string,
  assessment: Assessment,
  deps: Pick<ReconcileDeps, "config" | "identities" | "issuers" | "now">,
  cluster: Pick<ReconcileDeps, "readClusterSecret" | "serviceAccountToken">,
  /** Where the assessment's files are (the daemon's quiet tick reads Git's objects); the working tree at `root` by default. */
  tree?: WorkingTree,
  /** A long-running gitcert's repository at the assessment's commit: an issuer's Secret file is opened once per content, not on every tick. */
  kept?: KeptRepository,
): Promise<Map<IssuerResource, IssuerReadiness>> {
  const { liveReadiness, readOnlyEnv } = await import("./issuers/index.ts");
  const { SecretStore } = await import("./execute/index.ts");
  const { workingTree } = await import("./repo/index.ts");
  const inUse = assessment.items.flatMap((i) => (i.issuer && i.reason !== LEFT_TO_CERT_MANAGER && !assessment.issuerProblems.has(i.issuer) ? [i.issuer] : []));
  const store = new SecretStore(tree ?? workingTree(root), assessment.scan.secrets, deps.identities, cluster.readClusterSecret);
  const files = new Map(assessment.scan.secrets.map((s) => [`${s.namespace}/${s.name}`, s.source.file]));
  const env = readOnlyEnv({
    readSecret: (key) => {
      const file = kept && files.get(`${key.namespace}/${key.name}`);
      return file ? kept.byContent(file, `issuer secret ${key.namespace}/${key.name}`, () => store.read(key)) : store.read(key);
    },
    now: deps.now,
    clusterResourceNamespace: deps.config.clusterResourceNamespace,
    ...(cluster.serviceAccountToken ? { serviceAccountToken: cluster.serviceAccountToken } : {}),
  });
  return liveReadiness(inUse, deps.issuers, env);
}

/**
 * For `plan` and `status`: the cluster's Secrets for the Issuer checks, and
 * its objects for discovery and coexistence, so they plan exactly what
 * `run` would. Empty without a cluster (or when it does not answer); never
 * leader election, never a write.
 */
export async function clusterForPlan(config: ReconcileDeps["config"], env: NodeJS.ProcessEnv, log: ReconcileDeps["log"]): Promise<{ secretIndex?: SecretIndexSource; cluster?: ClusterViewSource }> {
  if (!clusterConfigured(config, env)) return {};
  const kube = await import("./kube/index.ts");
  const session = await kube.openClusterSession(config, env, log);
  return session ? { secretIndex: session.secretIndex, cluster: session.view } : {};
}
