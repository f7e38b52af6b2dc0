// A kept scan brought to a commit that edits a few files, without scanning
// the repository again: each edited file's objects are rendered and
// recognised alone, with what the scan knew of the rest (ScanContext), and
// what they yield takes the place of what its old objects yielded. A full
// scan is always right; this is only for edits that cannot change anything
// outside the file's own objects, and anything else is left to one:
//
// - a kustomization file, a file of a Helm chart, a template: they change
//   how other files are read (namespaces, builds, the chart's notes);
// - an object of any kind but those gitcert reads per object (a Flux
//   Kustomization, an Argo CD Application, a HelmRelease, an
//   ArtifactGenerator decide what else renders, and how) — before or after
//   the edit, as written or as rendered;
// - a Secret some Flux Kustomization takes variables from (or looked for
//   and did not find), or any file when the scan searched the repository
//   for a variable's definition: other objects' substitution reads them;
// - an object whose rendering needs the repository's variables again, or is
//   left out for them (incomplete, sealed): that is the whole repository's.
// (And, before this is asked at all, any file the last scan read as text
// (src/daemon/snapshot.ts): a Flux Kustomization that substitutes from a
// ConfigMap reads every file's text to find it, so in such a repository
// every push is scanned again.)
// A kustomize patch targeting by name or label, a kustomization's or Flux
// Kustomization's namespace, Flux's postBuild substitution from values
// already read: these are applied again to the edited objects, as the full
// render applied them (renderFileAgain).
//
// The file's old objects are rendered the same way first, and must give
// exactly what the kept scan holds for the file; if not, the context does
// not cover something and the whole scan runs.
import { isDeepStrictEqual } from "node:util";
import type { Diagnostic } from "../diagnostics.ts";
import { readFileAgain } from "../gitops/index.ts";
import { walkOrder } from "../repo/scan.ts";
import { isRecord } from "../schema/index.ts";
import { namespaceResolver } from "./namespace.ts";
import { isKustomizationPath, RECOGNIZED_KINDS, type RecognizeContext } from "./recognize.ts";
import { keepScanContext, recognized, scanContextOf, sortDiagnostics, type FileReading, type ScanContext } from "./scan-repository.ts";
import type { ManifestDocument, ScanResult } from "./types.ts";

/** A file edited in place: what its old and new content yield. */
export interface FileEdit {
  path: string;
  before: FileReading;
  after: FileReading;
}

/** What one file contributes to a scan, in the scan's order. */
interface FileYield {
  issuers: ScanResult["issuers"];
  certificates: ScanResult["certificates"];
  secrets: ScanResult["secrets"];
  secretMakers: NonNullable<ScanResult["secretMakers"]>;
  diagnostics: Diagnostic[];
}

/**
 * `kept` as a full scan of the commit that makes `edits` would give it, or
 * undefined when the edits are not of the kind this can follow (see the top
 * of this file): the caller scans.
 */
export function updateScan(kept: ScanResult, edits: readonly FileEdit[]): ScanResult | undefined {
  const context = scanContextOf(kept);
  if (!context || context.gitops.searched) return undefined;
  let scan: ScanResult = { ...kept, stats: { ...kept.stats } };
  const recognize = { namespaces: namespaceResolver(kept.kustomizations, context.defaultNamespace), defaultIssuer: context.defaultIssuer };
  for (const edit of edits) {
    const next = updateFile(scan, { ...context, recognize }, edit);
    if (!next) return undefined;
    scan = next;
  }
  keepScanContext(scan, context);
  return scan;
}

/** The scan's context with what objects are recognised with. */
type Context = ScanContext & { recognize: RecognizeContext };

function updateFile(scan: ScanResult, context: Context, { path, before, after }: FileEdit): ScanResult | undefined {
  if (isKustomizationPath(path) || before.templated || after.templated) return undefined;
  if ([...context.chartDirs].some((dir) => dir === "" || path.startsWith(`${dir}/`))) return undefined;
  const old = yieldOf(context, path, before);
  const now = old && yieldOf(context, path, after);
  if (!old || !now) return undefined;
  const issuers = splice(scan.issuers, path, old.issuers, now.issuers);
  const certificates = splice(scan.certificates, path, old.certificates, now.certificates);
  const secrets = splice(scan.secrets, path, old.secrets, now.secrets);
  const secretMakers = splice(scan.secretMakers ?? [], path, old.secretMakers, now.secretMakers);
  const diagnostics = spliceDiagnostics(scan.diagnostics, path, old.diagnostics, now.diagnostics);
  if (!issuers || !certificates || !secrets || !secretMakers || !diagnostics) return undefined;
  const documents = scan.stats.documents - (before.parsed?.documentCount ?? 0) + (after.parsed?.documentCount ?? 0);
  return { ...scan, issuers, certificates, secrets, secretMakers, diagnostics, stats: { ...scan.stats, documents } };
}

