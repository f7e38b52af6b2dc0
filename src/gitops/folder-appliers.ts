// What would apply a new file written into a folder of the repository: the
// Flux Kustomizations and Argo CD Applications whose builds read that
// folder (its kustomization.yaml is in their build, or they take every
// file below a folder without one), and the namespace each would put the
// file's object in when it forces one (a targetNamespace, a kustomization
// `namespace:`), which a Secret's own namespace must agree with.
import { posix } from "node:path";
import { appliersOf } from "./decryption.ts";
import type { Build } from "./kustomize.ts";
import type { AppliedBy, ClusterOwner, GitOpsView } from "./types.ts";

export interface FolderApplier {
  by: AppliedBy;
  /** The namespace it gives every object of the folder; undefined when objects keep their own. */
  namespace?: string;
}

export function appliersOfFolder(dir: string, view: Pick<GitOpsView, "kustomizations" | "applications">): FolderApplier[] {
  const probe = dir === "" ? "gitcert-probe.yaml" : `${dir}/gitcert-probe.yaml`;
  const out: FolderApplier[] = [];
  for (const { kustomization: k, build } of appliersOf(probe, view)) {
    const namespace = k.targetNamespace ?? (build ? levelNamespace(build, dir) : undefined);
    out.push({ by: { kind: "Kustomization", namespace: k.namespace, name: k.name, source: k.source }, ...(namespace ? { namespace } : {}) });
  }
  for (const { application, sources } of view.applications) {
    for (const source of sources) {
      const reads = source.build.generated
        ? dir === source.dir || (source.recurse && (source.dir === "" || dir.startsWith(`${source.dir}/`)))
        : source.build.kustomizationDirs.includes(dir);
      if (!reads) continue;
      const namespace = source.build.generated ? undefined : (source.namespace ?? levelNamespace(source.build, dir));
      out.push({ by: application, ...(namespace ? { namespace } : {}) });
      break;
    }
  }
  return out;
}

/** The namespace the kustomizations a folder's files pass through give them: the outermost one that sets one wins. */
function levelNamespace(build: Build, dir: string): string | undefined {
  const entry = build.entries.find((e) => (posix.dirname(e.file) === "." ? "" : posix.dirname(e.file)) === dir);
  if (!entry) return undefined;
  for (let i = entry.levels.length - 1; i >= 0; i--) {
    const namespace = entry.levels[i]!.namespace;
    if (namespace) return namespace;
  }
  return undefined;
}

export function sameApplier(a: AppliedBy, b: AppliedBy): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

/** What applies something, as a person reads it: its kind, name and manifest. */
export function applierLabel(a: Pick<ClusterOwner, "kind" | "namespace" | "name" | "source">): string {
  return `${applierKindLabel(a.kind)} ${a.namespace}/${a.name} (${a.source.file}:${a.source.line})`;
}

/** The kind as a person reads it: `Kustomization` alone does not say whose (Flux's, or kustomize's file). */
export function applierKindLabel(kind: ClusterOwner["kind"]): string {
  return kind === "Kustomization" ? "Flux Kustomization" : kind === "Application" ? "Argo CD Application" : "HelmRelease";
}
