// Who applied an object in the cluster, from the marks the GitOps tools
// leave on what they apply: Flux's kustomize-controller labels every object
// with its Kustomization (kustomize.toolkit.fluxcd.io/name and /namespace),
// helm-controller every object a chart rendered with its HelmRelease
// (helm.toolkit.fluxcd.io/name and /namespace), and Argo CD tracks objects
// by the label argocd.argoproj.io/instance or the annotation
// argocd.argoproj.io/tracking-id (`<app>:<group>/<kind>:<namespace>/<name>`,
// the app written `<namespace>_<name>` outside Argo CD's own namespace).
// The most specific mark wins: a chart's object also carries what applied
// the HelmRelease only when someone copied labels by hand.
import type { ClusterObject } from "./types.ts";

export interface OwnerClaim {
  kind: "Kustomization" | "HelmRelease" | "Application";
  /** Undefined for an Argo CD Application named without its namespace (it lives in Argo CD's own). */
  namespace?: string;
  name: string;
  /** The mark that says so, for messages: `helm.toolkit.fluxcd.io/name=web`. */
  label: string;
}

const HELM = "helm.toolkit.fluxcd.io";
const KUSTOMIZE = "kustomize.toolkit.fluxcd.io";
export const ARGOCD_INSTANCE = "argocd.argoproj.io/instance";
export const ARGOCD_TRACKING_ID = "argocd.argoproj.io/tracking-id";

export function ownerClaim(object: ClusterObject): OwnerClaim | undefined {
  const labels = object.metadata.labels ?? {};
  const annotations = object.metadata.annotations ?? {};
  for (const [group, kind] of [[HELM, "HelmRelease"], [KUSTOMIZE, "Kustomization"]] as const) {
    const name = labels[`${group}/name`];
    const namespace = labels[`${group}/namespace`];
    if (name && namespace) return { kind, namespace, name, label: `${group}/name=${name}` };
  }
  const tracking = annotations[ARGOCD_TRACKING_ID];
  if (tracking) {
    const id = parseTrackingId(tracking);
    // A copied object keeps its source's tracking id; Argo CD itself only owns the object it names.
    if (id && id.kind === object.kind && id.name === object.metadata.name && (id.namespace === (object.metadata.namespace ?? "") || !object.metadata.namespace)) {
      return { kind: "Application", ...appName(id.app), label: `${ARGOCD_TRACKING_ID}=${tracking}` };
    }
  }
  const instance = labels[ARGOCD_INSTANCE];
  if (instance) return { kind: "Application", ...appName(instance), label: `${ARGOCD_INSTANCE}=${instance}` };
  return undefined;
}

function parseTrackingId(value: string): { app: string; kind: string; namespace: string; name: string } | undefined {
  const first = value.indexOf(":");
  const second = value.indexOf(":", first + 1);
  if (first < 1 || second < 0) return undefined;
  const groupKind = value.slice(first + 1, second).split("/");
  const namespaceName = value.slice(second + 1).split("/");
  if (groupKind.length !== 2 || namespaceName.length !== 2) return undefined;
  return { app: value.slice(0, first), kind: groupKind[1]!, namespace: namespaceName[0]!, name: namespaceName[1]! };
}

/** `team-a_web` → namespace team-a, name web (an Application outside Argo CD's namespace); `web` → name only. */
function appName(value: string): { namespace?: string; name: string } {
  const at = value.indexOf("_");
  return at > 0 ? { namespace: value.slice(0, at), name: value.slice(at + 1) } : { name: value };
}
