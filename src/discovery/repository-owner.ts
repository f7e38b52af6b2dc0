// The owner a cluster object's labels name, looked up in the repository:
// a Flux Kustomization gitcert rendered, or a HelmRelease or Argo CD
// Application manifest as its applier renders it. Only objects whose owner
// is in this repository are this repository's to issue for.
import { applierLabel, type AppliedKustomization, type ClusterOwner, type GitOpsView, type OwnerManifest } from "../gitops/index.ts";
import type { OwnerClaim } from "./owner-labels.ts";

export type OwnerLookup =
  | { found: ClusterOwner; kustomization?: AppliedKustomization; application?: GitOpsView["applications"][number] }
  | { missing: string }
  | { ambiguous: string };

export function repositoryOwner(claim: OwnerClaim, view: Pick<GitOpsView, "kustomizations" | "owners" | "applications">): OwnerLookup {
  if (claim.kind === "Kustomization") {
    const found = view.kustomizations.filter(({ kustomization: k }) => k.name === claim.name && k.namespace === claim.namespace);
    if (found.length === 0) return { missing: `Flux Kustomization ${claim.namespace}/${claim.name}` };
    // Rendered once per parent; the same manifest either way.
    const applied = found[0]!;
    const k = applied.kustomization;
    return { found: { kind: "Kustomization", namespace: k.namespace, name: k.name, source: k.source }, kustomization: applied };
  }
  const what = claim.kind === "HelmRelease" ? "HelmRelease" : "Argo CD Application";
  const candidates = view.owners.filter((o) => o.kind === claim.kind && o.name === claim.name && (claim.namespace === undefined || o.namespace === claim.namespace));
  const label = `${what} ${claim.namespace ? `${claim.namespace}/` : ""}${claim.name}`;
  if (candidates.length === 0) return { missing: label };
  const byManifest = new Map<string, OwnerManifest>();
  for (const c of candidates) byManifest.set(`${c.source.file}:${c.source.line}:${c.namespace}`, c);
  const appliers = new Set(candidates.map((c) => (c.appliedBy ? applierLabel(c.appliedBy) : "")));
  if (byManifest.size > 1 || appliers.size > 1) {
    const where = candidates.map((c) => `${c.source.file}:${c.source.line}${c.appliedBy ? ` applied by ${applierLabel(c.appliedBy)}` : ""}`);
    return { ambiguous: `${label} is defined or applied more than once in the repository (${[...new Set(where)].join("; ")}); set gitops.clusterPath to the folder of the cluster gitcert serves` };
  }
  const owner = candidates[0]!;
  const found: ClusterOwner = { kind: owner.kind, namespace: owner.namespace, name: owner.name, source: owner.source, ...(owner.appliedBy ? { appliedBy: owner.appliedBy } : {}) };
  const application = owner.kind === "Application" ? view.applications.find((a) => a.application.name === owner.name && a.application.namespace === owner.namespace) : undefined;
  return { found, ...(application ? { application } : {}) };
}

