// The repository as Flux applies it, offline: for every Flux Kustomization
// the files its build reads, each object patched by the kustomizations it
// passes through and by the Kustomization itself, moved to its
// targetNamespace, and substituted with its postBuild variables. Objects no
// Flux Kustomization reaches are returned as written.
//
// Kustomizations are walked from the roots down, each one as its parent
// rendered it (a parent's patches often add `postBuild` or `decryption` to
// its children). An object two Kustomizations render differently (two
// clusters in one repository, say) is not guessed at: it is reported, and
// `gitops.clusterPath` chooses the cluster.
import { posix } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import type { ManifestDocument } from "../manifests/types.ts";
import type { NamespaceResolver } from "../manifests/namespace.ts";
import { isRecord } from "../schema/index.ts";
import { applyPatch } from "./apply-patch.ts";
import { argoApplications, argoBuild } from "./argocd.ts";
import { mayNeedSubstitution, substitute } from "./envsubst.ts";
import { isFluxKustomization, readFluxKustomization } from "./flux-kustomization.ts";
import { deepEqual } from "./json-patch.ts";
import { KustomizeIndex, type Build, type KustomizationDocument, type Level } from "./kustomize.ts";
import type { AppliedApplication, AppliedBy, AppliedKustomization, FluxKustomization, Origin, OwnerManifest } from "./types.ts";
import { variablesOf, type Variables, type VariableSource, type VariableSources } from "./variables.ts";

export interface RenderInput {
  /** Every scanned file (repository paths), for builds and patch files. */
  files: ReadonlyArray<{ path: string; text: string }>;
  /** Parsed objects of each file, in file order. */
  documents: ReadonlyMap<string, readonly ManifestDocument[]>;
  kustomizations: readonly KustomizationDocument[];
  /** ConfigMaps and Secrets the repository holds. */
  variableSources: VariableSources;
  namespaces: NamespaceResolver;
  /** Only Flux Kustomizations reached from manifests under this folder render (empty: all). */
  clusterPath?: string;
  /** Decrypted SOPS Secrets (`namespace/name` → values) for substituteFrom: `run` only. */
  decryptedSecrets?: ReadonlyMap<string, Record<string, string>>;
  /** Kinds whose rendering problems are worth a diagnostic; others are returned as written. */
  reportKinds: ReadonlySet<string>;
}

export interface RenderedDocument extends ManifestDocument {
  origin: Origin;
}

export interface RenderResult {
  /** Per file, the objects as the cluster gets them (files with none are absent). */
  documents: Map<string, RenderedDocument[]>;
  /** Every Flux Kustomization that renders, with its build. */
  kustomizations: AppliedKustomization[];
  /** Files used as patches: never resources. */
  patchFiles: ReadonlySet<string>;
  diagnostics: Diagnostic[];
  /** SOPS Secrets holding variables that `plan` could not read. */
  sealedSources: VariableSource[];
  /** Some objects were left out for variables gitcert cannot see: nothing may be pruned. */
  incomplete: boolean;
  /** HelmReleases and Argo CD Applications, once per distinct rendering (what cluster objects may name as their owner). */
  owners: OwnerManifest[];
  /** Applications whose sources are folders of this repository, with their builds. */
  applications: AppliedApplication[];
  /** What rendered each file, for renderFileAgain. */
  context: RenderContext;
}

/**
 * What a render applied to the objects of any one file that is not a
 * Kustomization, an Application or a patch: the builds that read it, each
 * with the levels it passes through and what applies it, in the order the
 * render walked them. Kept by a long-running gitcert, so a file whose new
 * objects change nothing else can be rendered again alone.
 */
export interface RenderContext {
  /** Each Flux Kustomization as walked, then each Argo CD Application source. */
  passes: ReadonlyArray<{ build: Build; levelsOf(levels: readonly Level[]): Level[]; applier: Applier }>;
  patchFiles: ReadonlySet<string>;
  /** Every Flux Kustomization's build, counted or not: with a cluster folder, a file only other clusters apply is left out. */
  builds: readonly Build[];
  clusterPath?: string;
  reportKinds: ReadonlySet<string>;
}

/** One file's objects rendered again with what the whole render knew (RenderContext). */
export interface FileRendering {
  /** As renderRepository's `documents` has them for this file. */
  documents: RenderedDocument[];
  /** The render's diagnostics about these objects, in the order it gives them. */
  diagnostics: Diagnostic[];
  incomplete: boolean;
  sealed: VariableSource[];
  /** Every object some applier made of them (a kind that changes what else renders means the file cannot be rendered alone). */
  objects: Array<Record<string, unknown>>;
}

