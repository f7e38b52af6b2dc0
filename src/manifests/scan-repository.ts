// The scan step of the reconcile: repository folder -> ScanResult.
//
// scanRepository reads; scanFiles does everything after reading and is a
// pure function of the file texts, so tests and the benchmark drive it
// without a file system. What one file's text yields (a template? can it
// hold a kind gitcert reads? its parsed documents) depends on that text
// alone, so a long-running gitcert keeps it per Git blob (ParseCache) and a
// tick parses only files whose content changed.
import { diagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import { discover, withoutAnswered, type DiscoveredDocument } from "../discovery/discover.ts";
import type { ClusterView, DiscoverySettings } from "../discovery/types.ts";
import { GITOPS_KINDS, MAY_ASK_FOR_CERTIFICATES, readGitOps, RENDERED_ELSEWHERE_KINDS, type GitOpsContext, type KustomizationDocument, type RenderedDocument } from "../gitops/index.ts";
import { DEFAULT_INCLUDE, DEFAULT_MAX_FILE_BYTES, readRepositoryFiles } from "../repo/scan.ts";
import { namespaceResolver } from "./namespace.ts";
import { chartDirsOf, chartOfTemplate, isTemplateFile, parseManifests, templateSkipped, type ParsedFile, type ParseOptions } from "./parse.ts";
import { ParseCache, type ScanGeneration } from "./parse-cache.ts";
import { isKustomizationPath, keptSink, kustomizationFromDocuments, recognize, RECOGNIZED_KINDS, type RecognizeContext, type RecognizeSink } from "./recognize.ts";
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
  /** What Flux or Argo CD applied, read from the cluster: merged with Git's objects (src/discovery). */
  cluster?: { view: ClusterView & { objects: NonNullable<ClusterView["objects"]> }; settings: DiscoverySettings };
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

/** What one file's text yields; the same for the same content. */
export interface FileReading {
  bytes: number;
  /** A Go/Helm template: skipped. */
  templated: boolean;
  /** Where its template syntax is, when templated. */
  templateLine?: number;
  /** Set when the file was parsed (a kustomization, or a file that may hold a kind gitcert or the GitOps room reads). */
  parsed?: ParsedFile;
}

export interface CachedScan {
  cache: ParseCache;
  /**
   * Git blob id by repository path, for regular files whose content in the
   * working tree is the blob (not symlinks, not modified since checkout).
   * Only asked path by path: a Map, or a view over what the caller keeps.
   */
  blobs: BlobIds;
  /**
   * The files to scan and the problems met finding them, when the caller
   * keeps them (from Git's objects, a file's text read only when its blob
   * is not known); without, the working tree is walked and read.
   */
  files?: { files: SourceFile[]; diagnostics: Diagnostic[] };
}

type BlobIds = Pick<ReadonlyMap<string, string>, "get">;

interface Readings {
  generation: ScanGeneration;
  blobs: BlobIds;
}

export async function scanRepository(root: string, options: ScanOptions, openSealed?: SealedVariableReader, cached?: CachedScan): Promise<ScanResult> {
  const read = cached?.files ?? (await readRepositoryFiles(root, options));
  // Without a kept cache, one for this call when a second pass follows: the
  // texts cannot change between the passes, so each path is its own content.
  const readings = cached
    ? { generation: cached.cache.begin(), blobs: cached.blobs }
    : openSealed
      ? { generation: new ParseCache().begin(), blobs: new Map(read.files.map((f) => [f.path, "this scan"])) }
      : undefined;
  let result = scanFiles(read.files, options, readings);
  const sealed = result.gitops?.sealedSources ?? [];
  if (openSealed && sealed.length > 0) {
    // Rendered again with the values: a second pass over text already read.
    const opened = await openSealed(sealed, result);
    result = scanFiles(read.files, { ...options, decryptedSecrets: opened.values }, readings);
    result.diagnostics.push(...opened.diagnostics);
  }
  readings?.generation.end();
  result.diagnostics = sortDiagnostics([...read.diagnostics, ...result.diagnostics]);
  return result;
}

const PARSED_KINDS: ReadonlySet<string> = new Set([...RECOGNIZED_KINDS, ...GITOPS_KINDS]);
const PARSE_OBJECTS: ParseOptions = { wantKind: (kind) => PARSED_KINDS.has(kind) };
const PARSED_WITH_RENDERERS: ReadonlySet<string> = new Set([...PARSED_KINDS, ...RENDERED_ELSEWHERE_KINDS]);
const PARSE_WITH_RENDERERS: ParseOptions = { wantKind: (kind) => PARSED_WITH_RENDERERS.has(kind) };
const PARSE_OWNERS: ParseOptions = { wantKind: (kind) => RENDERED_ELSEWHERE_KINDS.includes(kind) };
const MAY_HOLD_RENDERER = new RegExp(`\\b(${RENDERED_ELSEWHERE_KINDS.join("|")})\\b`);

// YAML parsing is nearly all of a scan's cost, and most files in a platform
// repository (Deployments, Services, ConfigMaps…) are not gitcert's business.
// A file that does not even mention a kind gitcert reads (or a List that
// could hold one) cannot yield anything, so it is not parsed. A false
// positive only costs a parse.
const MAY_HOLD_RECOGNIZED_KIND = new RegExp(`\\b(${[...PARSED_KINDS, "List"].join("|")})\\b`);

export function scanFiles(
  files: readonly SourceFile[],
  options: Pick<ScanOptions, "defaultNamespace" | "defaultIssuer" | "clusterPath" | "decryptedSecrets" | "cluster">,
  readings?: Readings,
): ScanResult {
  const result: ScanResult = {
    issuers: [],
    certificates: [],
    secrets: [],
    secretMakers: [],
    kustomizations: [],
    diagnostics: [],
    stats: { files: 0, documents: 0 },
    gitops: { kustomizations: [], charts: [], incomplete: false, sealedSources: [], ksops: [], owners: [], applications: [] },
  };
  const chartDirs = chartDirsOf(files.map((f) => f.path));

  // Pass 1: parse every file once (or take what its blob yielded before).
  // Kustomizations must all be known before any object's namespace can be
  // decided, so objects wait for pass 2.
  const documents = new Map<string, ManifestDocument[]>();
  const kustomizationDocuments: KustomizationDocument[] = [];
  for (const file of files) {
    const reading = readingFor(file, readings);
    result.stats.files++;
    const owners = options.cluster ? ownerDocuments(file, reading) : [];
    // Helm renders every `{{` of a chart's template, even one in a quoted
    // string; a chart's templates are named by the InvisibleCertificates notes.
    const chartTemplate = chartDirs.size > 0 && chartOfTemplate(file.path, chartDirs) !== undefined && isTemplateFile(file.text);
    if (reading.templated || chartTemplate) {
      result.diagnostics.push(templateSkipped(file.path, chartTemplate ? 1 : (reading.templateLine ?? 1), chartTemplate ? "debug" : "info"));
      if (owners.length > 0) documents.set(file.path, owners);
      continue;
    }
    const parsed = reading.parsed;
    if (!parsed) {
      if (owners.length > 0) documents.set(file.path, owners);
      continue;
    }
    result.stats.documents += parsed.documentCount;
    if (parsed.diagnostics.length > 0) result.diagnostics.push(...parsed.diagnostics);
    if (isKustomizationPath(file.path)) {
      const k = kustomizationFromDocuments(file.path, parsed.documents);
      if (k) {
        result.kustomizations.push(k);
        kustomizationDocuments.push({ file: k.file, dir: k.dir, object: parsed.documents[0]!.object, source: parsed.documents[0]!.source });
      }
    } else if (parsed.documents.length > 0 || owners.length > 0) {
      documents.set(file.path, [...parsed.documents, ...owners]);
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
  const defaults = JSON.stringify(options.defaultIssuer ?? null);
  const discovered = options.cluster ? discoverInCluster(options.cluster, gitops, ctx) : undefined;
  if (discovered) result.diagnostics = [...withoutAnswered(result.diagnostics, discovered.documents, options.cluster!.view.server), ...discovered.diagnostics];
  for (const rendered of [...gitops.documents.values(), discovered?.documents ?? []]) {
    for (const doc of rendered) {
      const out = recognized(doc, ctx, defaults);
      result.issuers.push(...out.issuers);
      result.certificates.push(...out.certificates);
      result.secrets.push(...out.secrets);
      if (out.secretMakers) result.secretMakers!.push(...out.secretMakers);
      result.diagnostics.push(...out.diagnostics);
    }
  }
  result.diagnostics = sortDiagnostics(result.diagnostics);
  // What the cluster showed, or values decrypted for this scan, are not kept with it: a scan with either is never updated.
  if (!options.cluster && !options.decryptedSecrets) SCAN_CONTEXTS.set(result, { gitops: gitops.context, defaultNamespace: options.defaultNamespace, defaultIssuer: options.defaultIssuer, defaults, chartDirs });
  return result;
}

/**
 * What a scan knew beyond its result, for updating it to a commit that
 * edits a few files (scan-update.ts): how the GitOps room rendered each
 * file, namespaces, the chart folders. Kept with the result (a weak
 * reference), never in it.
 */
export interface ScanContext {
  gitops: GitOpsContext;
  /** Namespaces come from the result's kustomizations and this (a resolver is cheap to make, and would keep one entry per folder). */
  defaultNamespace: string;
  defaultIssuer?: IssuerRef;
  /** The default issuer as the RECOGNIZED memo compares it (JSON). */
  defaults: string;
  chartDirs: ReadonlySet<string>;
}

const SCAN_CONTEXTS = new WeakMap<ScanResult, ScanContext>();

export function scanContextOf(scan: ScanResult): ScanContext | undefined {
  return SCAN_CONTEXTS.get(scan);
}

/** `scan` is `updated` with the same context (its files' renderings and namespaces held as they were). */
export function keepScanContext(scan: ScanResult, context: ScanContext): void {
  SCAN_CONTEXTS.set(scan, context);
}

/** What one rendered object yields, kept by object (RECOGNIZED), with where it came from set on what it yields. */
export function recognized(doc: RenderedDocument | DiscoveredDocument, ctx: RecognizeContext, defaults: string): RecognizeSink {
  const namespace = ctx.namespaces.forObject(doc.object, doc.source.file);
  const { file, line } = doc.source;
  let known = RECOGNIZED.get(doc.object);
  if (known?.namespace !== namespace || known.file !== file || known.line !== line || known.defaults !== defaults) {
    known = { namespace, file, line, defaults, out: keptSink(recognizeOne(doc, ctx)) };
    RECOGNIZED.set(doc.object, known);
  }
  const secretFolder = doc.origin?.cluster?.secretFolder;
  for (const c of known.out.certificates) {
    c.origin = doc.origin;
    if (secretFolder && "dir" in secretFolder) c.secretDir = secretFolder.dir;
  }
  for (const i of known.out.issuers) i.origin = doc.origin;
  return known.out;
}

/**
 * With the cluster's objects to trace back to their owners, every
 * HelmRelease and ApplicationSet may be one: those the reading did not
 * parse (they ask for no certificate, or their values hold the chart's own
 * `{{ … }}`, which makes the file look like a template) are parsed for
 * that alone. Not kept in the parse cache: only a run with a cluster pays.
 */
function ownerDocuments(file: SourceFile, reading: FileReading): ManifestDocument[] {
  if (isKustomizationPath(file.path) || !MAY_HOLD_RENDERER.test(file.text)) return [];
  if (reading.parsed && MAY_ASK_FOR_CERTIFICATES.test(file.text)) return []; // readingOf parsed them already
  const owners = parseManifests(file, PARSE_OWNERS);
  return owners.diagnostics.length === 0 ? owners.documents : [];
}

/** The cluster's objects Git does not render, traced to their owners here; the rest compared with Git's. */
function discoverInCluster(
  cluster: NonNullable<ScanOptions["cluster"]>,
  gitops: ReturnType<typeof readGitOps>,
  ctx: RecognizeContext,
): { documents: DiscoveredDocument[]; diagnostics: Diagnostic[] } {
  return discover({
    cluster: cluster.view,
    settings: cluster.settings,
    view: gitops.view,
    gitDocuments: [...gitops.documents.values()].flat(),
    namespaceOf: (doc) => ctx.namespaces.forObject(doc.object, doc.source.file),
    read: (doc) => recognizeOne(doc, ctx),
  });
}

function readingFor(file: SourceFile, readings: Readings | undefined): FileReading {
  const blob = readings?.blobs.get(file.path);
  const known = blob === undefined ? undefined : readings!.generation.get(file.path, blob);
  if (known) return known;
  const reading = readingOf(file);
  if (blob !== undefined) readings!.generation.set(file.path, blob, reading);
  else readings?.generation.miss();
  return reading;
}

export function readingOf(file: SourceFile): FileReading {
  const bytes = file.bytes ?? Buffer.byteLength(file.text);
  const kustomization = isKustomizationPath(file.path);
  const renderer = !kustomization && MAY_HOLD_RENDERER.test(file.text) && MAY_ASK_FOR_CERTIFICATES.test(file.text);
  if (!kustomization && !renderer && !MAY_HOLD_RECOGNIZED_KIND.test(file.text)) return { bytes, templated: false };
  // A file holding `{{` is parsed too: only one that does not read as YAML is a template.
  const parsed = parseManifests(file, kustomization ? {} : renderer ? PARSE_WITH_RENDERERS : PARSE_OBJECTS);
  if (parsed.templateLine !== undefined) return { bytes, templated: true, templateLine: parsed.templateLine };
  for (const doc of parsed.documents) doc.object = detached(doc.object.kind === "Secret" ? slimSealedSecret(doc.object) : doc.object.kind === "SealedSecret" ? withoutCiphertext(doc.object) : doc.object);
  return { bytes, templated: false, parsed };
}

/**
 * A copy whose strings do not share memory with the file's text. The YAML
 * parser's longer strings are slices of the text, and a slice keeps the
 * whole text alive: a kept reading of a Secret file (a few bytes of
 * annotations) would hold the file's kilobytes of ciphertext.
 */
function detached<T>(value: T): T {
  if (typeof value === "string") return (value.length < 13 ? value : ` ${value}`.slice(1)) as T;
  if (Array.isArray(value)) return value.map(detached) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [detached(k), detached(v)])) as T;
  }
  return value;
}

