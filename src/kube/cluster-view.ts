// What the cluster holds for one run, read once: the objects Flux or Argo
// CD applied that may ask for certificates (for src/discovery), and
// whether cert-manager's controller is running.
//
// cert-manager is known to run by its leader-election Lease
// (kube-system/cert-manager-controller by default): the replica doing the
// work renews it every few seconds, so a Lease held and fresh means a
// controller is acting on Certificates now. Its Deployment or Pods say
// less: a Deployment may be scaled to zero or crash-looping, its labels
// and namespace vary with how it was installed, and finding Pods would
// take cluster-wide `list` on pods; the Lease takes one `get` on one
// named object. (A controller run with --leader-elect=false makes no
// Lease and is not seen.)
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { CertManagerPresence, ClusterObject, ClusterView } from "../discovery/index.ts";
import { KubeApiError, type Cluster } from "./client.ts";
import { MANAGED_BY, MANAGED_BY_LABEL, OWNER_API_VERSIONS } from "./certificate-manifest.ts";

export const CERT_MANAGER_LEASE = "cert-manager-controller";

const KINDS = [
  { group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress" },
  { group: "gateway.networking.k8s.io", version: "v1", plural: "gateways", kind: "Gateway" },
  { group: "cert-manager.io", version: "v1", plural: "certificates", kind: "Certificate" },
  { group: "cert-manager.io", version: "v1", plural: "issuers", kind: "Issuer" },
  { group: "cert-manager.io", version: "v1", plural: "clusterissuers", kind: "ClusterIssuer" },
] as const;

const SHIM_ANNOTATIONS = ["cert-manager.io/issuer", "cert-manager.io/cluster-issuer", "kubernetes.io/tls-acme"];

export interface ViewOptions {
  /** Read the objects (discovery.enabled). */
  discovery: boolean;
  /** Namespace of cert-manager's Lease. */
  leaseNamespace: string;
  now: Date;
}

export async function readClusterView(cluster: Cluster, options: ViewOptions): Promise<ClusterView> {
  const diagnostics: Diagnostic[] = [];
  const [listed, certManager] = await Promise.all([options.discovery ? listObjects(cluster, diagnostics) : undefined, certManagerPresence(cluster, options, diagnostics)]);
  return {
    server: cluster.target.server,
    ...(listed ? { objects: listed.objects, complete: listed.complete } : { complete: false }),
    diagnostics,
    ...(certManager ? { certManager } : {}),
  };
}

async function listObjects(cluster: Cluster, diagnostics: Diagnostic[]): Promise<{ objects: ClusterObject[]; complete: boolean }> {
  let complete = true;
  const lists = await Promise.all(
    KINDS.map(async ({ group, version, plural, kind }) => {
      try {
        const list = (await retried(() => cluster.call(`list ${plural}.${group}`, () => cluster.custom.listClusterCustomObject({ group, version, plural })))) as { items?: ClusterObject[] };
        return (list.items ?? []).map((o) => ({ ...o, apiVersion: `${group}/${version}`, kind }));
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return []; // not installed
        if (err instanceof KubeApiError && err.status === undefined) throw err; // the server is gone: nothing to be had
        complete = false;
        const fix = err instanceof KubeApiError && err.status === 403 ? `; allow list on ${plural}.${group} (deploy/controller/rbac.yaml)` : "";
        diagnostics.push(diagnostic("DiscoveryIncomplete", `${err instanceof Error ? err.message : String(err)}: gitcert cannot see the ${kind}s Flux or Argo CD applied this run, and removes no Secret file of one found in the cluster before${fix}`, {}, "warning"));
        return [];
      }
    }),
  );
  return { objects: lists.flat().filter(worthReading), complete };
}

/** Retries what the API server says to retry soon (429, 5xx: a CRD's storage starting, an etcd leader change). */
async function retried<T>(request: () => Promise<T>, attempts = 5, delayMs = 1000): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await request();
    } catch (err) {
      const status = err instanceof KubeApiError ? err.status : undefined;
      if (i >= attempts || status === undefined || (status !== 429 && status < 500)) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Asks for certificates, and is not something gitcert or a shim made. */
function worthReading(object: ClusterObject): boolean {
  if (object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) return false;
  if (object.kind === "Ingress" || object.kind === "Gateway") {
    const annotations = object.metadata.annotations ?? {};
    return SHIM_ANNOTATIONS.some((a) => a in annotations);
  }
  // A shim's Certificate (cert-manager's ingress-shim or gitcert's) is the Ingress's: that is what is read.
  if (object.kind === "Certificate") return !(object.metadata.ownerReferences ?? []).some((r) => r.controller && r.kind in OWNER_API_VERSIONS);
  return true;
}

async function certManagerPresence(cluster: Cluster, options: ViewOptions, diagnostics: Diagnostic[]): Promise<CertManagerPresence | undefined> {
  const lease = `${options.leaseNamespace}/${CERT_MANAGER_LEASE}`;
  try {
    const found = await retried(() => cluster.call(`get Lease ${lease}`, () => cluster.coordination.readNamespacedLease({ namespace: options.leaseNamespace, name: CERT_MANAGER_LEASE })));
    const holder = found.spec?.holderIdentity ?? "";
    const renewed = found.spec?.renewTime ? new Date(found.spec.renewTime) : undefined;
    const duration = found.spec?.leaseDurationSeconds ?? 0;
    if (!holder) return { running: false, lease, evidence: "is held by no one (released)" };
    if (!renewed) return { running: false, lease, evidence: `is held by ${holder} but was never renewed` };
    const age = Math.round((options.now.getTime() - renewed.getTime()) / 1000);
    const fresh = renewed.getTime() + duration * 1000 > options.now.getTime();
    return fresh ? { running: true, lease, evidence: `is held by ${holder}, renewed ${age} s ago` } : { running: false, lease, evidence: `expired: held by ${holder}, last renewed ${age} s ago (lease ${duration} s)` };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return { running: false, lease, evidence: "does not exist" };
    if (err instanceof KubeApiError && err.status === 403) {
      diagnostics.push(
        diagnostic("CertManagerUnknown", `${err.message}: gitcert cannot tell whether cert-manager's controller runs, and acts as if it did not; allow get on Lease ${lease} (deploy/controller/rbac.yaml)`, {}, "warning"),
      );
      return undefined;
    }
    throw err;
  }
}