interface Rendering {
  object: Record<string, unknown>;
  origin: Origin;
  /** Worth saying, not a reason to leave the object out. */
  warnings?: Diagnostic[];
}

type Outcome = Rendering | { dropped: Diagnostic | undefined; incomplete?: boolean; sealed?: readonly VariableSource[] };

/** What applies a build: a Flux Kustomization (which may substitute) or an Argo CD Application. */
export interface Applier {
  appliedBy: AppliedBy;
  /** `Flux Kustomization ns/name (file:line)`, for messages. */
  via: string;
  /** Flux's variables; undefined when the applier substitutes nothing. */
  variables?: Variables;
  /** Why a `${…}` stays as written, when it does. */
  noSubstitution: string;
  /** Argo CD's destination namespace, for objects that end up with none. */
  defaultNamespace?: string;
}

export function renderRepository(input: RenderInput): RenderResult {
  // A file's text is read only when a build needs it (a patch file): a long-running gitcert keeps most unread.
  const files = new Map(input.files.map((f) => [f.path, f]));
  const clusterPath = folderOf(input.clusterPath);
  const index = new KustomizeIndex(files.keys(), input.kustomizations, (p) => files.get(p)?.text);
  const patchFiles = index.patchFiles();
  const artifacts = artifactIndex(input.documents);
  const diagnostics: Diagnostic[] = [];
  const sealed = new Set<VariableSource>();
  let incomplete = false;

  // Every Flux Kustomization as written, with the files its build reads.
  const raw: Array<{ doc: ManifestDocument; key: string; k: FluxKustomization; build?: Build }> = [];
  for (const [file, docs] of input.documents) {
    docs.forEach((doc, i) => {
      if (!isFluxKustomization(doc.object)) return;
      const r = readFluxKustomization(doc.object, doc.source, input.namespaces.forObject(doc.object, file));
      diagnostics.push(...r.diagnostics);
      if (!r.kustomization) return;
      const k = locate(r.kustomization, index, artifacts, diagnostics);
      raw.push({ doc, key: `${file}#${i}`, k, ...(k.dir !== undefined ? { build: index.build(k.dir) } : {}) });
    });
  }
  const includedBy = new Map<string, string[]>();
  for (const r of raw) {
    for (const e of r.build?.entries ?? []) {
      const list = includedBy.get(e.file) ?? [];
      list.push(r.key);
      includedBy.set(e.file, list);
    }
  }
  const parentsOf = (r: (typeof raw)[number]) => (includedBy.get(r.doc.source.file) ?? []).filter((key) => key !== r.key);
  const inCluster = (file: string) => !clusterPath || file === clusterPath || file.startsWith(`${clusterPath}/`);
  // With a cluster folder, only Kustomizations reached from it count; the
  // roots are those no other counted Kustomization applies.
  const counted = new Set(raw.filter((r) => inCluster(r.doc.source.file)).map((r) => r.key));
  if (clusterPath) {
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of raw) {
        if (counted.has(r.key) || !parentsOf(r).some((p) => counted.has(p))) continue;
        counted.add(r.key);
        grew = true;
      }
    }
  }
  const roots = raw.filter((r) => counted.has(r.key) && !parentsOf(r).some((p) => counted.has(p)));
  if (clusterPath && counted.size === 0) {
    // The cluster folder of a bootstrapped Kustomization (flux-system/gotk-sync.yaml) is the folder it applies.
    const dirOf = (file: string) => file.slice(0, Math.max(0, file.lastIndexOf("/")));
    const entryPoints = raw
      .filter((r) => parentsOf(r).length === 0)
      .map((r) => (r.k.dir !== undefined && r.doc.source.file.startsWith(`${r.k.dir}/`) ? r.k.dir : dirOf(r.doc.source.file)));
    diagnostics.push(clusterPathMatchesNothing(input.clusterPath!, clusterPath, entryPoints, [...files.keys()]));
  }

  const renderings = new Map<ManifestDocument, Array<Rendering | Outcome>>();
  const applied: AppliedKustomization[] = [];
  const walked = new Set<string>();
  const queue: Array<{ key: string; k: FluxKustomization }> = roots.map((r) => ({ key: r.key, k: r.k }));
  for (const r of roots) walked.add(r.key);
  const variableCache = new Map<FluxKustomization, Variables>();
  const passes: Array<RenderContext["passes"][number]> = [];
  while (queue.length > 0) {
    const { key, k } = queue.shift()!;
    const build = k.dir !== undefined ? index.build(k.dir) : undefined;
    applied.push({ kustomization: k, ...(build ? { build } : {}) });
    if (!build) continue;
    diagnostics.push(...build.problems);
    let variables = variableCache.get(k);
    if (!variables) {
      variables = variablesOf(k, input.variableSources, input.decryptedSecrets);
      variableCache.set(k, variables);
      if (variables.active && variables.invalidNames.length > 0) {
        diagnostics.push(
          diagnostic(
            "FluxInvalidVariableName",
            `Flux refuses variable name(s) ${variables.invalidNames.join(", ")} (names must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$), so it fails this whole Kustomization`,
            { source: k.source, object: kustomizationRef(k) },
          ),
        );
      }
    }
    const applier: Applier = {
      appliedBy: { kind: "Kustomization", namespace: k.namespace, name: k.name, source: k.source },
      via: `Flux Kustomization ${k.namespace}/${k.name} (${at(k.source)})`,
      variables,
      noSubstitution: k.postBuild ? "defines no variables (substitution does not run)" : "has no spec.postBuild",
    };
    passes.push({ build, levelsOf: fluxLevels(build, k), applier });
    for (const entry of build.entries) {
      if (patchFiles.has(entry.file)) continue;
      const levels = withFluxLevel(entry.levels, build, k);
      input.documents.get(entry.file)?.forEach((doc, i) => {
        const outcome = renderThrough(doc, levels, applier, input);
        const list = renderings.get(doc) ?? [];
        list.push(outcome);
        renderings.set(doc, list);
        if (!("object" in outcome) || !isFluxKustomization(outcome.object)) return;
        const childKey = `${entry.file}#${i}`;
        if (childKey === key || walked.has(childKey)) return;
        walked.add(childKey);
        const ns = namespaceOf(outcome.object) ?? input.namespaces.forObject(doc.object, entry.file);
        const child = readFluxKustomization(outcome.object, doc.source, ns);
        diagnostics.push(...child.diagnostics);
        if (child.kustomization) queue.push({ key: childKey, k: locate(child.kustomization, index, artifacts, diagnostics) });
      });
    }
  }

  // Argo CD Applications whose sources are folders of this repository.
  const applications: AppliedApplication[] = [];
  for (const app of argoApplications(input.documents, index, diagnostics)) {
    const appliedApplication: AppliedApplication = { application: { kind: "Application", namespace: app.namespace, name: app.name, source: app.source }, sources: [] };
    applications.push(appliedApplication);
    const applier: Applier = {
      appliedBy: { kind: "Application", namespace: app.namespace, name: app.name, source: app.source },
      via: `Argo CD Application ${app.namespace}/${app.name} (${at(app.source)})`,
      noSubstitution: "does not substitute variables",
      ...(app.destinationNamespace ? { defaultNamespace: app.destinationNamespace } : {}),
    };
    for (const source of app.sources) {
      const { build, levelsOf } = argoBuild(source, app, index, files.keys());
      appliedApplication.sources.push({ dir: source.dir, recurse: source.recurse, ...(source.namespace ? { namespace: source.namespace } : {}), build });
      passes.push({ build, levelsOf, applier });
      diagnostics.push(...build.problems);
      for (const entry of build.entries) {
        if (patchFiles.has(entry.file)) continue;
        const levels = levelsOf(entry.levels);
        for (const doc of input.documents.get(entry.file) ?? []) {
          const list = renderings.get(doc) ?? [];
          list.push(renderThrough(doc, levels, applier, input));
          renderings.set(doc, list);
        }
      }
    }
  }

  // Files some Kustomization applies, counted or not: with a cluster folder,
  // those only other clusters apply are left out.
  const appliedAnywhere = new Set(includedBy.keys());
  const documents = new Map<string, RenderedDocument[]>();
  for (const [file, docs] of input.documents) {
    if (patchFiles.has(file)) continue;
    const r = asApplied(file, docs, renderings, clusterPath !== undefined && appliedAnywhere.has(file), input, diagnostics, sealed);
    if (r.incomplete) incomplete = true;
    if (r.documents.length > 0) documents.set(file, r.documents);
  }
  // Patches are no manifests; with a cluster folder, what only other clusters apply is not this cluster's.
  const notOwner = (file: string, rendered: boolean) => patchFiles.has(file) || (!rendered && clusterPath !== undefined && appliedAnywhere.has(file));
  const context: RenderContext = { passes, patchFiles, builds: raw.flatMap((r) => (r.build ? [r.build] : [])), ...(clusterPath ? { clusterPath } : {}), reportKinds: input.reportKinds };
  return { documents, kustomizations: applied, patchFiles, diagnostics, sealedSources: [...sealed], incomplete, owners: ownerManifests(input, renderings, notOwner), applications, context };
}