/**
 * A SOPS-encrypted Secret as planning reads it: metadata, type, its data
 * keys and its `sops:` block without the wrapped data keys. The
 * ciphertext (kilobytes a value) is dropped, so a long-running gitcert does
 * not hold every encrypted value of the repository; what decrypts it reads
 * the file. Plaintext Secrets are kept whole (Flux may substitute variables
 * from them).
 */
function slimSealedSecret(object: Record<string, unknown>): Record<string, unknown> {
  const sops = object.sops;
  if (sops === null || typeof sops !== "object" || typeof (sops as Record<string, unknown>).mac !== "string") return object;
  const keysOnly = (v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, ""])) : v);
  // Planning reads the recipients (rekeying) and the MAC's presence; each recipient's `enc` (the wrapped data key) only decryption needs.
  const withoutEnc = (v: unknown) => (Array.isArray(v) ? v.map((e: unknown) => (e !== null && typeof e === "object" && "enc" in e ? { ...e, enc: "" } : e)) : v);
  // The MAC, likewise: planning reads only that there is one (what decrypts or rekeys reads the file).
  const slimSops = Object.fromEntries(Object.entries(sops).map(([k, v]) => [k, k === "mac" && v !== "" ? MAC_LEFT_OUT : withoutEnc(v)]));
  const slim: Record<string, unknown> = { ...object, sops: slimSops };
  if ("data" in object) slim.data = keysOnly(object.data);
  if ("stringData" in object) slim.stringData = keysOnly(object.stringData);
  return slim;
}