/** Kinds whose objects gitcert reads one by one, and nothing else renders from (but for the Secrets variables come from). */
const ALONE_KINDS: ReadonlySet<string> = RECOGNIZED_KINDS;

/** What `reading` of the file at `path` contributes to a scan made with `context`; undefined when that needs the whole repository. */
function yieldOf(context: Context, path: string, reading: FileReading): FileYield | undefined {
  const docs: readonly ManifestDocument[] = reading.parsed?.documents ?? [];
  if (!docs.every((doc) => readAlone(doc.object) && !variableSecret(context, path, doc))) return undefined;
  const rendered = readFileAgain(context.gitops, path, docs);
  if (!rendered || !rendered.objects.every(readAlone) || !rendered.documents.every((d) => readAlone(d.object))) return undefined;
  const out: FileYield = { issuers: [], certificates: [], secrets: [], secretMakers: [], diagnostics: [...(reading.parsed?.diagnostics ?? []), ...rendered.diagnostics] };
  for (const doc of rendered.documents) {
    const r = recognized(doc, context.recognize, context.defaults);
    out.issuers.push(...r.issuers);
    out.certificates.push(...r.certificates);
    out.secrets.push(...r.secrets);
    out.secretMakers.push(...(r.secretMakers ?? []));
    out.diagnostics.push(...r.diagnostics);
  }
  if (!out.diagnostics.every((d) => d.source?.file === path)) return undefined;
  out.diagnostics = sortDiagnostics(out.diagnostics);
  return out;
}

function readAlone(object: Record<string, unknown>): boolean {
  return typeof object.kind === "string" && ALONE_KINDS.has(object.kind);
}

/** A Secret the render looked up Flux variables in (by the name it has, before or after the edit). */
function variableSecret(context: Context, path: string, doc: ManifestDocument): boolean {
  if (doc.object.kind !== "Secret") return false;
  const name = isRecord(doc.object.metadata) ? doc.object.metadata.name : undefined;
  return typeof name === "string" && context.gitops.secretsAsked.has(`${context.recognize.namespaces.forObject(doc.object, path)}/${name}`);
}

/**
 * `list` with what the file at `path` yielded (`old`, found where the scan
 * put it: together, in file order) replaced by `now`; undefined when `old`
 * is not what the list holds for the file.
 */
function splice<T extends { source: { file: string } }>(list: readonly T[], path: string, old: readonly T[], now: readonly T[]): T[] | undefined {
  return spliceAt(list, (x) => x.source.file, (file) => walkOrder(file, path) > 0, path, old, now);
}

/** The same for diagnostics, which the scan sorts by file (then line, stably). */
function spliceDiagnostics(list: readonly Diagnostic[], path: string, old: readonly Diagnostic[], now: readonly Diagnostic[]): Diagnostic[] | undefined {
  return spliceAt(list, (d) => d.source?.file ?? "", (file) => file > path, path, old, now);
}

function spliceAt<T>(list: readonly T[], fileOf: (x: T) => string, after: (file: string) => boolean, path: string, old: readonly T[], now: readonly T[]): T[] | undefined {
  let start = -1;
  let end = -1;
  for (let i = 0; i < list.length; i++) {
    if (fileOf(list[i]!) !== path) continue;
    if (start === -1) start = i;
    else if (end !== i) return undefined; // not together: not as a scan puts them
    end = i + 1;
  }
  if (start === -1) {
    if (old.length > 0) return undefined;
    start = list.findIndex((x) => after(fileOf(x)));
    if (start === -1) start = list.length;
    end = start;
  }
  if (end - start !== old.length || old.some((x, i) => !isDeepStrictEqual(list[start + i], x))) return undefined;
  if (old.length === 0 && now.length === 0) return list as T[];
  return [...list.slice(0, start), ...now, ...list.slice(end)];
}