/**
 * One file's objects rendered again as renderRepository rendered them, with
 * what it knew then (`context`): right as long as nothing the render read
 * elsewhere depends on them (the caller's to know: no Kustomization, no
 * Application, no patch, nothing substituted from them).
 */
export function renderFileAgain(context: RenderContext, file: string, docs: readonly ManifestDocument[], sources: VariableSources): FileRendering {
  const renderings = new Map<ManifestDocument, Array<Rendering | Outcome>>();
  const objects: Array<Record<string, unknown>> = [];
  const input = { variableSources: sources, reportKinds: context.reportKinds };
  const diagnostics: Diagnostic[] = [];
  const sealed = new Set<VariableSource>();
  if (context.patchFiles.has(file)) return { documents: [], diagnostics, incomplete: false, sealed: [], objects };
  for (const { build, levelsOf, applier } of context.passes) {
    for (const entry of build.entries) {
      if (entry.file !== file) continue;
      const levels = levelsOf(entry.levels);
      for (const doc of docs) {
        const outcome = renderThrough(doc, levels, applier, input);
        if ("object" in outcome) objects.push(outcome.object);
        const list = renderings.get(doc) ?? [];
        list.push(outcome);
        renderings.set(doc, list);
      }
    }
  }
  const appliedAnywhere = context.clusterPath !== undefined && context.builds.some((b) => b.entries.some((e) => e.file === file));
  const r = asApplied(file, docs, renderings, appliedAnywhere, input, diagnostics, sealed);
  return { documents: r.documents, diagnostics, incomplete: r.incomplete, sealed: [...sealed], objects };
}