/** What a kept reading holds for a SOPS file's `mac`: not empty, so the file reads as encrypted. */
const MAC_LEFT_OUT = "ENC[left out: read from the file]";

/** A Bitnami SealedSecret without its `spec.encryptedData`: planning reads only its name. */
function withoutCiphertext(object: Record<string, unknown>): Record<string, unknown> {
  const spec = object.spec;
  if (spec === null || typeof spec !== "object" || !("encryptedData" in spec)) return object;
  return { ...object, spec: { ...spec, encryptedData: {} } };
}

/**
 * What each object yielded, where it landed. An object a ParseCache keeps
 * is the same at the next scan (and so is one the GitOps room passes on
 * unpatched), so an unchanged Certificate is not validated again on every
 * tick; the entry goes with the object (a weak reference). What it was
 * recognised with is kept field by field, not as a key string built for
 * each of thousands of documents.
 */
const RECOGNIZED = new WeakMap<object, { namespace: string; file: string; line: number; defaults: string; out: RecognizeSink }>();

function recognizeOne(doc: ManifestDocument, ctx: RecognizeContext): RecognizeSink {
  const out: RecognizeSink = { issuers: [], certificates: [], secrets: [], diagnostics: [] };
  try {
    recognize(doc, ctx, out);
  } catch (err) {
    // A bug in one recogniser must not cost the other certificates.
    out.diagnostics.push(diagnostic("InternalError", `could not read this object: ${err instanceof Error ? err.message : String(err)}`, { source: doc.source }));
  }
  return out;
}

/** By file then line (stable), so `plan` output reads top to bottom. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
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
