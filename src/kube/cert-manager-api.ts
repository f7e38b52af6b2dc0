// cert-manager.io/v1 objects in the cluster: which kinds the API server
// serves (gitcert's CRDs from deploy/crds, or cert-manager's own), listing
// them, and writing their status subresource.
import { MERGE_PATCH, isNotFound, type Cluster } from "./client.ts";

export const GROUP = "cert-manager.io";
export const VERSION = "v1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export type Plural = "certificates" | "issuers" | "clusterissuers";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface LiveObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** The cert-manager.io/v1 resources the API server serves; empty when the group is not installed. */
export async function servedPlurals(cluster: Cluster): Promise<Set<string>> {
  try {
    const list = await cluster.call(`discover ${API_VERSION}`, () => cluster.custom.getAPIResources({ group: GROUP, version: VERSION }));
    return new Set(list.resources.map((r) => r.name));
  } catch (err) {
    if (isNotFound(err)) return new Set();
    throw err;
  }
}

/** Every object of one kind, in all namespaces. */
export async function listAll(cluster: Cluster, plural: Plural): Promise<LiveObject[]> {
  const list = (await cluster.call(`list ${plural}.${GROUP}`, () =>
    cluster.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }),
  )) as { items?: LiveObject[] };
  return list.items ?? [];
}

/** JSON merge patch of the status subresource. */
export async function patchStatus(cluster: Cluster, plural: Plural, object: LiveObject, patch: Record<string, unknown>): Promise<void> {
  const { name, namespace } = object.metadata;
  const body = { status: patch };
  const what = `update the status of ${object.kind} ${namespace ? `${namespace}/` : ""}${name}`;
  if (namespace) {
    await cluster.call(what, () => cluster.custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, plural, namespace, name, body }, MERGE_PATCH));
  } else {
    await cluster.call(what, () => cluster.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural, name, body }, MERGE_PATCH));
  }
}

export function objectKey(o: { namespace?: string; name: string }): string {
  return `${o.namespace ?? ""}/${o.name}`;
}