/** A file's objects as the cluster gets them, from what each applier made of them (none: as written). */
function asApplied(
  file: string,
  docs: readonly ManifestDocument[],
  renderings: ReadonlyMap<ManifestDocument, ReadonlyArray<Rendering | Outcome>>,
  onlyOtherClusters: boolean,
  input: Pick<RenderInput, "variableSources" | "reportKinds">,
  diagnostics: Diagnostic[],
  sealed: Set<VariableSource>,
): { documents: RenderedDocument[]; incomplete: boolean } {
  const out: RenderedDocument[] = [];
  let incomplete = false;
  for (const doc of docs) {
    const list = renderings.get(doc);
    if (!list) {
      if (onlyOtherClusters) continue;
      const names = VARIABLE_KINDS.has(String(doc.object.kind)) && gitcertActsOn(doc.object) ? variablesIn(doc.object) : [];
      if (names.length > 0) {
        diagnostics.push(
          diagnostic(
            "FluxVariableNotSubstituted",
            `${names.map((n) => `\${${n}}`).join(", ")} look${names.length === 1 ? "s" : ""} like a variable something substitutes before this reaches the cluster, but no Flux Kustomization in the repository applies this file with postBuild substitution${definedElsewhere(names, input.variableSources)}; gitcert cannot read this object from Git alone`,
            { source: doc.source, object: refOf(doc.object, namespaceOf(doc.object)) },
          ),
        );
        continue;
      }
      out.push({ ...doc, origin: AS_WRITTEN });
      continue;
    }
    const chosen = choose(doc, list, input.reportKinds, diagnostics, sealed);
    if (chosen.incomplete) incomplete = true;
    if (chosen.rendering) out.push({ source: doc.source, object: chosen.rendering.object, origin: chosen.rendering.origin });
  }
  return { documents: out, incomplete };
}

/**
 * `gitops.clusterPath` as a repository-relative folder: what `flux bootstrap
 * --path` is given (`./clusters/prod`), with or without a leading or
 * trailing `/`. The repository's root (`.`, `/`) is no cluster folder.
 */
function folderOf(clusterPath: string | undefined): string | undefined {
  const folder = clusterPath
    ?.trim()
    .replace(/^(\.?\/)+/, "")
    .replace(/\/+$/, "");
  return folder && folder !== "." ? folder : undefined;
}

/**
 * A cluster folder with no Flux Kustomization in it leaves out everything
 * Flux applies: said, with where the Kustomizations nothing else applies
 * (the likely cluster folders) are.
 */
function clusterPathMatchesNothing(setting: string, folder: string, entryFolders: readonly string[], files: readonly string[]): Diagnostic {
  const exists = files.some((f) => f.startsWith(`${folder}/`));
  const folders = [...new Set(entryFolders.map((dir) => dir || "."))].sort();
  const found =
    folders.length === 0
      ? "the repository holds no Flux Kustomization"
      : `Flux Kustomizations nothing else applies are in ${folders.slice(0, 5).join(", ")}${folders.length > 5 ? ` and ${folders.length - 5} more folders` : ""}`;
  return diagnostic(
    "ClusterPathMatchesNothing",
    `gitops.clusterPath is ${JSON.stringify(setting)}, but ${exists ? `no Flux Kustomization lies in or under ${folder}/` : `the repository has no folder ${folder}/`}, so every file a Flux Kustomization applies is left out; ${found}`,
    {},
    "warning",
  );
}

