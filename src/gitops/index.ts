// The GitOps room: the repository as Flux and Argo CD turn it into objects
// (Flux Kustomizations with their patches, target namespaces and postBuild
// substitution; kustomize patches; KSOPS generators), what cannot be seen
// without rendering Helm, and whether what gitcert writes will be
// decrypted where it lands. Pure: files in, objects and diagnostics out.
import type { Diagnostic } from "../diagnostics.ts";
import type { ManifestDocument } from "../manifests/types.ts";
import type { NamespaceResolver } from "../manifests/namespace.ts";
import { isRecord } from "../schema/index.ts";
import { isKustomizationPath } from "../manifests/recognize.ts";
import { FLUX_KUSTOMIZE_GROUP } from "./flux-kustomization.ts";
import { invisibleCertificates } from "./invisible.ts";
import { KSOPS_KIND, ksopsGenerators } from "./ksops.ts";
import type { KustomizationDocument } from "./kustomize.ts";
import { renderFileAgain, renderRepository, type FileRendering, type RenderContext, type RenderedDocument } from "./render.ts";
import type { GitOpsView } from "./types.ts";
import { dataKeys, type VariableSource, type VariableSources } from "./variables.ts";

export type { KustomizationDocument } from "./kustomize.ts";
export type { RenderedDocument } from "./render.ts";
export type { AppliedApplication, AppliedBy, AppliedKustomization, ClusterOwner, ClusterSource, FluxKustomization, GitOpsView, KsopsGenerator, Origin, OwnerManifest } from "./types.ts";
export { substitute, VARIABLE_NAME, type SubstitutionResult, type VariableValue } from "./envsubst.ts";
export { isFluxKustomization } from "./flux-kustomization.ts";
export { appliersOf, chartTemplateProblems, decryptionProblems, type DecryptionContext } from "./decryption.ts";
export { applierKindLabel, applierLabel, appliersOfFolder, sameApplier, type FolderApplier } from "./folder-appliers.ts";
export { INVISIBLE_ADVICE, INVISIBLE_CODE } from "./invisible.ts";

/** Kinds the scan parses for this room, besides the ones gitcert reads itself: how objects reach the cluster. */
export const GITOPS_KINDS: readonly string[] = ["Kustomization", "ArtifactGenerator", "Application"];

/**
 * Kinds looked at only for what they may render (invisible.ts), and only in
 * files that mention something certificate-like: most HelmReleases are not,
 * and parsing is most of a scan's cost.
 */
export const RENDERED_ELSEWHERE_KINDS: readonly string[] = ["HelmRelease", "ApplicationSet"];
export { MAY_ASK_FOR_CERTIFICATES } from "./invisible.ts";

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
  /** What it took to read them, for readFileAgain. */
  context: GitOpsContext;
}

/** What a reading of the repository applied to each file's objects, and what it looked up among them. */
export interface GitOpsContext {
  render: RenderContext;
  /** The Secrets Flux variables were looked up in (`namespace/name`), found or not. */
  secretsAsked: ReadonlySet<string>;
  /** Whether the render searched the repository for where a variable is defined (every file's text, every Secret). */
  searched: boolean;
}

/**
 * One file's objects as readGitOps would have them, rendered alone with
 * what it knew (`context`), or undefined when that cannot be known without
 * the rest of the repository: the objects' rendering looked for a
 * variable's definition, or left something out for variables (`incomplete`
 * and sealed sources are the whole repository's). Right only for a file
 * whose objects change nothing another file renders into (the caller's to
 * know: see scan-update.ts).
 */
export function readFileAgain(context: GitOpsContext, file: string, docs: readonly ManifestDocument[]): Pick<FileRendering, "documents" | "diagnostics" | "objects"> | undefined {
  let consulted = false;
  const sources: VariableSources = {
    get: () => ((consulted = true), undefined),
    defining: () => ((consulted = true), []),
  };
  const r = renderFileAgain(context.render, file, docs, sources);
  if (consulted || r.incomplete || r.sealed.length > 0) return undefined;
  return { documents: r.documents, diagnostics: r.diagnostics, objects: r.objects };
}

