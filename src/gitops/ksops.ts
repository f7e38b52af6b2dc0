// Argo CD + KSOPS: a folder's kustomization.yaml lists a generator of kind
// `ksops` (viaduct.ai/v1) whose `files:` names the SOPS files to decrypt.
// gitcert keeps its Secret files in that list, as it keeps `resources`
// elsewhere (repo/kustomization.ts edits both).
import { posix } from "node:path";
import type { ManifestDocument } from "../manifests/types.ts";
import type { KustomizationDocument } from "./kustomize.ts";
import type { KsopsGenerator } from "./types.ts";

export const KSOPS_KIND = "ksops";

export function isKsops(object: Record<string, unknown>): boolean {
  return object.kind === KSOPS_KIND && typeof object.apiVersion === "string" && object.apiVersion.startsWith("viaduct.ai/");
}

/** The ksops generators each kustomization lists in `generators:`, read with `parse`. */
export function ksopsGenerators(
  kustomizations: readonly KustomizationDocument[],
  texts: { get(path: string): string | undefined },
  parse: (file: { path: string; text: string }) => ManifestDocument[],
): KsopsGenerator[] {
  const out: KsopsGenerator[] = [];
  for (const k of kustomizations) {
    const generators = k.object.generators;
    if (!Array.isArray(generators)) continue;
    for (const entry of generators) {
      if (typeof entry !== "string") continue;
      const file = posix.normalize(posix.join(k.dir, entry));
      const text = texts.get(file);
      if (text === undefined || !text.includes(KSOPS_KIND)) continue;
      for (const doc of parse({ path: file, text })) {
        if (!isKsops(doc.object)) continue;
        const files = Array.isArray(doc.object.files) ? doc.object.files.filter((f): f is string => typeof f === "string") : [];
        out.push({ dir: k.dir, file, files });
      }
    }
  }
  return out;
}
