// The `gitcert.dev/source` annotation of a Secret: the manifest its
// Certificate came from, or for one found in the cluster the object
// (`cluster:Ingress/web/app`). That mark is how a later run knows the
// Secret's Certificate lives in the cluster: when the cluster could not be
// read, such a Secret is kept, not removed as if its Certificate were gone.
// Pure.
import type { CertificateResource } from "../manifests/types.ts";
import { ANNOTATION, type PlanItem } from "../plan/index.ts";

const CLUSTER = "cluster:";

export function secretSource(certificate: Pick<CertificateResource, "source" | "origin">): string {
  const object = certificate.origin?.cluster?.object;
  return object ? `${CLUSTER}${object.kind}/${object.namespace ? `${object.namespace}/` : ""}${object.name}` : certificate.source.file;
}

/**
 * Removals of Secrets whose Certificate was found in the cluster, turned
 * into keeps when this run did not read the whole cluster (none configured,
 * unreachable, a kind refused): the object may be there, out of sight.
 */
export function keepClusterSecrets(items: readonly PlanItem[], clusterRead: boolean, why: string): PlanItem[] {
  if (clusterRead) return [...items];
  return items.map((item) => {
    if (item.action !== "remove" || !item.existing?.annotations[ANNOTATION.source]?.startsWith(CLUSTER)) return item;
    const message = `its Certificate was found in the cluster (${item.existing.annotations[ANNOTATION.source]}), which ${why}; Secret file ${item.existing.source.file} kept`;
    return { ...item, action: "ok", reason: "Orphaned", message };
  });
}
