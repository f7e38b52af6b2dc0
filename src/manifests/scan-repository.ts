// The scan step of the reconcile: repository folder -> ScanResult.
//
// scanRepository reads; scanFiles does everything after reading and is a
// pure function of the file texts, so tests and the benchmark drive it
// without a file system.
import { diagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import { GITOPS_KINDS, MAY_ASK_FOR_CERTIFICATES, readGitOps, RENDERED_ELSEWHERE_KINDS, type KustomizationDocument } from "../gitops/index.ts";
import { DEFAULT_INCLUDE, DEFAULT_MAX_FILE_BYTES, readRepositoryFiles } from "../repo/scan.ts";
import { namespaceResolver } from "./namespace.ts";
import { chartDirsOf, isTemplateFile, parseManifests, templateSkipped, type ParseOptions } from "./parse.ts";
import { isKustomizationPath, kustomizationFromDocuments, recognize, RECOGNIZED_KINDS } from "./recognize.ts";
import type { IssuerRef, ManifestDocument, ScanResult } from "./types.ts";

export interface ScanOptions {
  /** Globs over repository-relative paths. */
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  /** For objects with no `metadata.namespace` and no kustomization namespace above them. */
  defaultNamespace: string;
  /** The issuer for Ingresses annotated only `kubernetes.io/tls-acme: "true"`. */
  defaultIssuer?: IssuerRef;
  /** The folder of the cluster gitcert serves, when the repository holds several (`gitops.clusterPath`). */
  clusterPath?: string;
  /** Decrypted SOPS Secrets (`namespace/name` → values) Flux substitutes from: `run` only, `plan` never decrypts. */
  decryptedSecrets?: ReadonlyMap<string, Record<string, string>>;
}

export const DEFAULT_SCAN_OPTIONS: Readonly<ScanOptions> = {
  include: [...DEFAULT_INCLUDE],
  exclude: [],
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  defaultNamespace: "default",
};

export interface SourceFile {
  /** Repository-relative POSIX path. */
  path: string;
  text: string;
  /** Size in bytes, when the reader knows it (saves re-encoding for stats). */
  bytes?: number;
}

/**
 * Opens the SOPS Secrets Flux substitutes variables from (`run` passes one,
 * with the age identity; `plan` does not, and never decrypts): their values
 * by `namespace/name`, and what could not be opened.
 */
export type SealedVariableReader = (
  sealed: ReadonlyArray<{ namespace: string; name: string; source: SourceRef }>,
  scan: ScanResult,
) => Promise<{ values: Map<string, Record<string, string>>; diagnostics: Diagnostic[] }>;

export async function scanRepository(root: string, options: ScanOptions, openSealed?: SealedVariableReader): Promise<ScanResult> {
  const read = await readRepositoryFiles(root, options);
  let result = scanFiles(read.files, options);
  const sealed = result.gitops?.sealedSources ?? [];
  if (openSealed && sealed.length > 0) {
    // Rendered again with the values: a second pass over text already read.
    const opened = await openSealed(sealed, result);
    result = scanFiles(read.files, { ...options, decryptedSecrets: opened.values });
    result.diagnostics.push(...opened.diagnostics);
  }
  result.diagnostics = sortDiagnostics([...read.diagnostics, ...result.diagnostics]);
  return result;
}

const PARSED_KINDS: ReadonlySet<string> = new Set([...RECOGNIZED_KINDS, ...GITOPS_KINDS]);
const PARSE_OBJECTS: ParseOptions = { wantKind: (kind) => PARSED_KINDS.has(kind) };
const PARSED_WITH_RENDERERS: ReadonlySet<string> = new Set([...PARSED_KINDS, ...RENDERED_ELSEWHERE_KINDS]);
const PARSE_WITH_RENDERERS: ParseOptions = { wantKind: (kind) => PARSED_WITH_RENDERERS.has(kind) };
const MAY_HOLD_RENDERER = new RegExp(`\\b(${RENDERED_ELSEWHERE_KINDS.join("|")})\\b`);

// YAML parsing is nearly all of a scan's cost, and most files in a platform
// repository (Deployments, Services, ConfigMaps…) are not gitcert's business.
// A file that does not even mention a kind gitcert reads (or a List that
// could hold one) cannot yield anything, so it is not parsed. A false
// positive only costs a parse.
const MAY_HOLD_RECOGNIZED_KIND = new RegExp(`\\b(${[...PARSED_KINDS, "List"].join("|")})\\b`);

export function scanFiles(
  files: readonly SourceFile[],
  options: Pick<ScanOptions, "defaultNamespace" | "defaultIssuer" | "clusterPath" | "decryptedSecrets">,
): ScanResult {
  const result: ScanResult = {
    issuers: [],
    certificates: [],
    secrets: [],
    kustomizations: [],
    diagnostics: [],
    stats: { files: 0, documents: 0, bytes: 0 },
    gitops: { kustomizations: [], charts: [], incomplete: false, sealedSources: [], ksops: [] },
  };
  const chartDirs = chartDirsOf(files.map((f) => f.path));

  // Pass 1: parse every file once. Kustomizations must all be known before
  // any object's namespace can be decided, so objects wait for pass 2.
  const documents = new Map<string, ManifestDocument[]>();
  const kustomizationDocuments: KustomizationDocument[] = [];
  for (const file of files) {
    result.stats.files++;
    result.stats.bytes += file.bytes ?? Buffer.byteLength(file.text);
    if (isTemplateFile(file.text)) {
      result.diagnostics.push(templateSkipped(file.path));
      continue;
    }
    const kustomization = isKustomizationPath(file.path);
    const renderer = !kustomization && MAY_HOLD_RENDERER.test(file.text) && MAY_ASK_FOR_CERTIFICATES.test(file.text);
    if (!kustomization && !renderer && !MAY_HOLD_RECOGNIZED_KIND.test(file.text)) continue;
    const parsed = parseManifests(file, kustomization ? {} : renderer ? PARSE_WITH_RENDERERS : PARSE_OBJECTS);
    result.stats.documents += parsed.documentCount;
    if (parsed.diagnostics.length > 0) result.diagnostics.push(...parsed.diagnostics);
    if (kustomization) {
      const k = kustomizationFromDocuments(file.path, parsed.documents);
      if (k) {
        result.kustomizations.push(k);
        kustomizationDocuments.push({ file: k.file, dir: k.dir, object: parsed.documents[0]!.object, source: parsed.documents[0]!.source });
      }
    } else if (parsed.documents.length > 0) {
      documents.set(file.path, parsed.documents);
    }
  }

  // The repository as Flux applies it: patches, target namespaces and
  // substitutions, and what stays invisible until a chart is rendered.
  const namespaces = namespaceResolver(result.kustomizations, options.defaultNamespace);
  const gitops = readGitOps({
    files,
    documents,
    kustomizations: kustomizationDocuments,
    namespaces,
    charts: chartDirs,
    clusterPath: options.clusterPath,
    decryptedSecrets: options.decryptedSecrets,
    parse: (file, kinds) => parseManifests(file, { wantKind: (kind) => kinds.has(kind) }).documents,
  });
  result.diagnostics.push(...gitops.diagnostics);
  result.gitops = gitops.view;

  // Pass 2: recognise, now that namespaces can be resolved.
  const ctx = { namespaces, defaultIssuer: options.defaultIssuer };
  for (const rendered of gitops.documents.values()) {
    for (const doc of rendered) {
      const before = { certificates: result.certificates.length, issuers: result.issuers.length };
      try {
        recognize(doc, ctx, result);
      } catch (err) {
        // A bug in one recogniser must not cost the other certificates.
        result.diagnostics.push(
          diagnostic("InternalError", `could not read this object: ${err instanceof Error ? err.message : String(err)}`, {
            source: doc.source,
          }),
        );
      }
      for (const c of result.certificates.slice(before.certificates)) c.origin = doc.origin;
      for (const i of result.issuers.slice(before.issuers)) i.origin = doc.origin;
    }
  }
  result.diagnostics = sortDiagnostics(result.diagnostics);
  return result;
}

/** By file then line (stable), so `plan` output reads top to bottom. */
function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = a.d.source?.file ?? "";
      const fb = b.d.source?.file ?? "";
      if (fa !== fb) return fa < fb ? -1 : 1;
      const la = a.d.source?.line ?? 0;
      const lb = b.d.source?.line ?? 0;
      return la - lb || a.i - b.i;
    })
    .map((x) => x.d);
}
