// Objects gitcert creates in the cluster for a while (a challenge Ingress,
// an HTTPRoute, a Service) and must never lose track of: each carries
// gitcert's labels (managed-by, and what it is for), so whatever a killed
// pod left behind is found by label and swept when a new leader starts.
// Applied server-side with field manager "gitcert", so a retry after a
// crash converges instead of failing on "already exists".
import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { isNotFound, type Cluster } from "./client.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "./certificate-manifest.ts";
import type { LiveObject, OwnerReference } from "./cert-manager-api.ts";
import { INSTANCE_LABEL } from "./instance.ts";

/** What a managed object is for (`http01-solver`, …): the sweep's selector. */
export const PURPOSE_LABEL = "gitcert.dev/purpose";

export const FIELD_MANAGER = "gitcert";

/** gitcert's labels for an object of this instance (instance.ts) made for `purpose`. */
export function managedLabels(purpose: string, instance: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: instance, [PURPOSE_LABEL]: purpose };
}

/** A label selector matching every one of `labels`. */
export function selectorOf(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** An owner reference to a live object (a Certificate), so the garbage collector removes what gitcert made for it with it. */
export function ownerReferenceTo(owner: LiveObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: false, blockOwnerDeletion: false };
}

/** Creates or updates `object` (server-side apply, gitcert owning the fields it sets). */
export async function applyManaged<T extends KubernetesObject>(cluster: Cluster, object: T): Promise<T> {
  const what = `apply ${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name}`;
  return cluster.call(what, () => cluster.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
}

/** Deletes `object`; one already gone is fine. */
export async function deleteManaged(cluster: Cluster, object: KubernetesObject): Promise<void> {
  const what = `delete ${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name}`;
  try {
    await cluster.call(what, () => cluster.objects.delete(object));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export interface SweepTarget {
  apiVersion: string;
  kind: string;
  purpose: string;
  /** Only this instance's objects are swept. */
  instance: string;
  /** All namespaces when undefined. */
  namespace?: string;
  /** Objects still in use: not deleted. */
  keep?: (object: KubernetesObject) => boolean;
}

/** Deletes this instance's objects of one kind and purpose that are no longer in use; returns what it deleted. */
export async function sweepManaged(cluster: Cluster, target: SweepTarget): Promise<KubernetesObject[]> {
  const selector = selectorOf(managedLabels(target.purpose, target.instance));
  const list = await cluster.call(`list ${target.kind} labelled ${selector}`, () =>
    cluster.objects.list(target.apiVersion, target.kind, target.namespace, undefined, undefined, undefined, undefined, selector),
  );
  const stale = list.items.filter((o) => !target.keep?.(o));
  for (const object of stale) await deleteManaged(cluster, { ...object, apiVersion: target.apiVersion, kind: target.kind });
  return stale;
}
