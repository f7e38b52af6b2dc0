// The namespace an object lands in.
//
// Rule (DESIGN.md): `metadata.namespace`, else the `namespace:` of the
// nearest kustomization file found walking up from the object's folder
// (its own folder first), else the configured default. A kustomization with
// no `namespace:` does not stop the walk.
//
// This approximates kustomize rather than running it, and differs in two
// ways users may meet:
// - kustomize applies a kustomization's `namespace:` to the resources it
//   *includes*, wherever they live (`../base`), and it overrides
//   `metadata.namespace`. gitcert looks only at folder ancestry and lets an
//   explicit `metadata.namespace` win. For the common layout (manifests
//   beside or below the kustomization that lists them, and overlays that
//   do not move already-namespaced objects) both agree.
// - A base shared by overlays in several namespaces gets one namespace
//   here: its own folder's, or an ancestor's. Give such objects an explicit
//   `metadata.namespace`, or keep certificates in the overlays.
import type { KustomizationFile } from "./types.ts";

export interface NamespaceResolver {
  /** Namespace inherited by objects in `dir` that set none themselves. */
  forDir(dir: string): string;
  /** Namespace of one object found in `file`. */
  forObject(object: Record<string, unknown>, file: string): string;
}

export function namespaceResolver(kustomizations: readonly KustomizationFile[], defaultNamespace: string): NamespaceResolver {
  const own = new Map<string, string>();
  for (const k of kustomizations) {
    // Two kustomization files in one folder is a kustomize error; the first
    // (sorted path order) is as good a guess as any.
    if (k.namespace && !own.has(k.dir)) own.set(k.dir, k.namespace);
  }
  // Memoised per folder: thousands of files share a few hundred folders.
  const resolved = new Map<string, string>();
  const forDir = (dir: string): string => {
    const hit = resolved.get(dir);
    if (hit !== undefined) return hit;
    const ns = own.get(dir) ?? (dir === "" ? defaultNamespace : forDir(parentDir(dir)));
    resolved.set(dir, ns);
    return ns;
  };
  return {
    forDir,
    forObject(object, file) {
      return explicitNamespace(object) ?? forDir(parentDir(file));
    },
  };
}

/** `metadata.namespace` when it is a non-empty string. */
export function explicitNamespace(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata;
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const ns = (metadata as Record<string, unknown>).namespace;
  return typeof ns === "string" && ns !== "" ? ns : undefined;
}

/** Repository-relative POSIX folder of a path; "" at the root. */
export function parentDir(path: string): string {
  const at = path.lastIndexOf("/");
  return at === -1 ? "" : path.slice(0, at);
}
