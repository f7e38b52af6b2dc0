// What a killed gitcert left of its HTTP-01 challenges, removed when a
// replica starts leading (before it solves anything itself): the paths it
// added to users' Ingresses (each backend Service records the Ingress it
// edited), then its temporary Ingresses, HTTPRoutes, EndpointSlices and
// Services, found by gitcert's labels — this instance's only. A kind the
// cluster does not serve (no Gateway API) has nothing to sweep.
import type { KubernetesObject } from "@kubernetes/client-node";
import { challengeHost, challengePath, RECORD, removeChallengePath } from "../acme/http01/index.ts";
import type { Cluster } from "./client.ts";
import { editObject, HTTP01_PURPOSE } from "./http01.ts";
import { managedLabels, selectorOf, sweepManaged } from "./managed-objects.ts";

export interface SweepResult {
  /** `Kind namespace/name` of each object deleted, and `path in Ingress ns/name` for each path taken out. */
  removed: string[];
  /** What could not be swept, in words (the next start tries again). */
  problems: string[];
}

// The route objects first, the Services they point at last.
const KINDS = [
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute" },
  { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice" },
  { apiVersion: "v1", kind: "Service" },
] as const;

export async function sweepHttp01Leftovers(cluster: Cluster, instance: string): Promise<SweepResult> {
  const result: SweepResult = { removed: [], problems: [] };
  const selector = selectorOf(managedLabels(HTTP01_PURPOSE, instance));
  try {
    const services = await cluster.call(`list Services labelled ${selector}`, () => cluster.objects.list("v1", "Service", undefined, undefined, undefined, undefined, undefined, selector));
    for (const service of services.items) await restoreEditedIngress(cluster, service, result);
  } catch (err) {
    result.problems.push((err as Error).message);
  }
  for (const { apiVersion, kind } of KINDS) {
    try {
      const gone = await sweepManaged(cluster, { apiVersion, kind, purpose: HTTP01_PURPOSE, instance });
      result.removed.push(...gone.map((o) => `${kind} ${o.metadata?.namespace}/${o.metadata?.name}`));
    } catch (err) {
      // EndpointSlices are gitcert's only with the opt-in endpoints backend's ClusterRole bound: without it there are none to sweep.
      const forbidden = (err as { status?: number }).status === 403 && kind === "EndpointSlice";
      if (!unserved(err) && !forbidden) result.problems.push((err as Error).message);
    }
  }
  return result;
}

async function restoreEditedIngress(cluster: Cluster, service: KubernetesObject, result: SweepResult): Promise<void> {
  const annotations = service.metadata?.annotations ?? {};
  const ingress = annotations[RECORD.editedIngress];
  const token = annotations[RECORD.token];
  const namespace = service.metadata?.namespace ?? "";
  if (!ingress || !token) return;
  const host = challengeHost(annotations[RECORD.host] ?? "");
  let changed = false;
  try {
    await editObject(cluster, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", namespace, name: ingress }, (object) => {
      changed = removeChallengePath(object, host, challengePath(token), service.metadata!.name!, annotations[RECORD.addedRule] === "true");
      return changed;
    });
    if (changed) result.removed.push(`challenge path in Ingress ${namespace}/${ingress}`);
  } catch (err) {
    result.problems.push((err as Error).message);
  }
}

/** The list of a kind the API server does not serve (no Gateway API CRDs). */
function unserved(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /Unrecognized API version and kind|the server could not find the requested resource|404 page not found/i.test(message) || (err as { status?: number }).status === 404;
}
