// Reading a Flux `Kustomization` (kustomize.toolkit.fluxcd.io): the fields
// that decide what reaches the cluster: path, targetNamespace, patches,
// components, postBuild substitution and decryption. Other fields (interval,
// dependsOn, prune…) do not change an object and are not read.
import { z } from "zod";
import { diagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import { isRecord, mapping, optionalText, problemText, read, requiredText } from "../schema/index.ts";
import { readPatchEntry } from "./patch-entry.ts";
import type { FluxKustomization, Patch, SubstituteFromRef } from "./types.ts";

export const FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io";

export function isFluxKustomization(object: Record<string, unknown>): boolean {
  return object.kind === "Kustomization" && typeof object.apiVersion === "string" && object.apiVersion.startsWith(`${FLUX_KUSTOMIZE_GROUP}/`);
}

// Flux stores substitute values as strings; YAML may have typed them.
const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v).replace(/\n/g, ""));

const substituteFromRef = mapping({
  kind: z.enum(["ConfigMap", "Secret"]),
  name: requiredText(),
  optional: z.boolean().default(false),
});

const spec = mapping({
  path: z.string().default(""),
  sourceRef: mapping({ kind: z.string().default(""), name: z.string().default("") }).default({ kind: "", name: "" }),
  targetNamespace: optionalText(),
  components: z.array(z.string()).default([]),
  patches: z.array(z.unknown()).default([]),
  postBuild: mapping({
    substitute: z.record(z.string(), z.union([scalarText, z.null()])).default({}),
    substituteFrom: z.array(substituteFromRef).default([]),
    substituteStrategy: optionalText(),
  }).optional(),
  decryption: mapping({
    provider: optionalText(),
    secretRef: mapping({ name: optionalText() }).optional(),
  }).optional(),
});

/**
 * The Kustomization in `object`, read from `source`, in `namespace` (its
 * own, or what its folder and parents give it); with a diagnostic for each
 * field that is not what Flux accepts.
 */
export function readFluxKustomization(
  object: Record<string, unknown>,
  source: SourceRef,
  namespace: string,
): { kustomization?: FluxKustomization; diagnostics: Diagnostic[] } {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const object_ = { kind: "Kustomization", namespace, name };
  if (name === "") return { diagnostics: [diagnostic("MissingName", "Flux Kustomization has no metadata.name; ignored", { source }, "warning")] };
  const r = read(spec, object.spec ?? {});
  if (!r.ok) {
    const message = `Flux Kustomization ${r.problems.map((p) => problemText("spec", p)).join("; ")}; gitcert does not render what it applies`;
    return { diagnostics: [diagnostic("InvalidFluxKustomization", message, { source, object: object_ }, "warning")] };
  }
  const s = r.value;
  const diagnostics: Diagnostic[] = [];
  const patches: Patch[] = [];
  s.patches.forEach((entry, i) => {
    const p = readPatchEntry(entry, { source, at: `spec.patches[${i}]` }, undefined);
    if ("error" in p) diagnostics.push(diagnostic("InvalidPatch", `Flux Kustomization spec.patches[${i}]: ${p.error}; not applied`, { source, object: object_ }, "warning"));
    else patches.push(...p.patches);
  });
  const substitute: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.postBuild?.substitute ?? {})) if (v !== null) substitute[k] = v;
  const kustomization: FluxKustomization = {
    name,
    namespace,
    source,
    path: s.path,
    sourceRef: s.sourceRef,
    ...(s.targetNamespace ? { targetNamespace: s.targetNamespace } : {}),
    patches,
    components: s.components,
    ...(s.postBuild
      ? {
          postBuild: {
            substitute,
            substituteFrom: s.postBuild.substituteFrom as SubstituteFromRef[],
            always: s.postBuild.substituteStrategy === "Always",
          },
        }
      : {}),
    ...(s.decryption ? { decryption: { provider: s.decryption.provider, secretRef: s.decryption.secretRef?.name } } : {}),
  };
  return { kustomization, diagnostics };
}
