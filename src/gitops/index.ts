// The GitOps room: the repository as Flux and Argo CD turn it into objects
// (Flux Kustomizations with their patches, target namespaces and postBuild
// substitution; kustomize patches; KSOPS generators), what cannot be seen
// without rendering Helm, and whether what gitcert writes will be
// decrypted where it lands. Pure: files in, objects and diagnostics out.
import type { Diagnostic } from "../diagnostics.ts";
import type { ManifestDocument } from "../manifests/types.ts";
import type { NamespaceResolver } from "../manifests/namespace.ts";
import { isRecord } from "../schema/index.ts";
import { FLUX_KUSTOMIZE_GROUP, isFluxKustomization } from "./flux-kustomization.ts";
import { invisibleCertificates } from "./invisible.ts";
import { KSOPS_KIND, ksopsGenerators } from "./ksops.ts";
import type { KustomizationDocument } from "./kustomize.ts";
import { renderRepository, type RenderedDocument } from "./render.ts";
import type { GitOpsView } from "./types.ts";
import { sourceKey, type VariableSource } from "./variables.ts";

export type { KustomizationDocument } from "./kustomize.ts";
export type { RenderedDocument } from "./render.ts";
export type { AppliedBy, AppliedKustomization, FluxKustomization, GitOpsView, KsopsGenerator, Origin } from "./types.ts";
export { substitute, VARIABLE_NAME, type SubstitutionResult, type VariableValue } from "./envsubst.ts";
export { isFluxKustomization } from "./flux-kustomization.ts";
export { appliersOf, chartTemplateProblems, decryptionProblems, type DecryptionContext } from "./decryption.ts";

/** Kinds the scan parses for this room, besides the ones gitcert reads itself. */
export const GITOPS_KINDS: readonly string[] = ["Kustomization", "HelmRelease", "Application", "ApplicationSet", "ArtifactGenerator"];

/** Kinds whose failure to render is worth a diagnostic (the rest are only looked at). */
const REPORTED_KINDS: ReadonlySet<string> = new Set(["Certificate", "Issuer", "ClusterIssuer", "Ingress", "Gateway", "Secret", "Kustomization"]);

export interface GitOpsInput {
  files: ReadonlyArray<{ path: string; text: string }>;
  documents: ReadonlyMap<string, readonly ManifestDocument[]>;
  kustomizations: readonly KustomizationDocument[];
  namespaces: NamespaceResolver;
  charts: ReadonlySet<string>;
  clusterPath?: string;
  decryptedSecrets?: ReadonlyMap<string, Record<string, string>>;
  /** The scan's parser, limited to `kinds`. */
  parse(file: { path: string; text: string }, kinds: ReadonlySet<string>): ManifestDocument[];
}

export interface GitOpsReading {
  /** Per file (in file order), the objects as they reach the cluster. */
  documents: Map<string, RenderedDocument[]>;
  view: GitOpsView;
  diagnostics: Diagnostic[];
}

export function readGitOps(input: GitOpsInput): GitOpsReading {
  const texts = new Map(input.files.map((f) => [f.path, f.text]));
  const variableSources = substitutionSources(input);
  const rendered = renderRepository({
    files: input.files,
    documents: input.documents,
    kustomizations: input.kustomizations,
    variableSources,
    namespaces: input.namespaces,
    ...(input.clusterPath ? { clusterPath: input.clusterPath } : {}),
    ...(input.decryptedSecrets ? { decryptedSecrets: input.decryptedSecrets } : {}),
    reportKinds: REPORTED_KINDS,
  });
  const invisible = invisibleCertificates({
    files: input.files,
    documents: rendered.documents,
    kustomizations: input.kustomizations,
    charts: input.charts,
    namespaceOf: (doc) => input.namespaces.forObject(doc.object, doc.source.file),
  });
  const ksops = ksopsGenerators(input.kustomizations, texts, (file) => input.parse(file, new Set([KSOPS_KIND])));
  return {
    documents: rendered.documents,
    diagnostics: [...rendered.diagnostics, ...invisible],
    view: {
      kustomizations: rendered.kustomizations,
      charts: [...input.charts].sort(),
      incomplete: rendered.incomplete,
      sealedSources: rendered.sealedSources.map((s) => ({ namespace: s.namespace, name: s.name, source: s.source })),
      ksops,
    },
  };
}

/**
 * The ConfigMaps and Secrets Flux could substitute from. Secrets are parsed
 * anyway; ConfigMaps only in files that name one a Flux Kustomization (or a
 * patch of one) mentions, since most ConfigMaps are nobody's variables.
 */
function substitutionSources(input: GitOpsInput): Map<string, VariableSource> {
  const sources = new Map<string, VariableSource>();
  const add = (doc: ManifestDocument, kind: "ConfigMap" | "Secret") => {
    const metadata = isRecord(doc.object.metadata) ? doc.object.metadata : {};
    if (typeof metadata.name !== "string") return;
    const namespace = input.namespaces.forObject(doc.object, doc.source.file);
    const sops = isRecord(doc.object.sops) ? doc.object.sops : undefined;
    const key = sourceKey(kind, namespace, metadata.name);
    if (!sources.has(key)) sources.set(key, { kind, namespace, name: metadata.name, object: doc.object, source: doc.source, encrypted: typeof sops?.mac === "string" });
  };
  const names = new Set<string>();
  for (const docs of input.documents.values()) {
    for (const doc of docs) {
      if (doc.object.kind === "Secret" && doc.object.apiVersion === "v1") add(doc, "Secret");
      if (!isFluxKustomization(doc.object)) continue;
      const text = JSON.stringify(doc.object);
      if (!text.includes("substituteFrom")) continue;
      for (const m of text.matchAll(/name(?:\\?"\s*:\s*\\?"|:\s*)([A-Za-z0-9][A-Za-z0-9._-]*)/g)) names.add(m[1]!);
    }
  }
  if (names.size === 0) return sources;
  const mentions = new RegExp(`\\b(${[...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})\\b`);
  for (const file of input.files) {
    if (!file.text.includes("ConfigMap") || !mentions.test(file.text)) continue;
    for (const doc of input.parse(file, new Set(["ConfigMap"]))) if (doc.object.apiVersion === "v1") add(doc, "ConfigMap");
  }
  return sources;
}

export { FLUX_KUSTOMIZE_GROUP };