/**
 * Every HelmRelease and Application, as each applier renders it (a base
 * shared by two clusters' Kustomizations is two entries): what the labels
 * of a cluster object may point at. One never rendered is read as written,
 * unless only another cluster applies it; a patch is no manifest.
 */
function ownerManifests(input: RenderInput, renderings: ReadonlyMap<ManifestDocument, ReadonlyArray<Rendering | Outcome>>, notOwner: (file: string, rendered: boolean) => boolean): OwnerManifest[] {
  const out: OwnerManifest[] = [];
  for (const [file, docs] of input.documents) {
    for (const doc of docs) {
      const kind = ownerKind(doc.object);
      if (!kind || notOwner(file, renderings.has(doc))) continue;
      const rendered = (renderings.get(doc) ?? []).filter((o): o is Rendering => "object" in o);
      const seen = new Set<string>();
      for (const { object, origin } of rendered.length > 0 ? rendered : [{ object: doc.object, origin: undefined }]) {
        const metadata = isRecord(object.metadata) ? object.metadata : {};
        if (typeof metadata.name !== "string") continue;
        const namespace = namespaceOf(object) ?? (kind === "Application" ? "argocd" : input.namespaces.forObject(doc.object, file));
        const by = origin?.appliedBy;
        const key = `${namespace}/${metadata.name}/${by ? `${by.kind}/${by.namespace}/${by.name}/${by.source.file}:${by.source.line}` : ""}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ kind, namespace, name: metadata.name, source: doc.source, ...(origin?.appliedBy ? { appliedBy: origin.appliedBy } : {}) });
      }
    }
  }
  return out;
}

function ownerKind(object: Record<string, unknown>): OwnerManifest["kind"] | undefined {
  const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
  if (object.kind === "HelmRelease" && apiVersion.startsWith("helm.toolkit.fluxcd.io/")) return "HelmRelease";
  if (object.kind === "Application" && apiVersion.startsWith("argoproj.io/")) return "Application";
  return undefined;
}

/** One rendering per object, or none with the reason. */
function choose(
  doc: ManifestDocument,
  list: ReadonlyArray<Rendering | Outcome>,
  reportKinds: ReadonlySet<string>,
  diagnostics: Diagnostic[],
  sealed: Set<VariableSource>,
): { rendering?: Rendering; incomplete?: boolean } {
  const kind = typeof doc.object.kind === "string" ? doc.object.kind : "";
  const reported = reportKinds.has(kind) && gitcertActsOn(doc.object);
  const rendered = list.filter((o): o is Rendering => "object" in o);
  const dropped = list.filter((o): o is Extract<Outcome, { dropped: unknown }> => "dropped" in o);
  if (dropped.length > 0) {
    if (!reported) return { rendering: { object: doc.object, origin: AS_WRITTEN } };
    for (const d of dropped) if (d.dropped) diagnostics.push(d.dropped);
    for (const d of dropped) for (const s of d.sealed ?? []) sealed.add(s);
    return { incomplete: dropped.some((d) => d.incomplete) };
  }
  if (reported) for (const r of rendered) diagnostics.push(...(r.warnings ?? []));
  const distinct: Rendering[] = [];
  for (const r of rendered) if (!distinct.some((d) => deepEqual(d.object, r.object))) distinct.push(r);
  if (distinct.length <= 1) return { rendering: distinct[0] ?? rendered[0] };
  if (reported) {
    const by = distinct.map((r) => `${r.origin.appliedBy!.kind} ${r.origin.appliedBy!.namespace}/${r.origin.appliedBy!.name} (${at(r.origin.appliedBy!.source)})`).sort();
    const what = distinct.every((r) => r.origin.appliedBy!.kind === "Kustomization") ? "Flux Kustomizations" : "Flux Kustomizations or Argo CD Applications";
    diagnostics.push(
      diagnostic(
        "RenderedDifferently",
        `applied by several ${what} that make different objects of it: ${by.join(", ")}; set gitops.clusterPath to the folder of the cluster gitcert serves`,
        { source: doc.source, object: refOf(doc.object, namespaceOf(doc.object)) },
      ),
    );
  }
  return {};
}

/** withFluxLevel for one Kustomization's build, made here so that what a RenderContext keeps holds nothing else of the render. */
function fluxLevels(build: Build, k: FluxKustomization): (levels: readonly Level[]) => Level[] {
  return (levels) => withFluxLevel(levels, build, k);
}

/** The levels of one build entry with the Kustomization's own: its patches join the top kustomization's, its targetNamespace replaces that one's namespace. */
function withFluxLevel(levels: readonly Level[], build: Build, k: FluxKustomization): Level[] {
  if (build.generated) {
    return [...levels, { source: k.source, patches: k.patches, ...(k.targetNamespace ? { namespace: k.targetNamespace } : {}), json6902: [] }];
  }
  const top = levels.at(-1)!;
  const namespace = k.targetNamespace ?? top.namespace;
  return [...levels.slice(0, -1), { ...top, patches: [...top.patches, ...k.patches], ...(namespace ? { namespace } : {}) }];
}

function renderThrough(doc: ManifestDocument, levels: readonly Level[], applier: Applier, input: Pick<RenderInput, "variableSources">): Outcome {
  const { appliedBy, via, variables } = applier;
  const active = variables?.active === true;
  let object = doc.object;
  const patchedBy: SourceRef[] = [];
  const fail = (code: string, message: string, severity: "error" | "warning" = "error", incomplete = false): Outcome => ({
    dropped: diagnostic(code, message, { source: doc.source, object: refOf(object, namespaceOf(object)) }, severity),
    incomplete,
  });
  const patch = (patches: Level["patches"]): Outcome | undefined => {
    for (const p of patches) {
      const r = applyPatch(object, p, namespaceOf(object) ?? "");
      if (!r.selected) continue;
      if ("error" in r) return fail("PatchFailed", `the patch at ${at(p.source)} does not apply (${r.error}), so ${via} fails to build`);
      if (r.object === null) return { dropped: undefined };
      object = r.object;
      if (!patchedBy.some((s) => s.file === p.source.file && s.line === p.source.line)) patchedBy.push(p.source);
    }
    return undefined;
  };
  for (const level of levels) {
    const stop = patch(level.patches);
    if (stop) return stop;
    if (level.namespace && object.kind !== "Namespace") object = withNamespace(object, level.namespace);
    const stop2 = patch(level.json6902);
    if (stop2) return stop2;
  }
  const substituted: string[] = [];
  if (!active && VARIABLE_KINDS.has(String(object.kind))) {
    const names = variablesIn(object);
    if (names.length > 0) {
      return fail("FluxVariableNotSubstituted", `${names.map((n) => `\${${n}}`).join(", ")} ${names.length === 1 ? "is" : "are"} not substituted: ${via}, which applies this file, ${applier.noSubstitution}${definedElsewhere(names, input.variableSources)}; gitcert cannot read this object from Git alone`);
    }
  }
  if (variables && active && !substitutionDisabled(object)) {
    const json = JSON.stringify(object);
    if (mayNeedSubstitution(json)) {
      const r = substitute(stringify(object, { lineWidth: 0 }), variables.lookup);
      if (r.error !== undefined || r.text === undefined) return fail("FluxSubstitutionFailed", `Flux substitution cannot read this object (${r.error}), so ${via} fails to build`);
      if (r.missing.length > 0) {
        const hints = r.missing.map((name) => `\${${name}}`).join(", ");
        return fail("FluxVariableUndefined", `${hints} ${r.missing.length === 1 ? "is" : "are"} not defined for Flux substitution by ${via}${definedElsewhere(r.missing, input.variableSources)}: with strict substitution (Flux's default) it fails to build; without it the value would be empty`);
      }
      if (r.sealed.length > 0) {
        const from = r.sealed.map((n) => `\${${n}} (${variables.definedIn(n)})`).join(", ");
        const out = fail("FluxVariablesEncrypted", `${from} ${r.sealed.length === 1 ? "comes" : "come"} from a SOPS-encrypted Secret that ${via} substitutes; plan does not decrypt, so this object is not planned — \`gitcert run\` (with the age identity) reads it`, "warning", true);
        return { ...out, sealed: variables.sealedSources };
      }
      if (r.unseen.length > 0) {
        const refs = variables.unseenSources.map((s) => `${s.kind} ${appliedBy.namespace}/${s.name}`).join(", ");
        return fail("FluxVariablesNotInRepository", `${r.unseen.map((n) => `\${${n}}`).join(", ")} may come from ${refs}, which ${via} substitutes from but the repository does not hold (made in the cluster?); gitcert cannot read this object from Git alone — give gitcert cluster access to see it`, "warning", true);
      }
      try {
        const parsed: unknown = parseYaml(r.text, { prettyErrors: false });
        if (!isRecord(parsed)) return fail("FluxSubstitutionFailed", `after Flux substitution by ${via} this is no longer a mapping`);
        object = parsed;
      } catch (err) {
        return fail("FluxSubstitutionFailed", `after Flux substitution by ${via} this is not valid YAML (${err instanceof Error ? err.message : String(err)})`);
      }
      substituted.push(...r.used);
    }
  }
  if (applier.defaultNamespace && !namespaceOf(object) && object.kind !== "ClusterIssuer" && object.kind !== "Namespace") object = withNamespace(object, applier.defaultNamespace);
  const secret = substituted.filter((n) => variables?.fromEncrypted(n) === true);
  const warnings =
    secret.length > 0 && NAMING_KINDS.has(String(object.kind))
      ? [
          diagnostic(
            "EncryptedVariableInPlaintext",
            `${secret.map((n) => `\${${n}}`).join(", ")} ${secret.length === 1 ? "comes" : "come"} from a SOPS-encrypted Secret, but the names it gives this object are written in plaintext: in the annotations of gitcert's Secret file (cert-manager.io/alt-names, common-name) and in the certificate's commit`,
            { source: doc.source, object: refOf(object, namespaceOf(object)) },
            "warning",
          ),
        ]
      : undefined;
  const origin: Origin = { from: "git", appliedBy, patchedBy: patchedBy.length > 0 ? patchedBy : NONE, substituted: substituted.length > 0 ? substituted : NONE };
  return { object, origin, ...(warnings ? { warnings } : {}) };
}

/** "(X is defined in ConfigMap … at …, which it does not substitute from)". */
function definedElsewhere(names: readonly string[], sources: VariableSources): string {
  const hints = new Map<VariableSource, string[]>();
  for (const name of names) {
    const [s] = sources.defining(name);
    if (s) hints.set(s, [...(hints.get(s) ?? []), name]);
  }
  const text = [...hints].map(([s, list]) => `${list.join(", ")} ${list.length === 1 ? "is" : "are"} defined in ${s.kind} ${s.namespace}/${s.name} at ${at(s.source)}, which it does not substitute from`);
  return text.length > 0 ? ` (${text.join("; ")})` : "";
}

/**
 * The origin of an object nothing applies, patches or substitutes, shared
 * by every such object (a scan keeps one per Certificate and Issuer it
 * recognises), and the empty lists a rendered origin shares: frozen, as
 * what is shared must not be written.
 */
const NONE: readonly never[] = Object.freeze([]);
const AS_WRITTEN: Origin = Object.freeze({ from: "git", patchedBy: NONE, substituted: NONE });

/** Kinds whose substituted values become certificate names. */
const NAMING_KINDS: ReadonlySet<string> = new Set(["Certificate", "Ingress", "Gateway"]);

/** Kinds that make certificates: a `${…}` left in one is a value gitcert cannot know. */
const VARIABLE_KINDS: ReadonlySet<string> = new Set(["Certificate", "Issuer", "ClusterIssuer", "Ingress", "Gateway"]);

/**
 * An Ingress or Gateway makes a certificate only with cert-manager's
 * annotations: one without is not gitcert's business, so what keeps it from
 * being rendered (a `${…}` nothing substitutes) is not worth an error.
 */
function gitcertActsOn(object: Record<string, unknown>): boolean {
  if (object.kind !== "Ingress" && object.kind !== "Gateway") return true;
  const annotations = isRecord(object.metadata) && isRecord(object.metadata.annotations) ? object.metadata.annotations : {};
  return Object.keys(annotations).some((key) => key.startsWith("cert-manager.io/") || key === "kubernetes.io/tls-acme");
}

// A long-running gitcert's objects are the same from scan to scan (kept parse results, never modified): each is looked through once.
const variablesFound = new WeakMap<Record<string, unknown>, string[]>();

/** The variables `${…}` in an object would read, were it substituted. */
function variablesIn(object: Record<string, unknown>): string[] {
  let names = variablesFound.get(object);
  if (!names) {
    names = JSON.stringify(object).includes("${") ? substitute(stringify(object, { lineWidth: 0 }), () => undefined).used : [];
    variablesFound.set(object, names);
  }
  return names;
}

const SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute";

function substitutionDisabled(object: Record<string, unknown>): boolean {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  return labels[SUBSTITUTE_KEY] === "disabled" || annotations[SUBSTITUTE_KEY] === "disabled";
}

/** Where a Kustomization's `spec.path` is in this repository, looked up as its source kind allows. */
function locate(k: FluxKustomization, index: KustomizeIndex, artifacts: ArtifactIndex, diagnostics: Diagnostic[]): FluxKustomization {
  let path = cleanPath(k.path);
  let sourceKind = k.sourceRef.kind;
  if (path.startsWith("..") || posix.isAbsolute(path)) return k;
  // An ExternalArtifact made by an ArtifactGenerator: its paths are the
  // generator's copy destinations, mapped back to where they come from.
  const copied = k.sourceRef.kind === "ExternalArtifact" ? artifacts.get(k.sourceRef.name) : undefined;
  for (const copy of copied ?? []) {
    if (copy.to !== "" && path !== copy.to && !path.startsWith(`${copy.to}/`)) continue;
    path = posix.join(copy.from, path.slice(copy.to.length)).replace(/\/$/, "").replace(/^\.$/, "");
    sourceKind = copy.sourceKind;
    break;
  }
  if (index.hasDir(path)) return { ...k, dir: path };
  // An OCI artifact is usually a folder of this repository packed on its
  // own: its paths are relative to that folder.
  if (sourceKind !== "GitRepository" && path !== "") {
    const found = index.dirsEndingWith(path);
    if (found.length === 1) return { ...k, dir: found[0]! };
    if (found.length > 1) {
      diagnostics.push(
        diagnostic(
          "FluxPathAmbiguous",
          `spec.path ${k.path} (in ${k.sourceRef.kind} ${k.sourceRef.name}) matches several folders (${found.join(", ")}); gitcert does not render what it applies`,
          { source: k.source, object: kustomizationRef(k) },
          "warning",
        ),
      );
      return k;
    }
  }
  diagnostics.push(
    diagnostic(
      "FluxPathNotInRepository",
      `spec.path ${k.path} is not a folder of this repository (source ${k.sourceRef.kind} ${k.sourceRef.name}: another repository?); what it applies is not read`,
      { source: k.source, object: kustomizationRef(k) },
      "debug",
    ),
  );
  return k;
}

/** ExternalArtifacts by name: what each ArtifactGenerator copy puts where. */
type ArtifactIndex = ReadonlyMap<string, ReadonlyArray<{ from: string; to: string; sourceKind: string }>>;

function cleanPath(p: string): string {
  return posix.normalize(p.trim() || ".").replace(/^\.\/?/, "").replace(/\/$/, "");
}

/** The ArtifactGenerators (source.extensions.fluxcd.io) among the documents. */
function artifactIndex(documents: ReadonlyMap<string, readonly ManifestDocument[]>): ArtifactIndex {
  const out = new Map<string, Array<{ from: string; to: string; sourceKind: string }>>();
  for (const docs of documents.values()) {
    for (const doc of docs) {
      const o = doc.object;
      if (o.kind !== "ArtifactGenerator" || typeof o.apiVersion !== "string" || !o.apiVersion.startsWith("source.extensions.fluxcd.io/")) continue;
      const spec = isRecord(o.spec) ? o.spec : {};
      const kinds = new Map<string, string>();
      for (const s of Array.isArray(spec.sources) ? spec.sources : []) if (isRecord(s) && typeof s.alias === "string") kinds.set(s.alias, String(s.kind ?? ""));
      for (const a of Array.isArray(spec.artifacts) ? spec.artifacts : []) {
        if (!isRecord(a) || typeof a.name !== "string" || !Array.isArray(a.copy)) continue;
        const copies = out.get(a.name) ?? [];
        for (const c of a.copy) {
          if (!isRecord(c) || typeof c.from !== "string" || typeof c.to !== "string") continue;
          const from = c.from.match(/^@([^/]+)\/?(.*)$/);
          const to = c.to.match(/^@artifact\/?(.*)$/);
          if (!from || !to) continue;
          const strip = (p: string) => cleanPath(p.replace(/(\/?\*\*?)+$/, "")).replace(/^\.$/, "");
          copies.push({ from: strip(from[2]!), to: strip(to[1]!), sourceKind: kinds.get(from[1]!) ?? "" });
        }
        out.set(a.name, copies);
      }
    }
  }
  return out;
}

function kustomizationRef(k: FluxKustomization): ObjectRef {
  return { kind: "Kustomization", namespace: k.namespace, name: k.name };
}

function namespaceOf(object: Record<string, unknown>): string | undefined {
  const metadata = isRecord(object.metadata) ? object.metadata : undefined;
  return typeof metadata?.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : undefined;
}

function withNamespace(object: Record<string, unknown>, namespace: string): Record<string, unknown> {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return { ...object, metadata: { ...metadata, namespace } };
}

function refOf(object: Record<string, unknown>, namespace: string | undefined): ObjectRef | undefined {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  if (typeof metadata.name !== "string" || typeof object.kind !== "string") return undefined;
  return { kind: object.kind, ...(namespace && object.kind !== "ClusterIssuer" ? { namespace } : {}), name: metadata.name };
}

function at(s: SourceRef): string {
  return `${s.file}:${s.line}`;
}
