// Certificates for annotated Ingresses and Gateways, kept in the cluster the
// way cert-manager's ingress-shim keeps them: created beside the owner (once
// Flux or Argo CD has applied it), owned by it, updated when the annotations
// change, deleted when the owner no longer asks for them. That makes status
// and Events visible where ingress-shim users look (`kubectl get certificate`,
// Argo CD's resource tree under the Ingress), while Git stays free of objects
// gitcert would have to keep in step with the Ingress; the garbage collector
// removes them with their owner.
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { CertificateResource } from "../manifests/index.ts";
import { GROUP, VERSION, objectKey, type LiveObject } from "./cert-manager-api.ts";
import { isNotFound, MERGE_PATCH, type Cluster } from "./client.ts";
import { derivedCertificate, isDerivedByGitcert, OWNER_API_VERSIONS } from "./certificate-manifest.ts";
import { sameJson } from "./same-json.ts";

export interface DerivedSync {
  created: number;
  updated: number;
  deleted: number;
  diagnostics: Diagnostic[];
}

/**
 * Brings the derived Certificates in the cluster in line with Git. `live`
 * (namespace/name → object) is updated in place with what was created.
 * `sweep`: delete this instance's derived Certificates Git no longer asks
 * for — off when some file failed to parse, since an Ingress may be hiding
 * in it. Other gitcert instances' (other repositories') are never touched.
 */
export async function syncDerivedCertificates(
  cluster: Cluster,
  wanted: readonly CertificateResource[],
  live: Map<string, LiveObject>,
  sweep: boolean,
  instance: string,
): Promise<DerivedSync> {
  const result: DerivedSync = { created: 0, updated: 0, deleted: 0, diagnostics: [] };
  const keep = new Set<string>();
  for (const certificate of wanted) {
    const key = objectKey(certificate);
    keep.add(key);
    const where = { source: certificate.source, object: { kind: "Certificate", namespace: certificate.namespace, name: certificate.name } };
    try {
      const existing = live.get(key);
      if (existing && !isDerivedByGitcert(existing, instance)) continue; // someone else's Certificate: never touched (the shim's rule)
      const ownerUid = await ownerUidOf(cluster, certificate);
      if (!ownerUid) continue; // the Ingress is not applied yet; next time
      const desired = derivedCertificate(certificate, ownerUid, instance);
      if (!existing) {
        const created = (await cluster.call(`create Certificate ${key}`, () =>
          cluster.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: "certificates", namespace: certificate.namespace, body: desired }),
        )) as LiveObject;
        live.set(key, created);
        result.created++;
      } else if (!sameJson(existing.spec, desired.spec) || !sameLabels(existing, desired.metadata.labels) || existing.metadata.ownerReferences?.[0]?.uid !== ownerUid) {
        const body = { metadata: { labels: desired.metadata.labels, ownerReferences: desired.metadata.ownerReferences }, spec: desired.spec };
        const updated = (await cluster.call(`update Certificate ${key}`, () =>
          cluster.custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: "certificates", namespace: certificate.namespace, name: certificate.name, body }, MERGE_PATCH),
        )) as LiveObject;
        live.set(key, updated);
        result.updated++;
      }
    } catch (err) {
      result.diagnostics.push(diagnostic("ClusterWriteFailed", (err as Error).message, where, "warning"));
      if ((err as { code?: string }).code === "KubeUnreachable") return result;
    }
  }
  if (!sweep) return result;
  for (const [key, object] of live) {
    if (keep.has(key) || !isDerivedByGitcert(object, instance)) continue;
    try {
      await cluster.call(`delete Certificate ${key}`, () =>
        cluster.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: "certificates", namespace: object.metadata.namespace!, name: object.metadata.name }),
      );
      live.delete(key);
      result.deleted++;
    } catch (err) {
      if (!isNotFound(err)) result.diagnostics.push(diagnostic("ClusterWriteFailed", (err as Error).message, { object: { kind: "Certificate", namespace: object.metadata.namespace, name: object.metadata.name } }, "warning"));
    }
  }
  return result;
}

/** uid of the Ingress or Gateway in the cluster; undefined when it is not there (yet). */
async function ownerUidOf(cluster: Cluster, certificate: CertificateResource): Promise<string | undefined> {
  const owner = certificate.owner!;
  const [group, version] = (OWNER_API_VERSIONS[owner.kind] ?? "").split("/");
  const namespace = certificate.namespace;
  try {
    if (owner.kind === "Ingress") {
      const ingress = await cluster.call(`get Ingress ${namespace}/${owner.name}`, () => cluster.networking.readNamespacedIngress({ namespace, name: owner.name }));
      return ingress.metadata?.uid;
    }
    const gateway = (await cluster.call(`get ${owner.kind} ${namespace}/${owner.name}`, () =>
      cluster.custom.getNamespacedCustomObject({ group: group!, version: version!, plural: `${owner.kind.toLowerCase()}s`, namespace, name: owner.name }),
    )) as LiveObject;
    return gateway.metadata.uid;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function sameLabels(object: LiveObject, labels: Record<string, string>): boolean {
  const have = object.metadata.labels ?? {};
  return Object.entries(labels).every(([k, v]) => have[k] === v);
}