export function readGitOps(input: GitOpsInput): GitOpsReading {
  const files = new Map(input.files.map((f) => [f.path, f]));
  const variableSources = new RepositoryVariableSources(input);
  const secretsAsked = new Set<string>();
  let searched = false;
  const rendered = renderRepository({
    files: input.files,
    documents: input.documents,
    kustomizations: input.kustomizations,
    variableSources: {
      get: (kind, namespace, name) => {
        if (kind === "Secret") secretsAsked.add(`${namespace}/${name}`);
        return variableSources.get(kind, namespace, name);
      },
      defining: (variable) => ((searched = true), variableSources.defining(variable)),
    },
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
  const ksops = ksopsGenerators(input.kustomizations, { get: (path) => files.get(path)?.text }, (file) => input.parse(file, new Set([KSOPS_KIND])));
  return {
    documents: rendered.documents,
    diagnostics: [...rendered.diagnostics, ...invisible],
    context: { render: rendered.context, secretsAsked, searched },
    view: {
      kustomizations: rendered.kustomizations,
      charts: [...input.charts].sort(),
      incomplete: rendered.incomplete,
      sealedSources: rendered.sealedSources.map((s) => ({ namespace: s.namespace, name: s.name, source: s.source })),
      ksops,
      owners: rendered.owners,
      applications: rendered.applications,
    },
  };
}

/**
 * The ConfigMaps and Secrets Flux could substitute from. Secrets are parsed
 * anyway; a ConfigMap is looked for only when a Kustomization names it (or
 * a hint needs a variable's definition), in the files that mention it:
 * most ConfigMaps are nobody's variables, and parsing is most of a scan.
 */
class RepositoryVariableSources implements VariableSources {
  private readonly input: GitOpsInput;
  private readonly secrets = new Map<string, VariableSource>();
  private readonly configMaps = new Map<string, VariableSource>();
  private readonly searched = new Set<string>();

  constructor(input: GitOpsInput) {
    this.input = input;
    for (const docs of input.documents.values()) {
      for (const doc of docs) if (doc.object.kind === "Secret" && doc.object.apiVersion === "v1") this.add(doc, "Secret", this.secrets);
    }
  }

  get(kind: "ConfigMap" | "Secret", namespace: string, name: string): VariableSource | undefined {
    if (kind === "ConfigMap") this.search(name);
    return (kind === "Secret" ? this.secrets : this.configMaps).get(`${namespace}/${name}`);
  }

  defining(variable: string): VariableSource[] {
    this.search(variable);
    return [...this.configMaps.values(), ...this.secrets.values()].filter((s) => dataKeys(s.object).includes(variable));
  }

  /** Parses the ConfigMaps of the files that mention `word`, once per word. */
  private search(word: string): void {
    if (this.searched.has(word)) return;
    this.searched.add(word);
    for (const file of this.input.files) {
      if (!file.text.includes(word) || !file.text.includes("ConfigMap") || isKustomizationPath(file.path)) continue;
      for (const doc of this.input.parse(file, CONFIG_MAP)) if (doc.object.apiVersion === "v1") this.add(doc, "ConfigMap", this.configMaps);
    }
  }

  private add(doc: ManifestDocument, kind: "ConfigMap" | "Secret", into: Map<string, VariableSource>): void {
    const metadata = isRecord(doc.object.metadata) ? doc.object.metadata : {};
    if (typeof metadata.name !== "string") return;
    const namespace = this.input.namespaces.forObject(doc.object, doc.source.file);
    const sops = isRecord(doc.object.sops) ? doc.object.sops : undefined;
    const key = `${namespace}/${metadata.name}`;
    if (!into.has(key)) into.set(key, { kind, namespace, name: metadata.name, object: doc.object, source: doc.source, encrypted: typeof sops?.mac === "string" });
  }
}

const CONFIG_MAP: ReadonlySet<string> = new Set(["ConfigMap"]);

export { FLUX_KUSTOMIZE_GROUP };
