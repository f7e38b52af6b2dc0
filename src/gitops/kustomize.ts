// What a kustomize build of a folder reads: the files its kustomization
// lists (`resources`, `bases`, `components`, folders recursively), each
// with the levels of kustomization it passes through on the way up, whose
// patches and namespace apply to it in that order. A folder without a
// kustomization file is built the way Flux builds one: every YAML file
// below it, and each sub-folder holding a kustomization as one resource.
//
// Not run: generators, transformers other than patches and namespace,
// remote bases (named, not fetched), name prefixes and suffixes, replicas,
// images and Helm inflation; kustomize's order within one level is kept
// (strategic merge patches, then `patches`, then `namespace`, then the
// older JSON6902 list).
import { posix } from "node:path";
import { diagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import { isRecord } from "../schema/index.ts";
import { parseAllDocuments } from "yaml";
import { isKsops, KSOPS_KIND } from "./ksops.ts";
import { readPatchEntry, readStrategicMergeEntry, type PatchFileReader } from "./patch-entry.ts";
import type { Patch } from "./types.ts";

/** A kustomization file's object, as parsed. */
export interface KustomizationDocument {
  file: string;
  dir: string;
  object: Record<string, unknown>;
  source: SourceRef;
}

/** One kustomization a file's objects pass through. */
export interface Level {
  /** The kustomization file, or the Flux Kustomization's manifest for the level Flux adds. */
  source: SourceRef;
  /** Applied before the namespace: strategic merge patches, then `patches`. */
  patches: Patch[];
  namespace?: string;
  /** The older `patchesJson6902` list, applied after the namespace. */
  json6902: Patch[];
}

export interface BuildEntry {
  /** Repository path of a file whose objects the build reads. */
  file: string;
  /** Kustomizations it passes through, innermost first. */
  levels: Level[];
}

export interface Build {
  entries: BuildEntry[];
  /** Folders whose kustomization file the build reads. */
  kustomizationDirs: string[];
  /** Whether the top folder has a kustomization file (else one is generated, as Flux does). */
  generated: boolean;
  problems: Diagnostic[];
}

const REMOTE = /^(https?:\/\/|ssh:\/\/|git@|git::|github\.com\/|gitlab\.com\/|bitbucket\.org\/)|\?ref=|\.git(\/\/|$)/;

export class KustomizeIndex {
  private readonly byDir: ReadonlyMap<string, KustomizationDocument>;
  private readonly files: ReadonlySet<string>;
  private readonly dirs = new Set<string>();
  private readonly readText: (path: string) => string | undefined;
  private readonly levels = new Map<string, { level: Level; problems: Diagnostic[]; patchFiles: string[] }>();
  private readonly built = new Map<string, Build>();

  constructor(files: Iterable<string>, kustomizations: readonly KustomizationDocument[], readText: (path: string) => string | undefined) {
    this.files = new Set(files);
    for (const f of this.files) for (let d = posix.dirname(f); d !== "." && !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d);
    const byDir = new Map<string, KustomizationDocument>();
    // Two kustomization files in one folder is a kustomize error; the first (sorted) wins.
    for (const k of kustomizations) if (!byDir.has(k.dir)) byDir.set(k.dir, k);
    this.byDir = byDir;
    this.readText = readText;
  }

  kustomizationIn(dir: string): KustomizationDocument | undefined {
    return this.byDir.get(dir);
  }

  hasDir(dir: string): boolean {
    return dir === "" || this.dirs.has(dir);
  }

  /** Folders whose path is `path` or ends with `/path`. */
  dirsEndingWith(path: string): string[] {
    return [...this.dirs].filter((d) => d === path || d.endsWith(`/${path}`)).sort();
  }

  /** Every file some kustomization uses as a patch: not a resource, whatever kinds it holds. */
  patchFiles(): Set<string> {
    const out = new Set<string>();
    for (const k of this.byDir.values()) for (const f of this.levelOf(k).patchFiles) out.add(f);
    return out;
  }

  /** The build of `dir`, as Flux runs it for a Kustomization whose path is `dir`. */
  build(dir: string): Build {
    const hit = this.built.get(dir);
    if (hit) return hit;
    const k = this.byDir.get(dir);
    const result = k ? this.buildKustomization(k, [dir]) : this.buildGenerated(dir);
    this.built.set(dir, result);
    return result;
  }

  private buildGenerated(dir: string): Build {
    const entries: BuildEntry[] = [];
    const kustomizationDirs: string[] = [];
    const problems: Diagnostic[] = [];
    const prefix = dir === "" ? "" : `${dir}/`;
    const nested = [...this.byDir.keys()].filter((d) => d !== dir && d.startsWith(prefix)).sort();
    // Only the outermost kustomization folders: Flux does not descend into them.
    const tops = nested.filter((d) => !nested.some((o) => o !== d && d.startsWith(`${o}/`)));
    for (const file of [...this.files].sort()) {
      if (!file.startsWith(prefix) || tops.some((d) => file.startsWith(`${d}/`))) continue;
      if (file.endsWith(".yaml") || file.endsWith(".yml")) entries.push({ file, levels: [] });
    }
    for (const sub of tops) {
      const b = this.buildKustomization(this.byDir.get(sub)!, [sub]);
      entries.push(...b.entries);
      kustomizationDirs.push(...b.kustomizationDirs);
      problems.push(...b.problems);
    }
    return { entries, kustomizationDirs, generated: true, problems };
  }

  private buildKustomization(k: KustomizationDocument, stack: string[]): Build {
    const entries: BuildEntry[] = [];
    const kustomizationDirs = [k.dir];
    const { level, problems: levelProblems } = this.levelOf(k);
    const problems = [...levelProblems];
    const componentLevels: Level[] = [];
    const say = (message: string) => problems.push(diagnostic("KustomizeResourceSkipped", message, { source: k.source }, "debug"));

    const include = (entry: unknown, field: string, asComponent: boolean) => {
      if (typeof entry !== "string" || entry.trim() === "") return say(`${field} entry ${JSON.stringify(entry)} is not a path; skipped`);
      if (REMOTE.test(entry)) return say(`${field} entry ${entry} is remote; gitcert reads only this repository`);
      const path = posix.normalize(posix.join(k.dir, entry)).replace(/\/$/, "");
      const inRepo = path === "." ? "" : path;
      if (inRepo.startsWith("../") || inRepo === "..") return say(`${field} entry ${entry} is outside the repository; skipped`);
      if (!asComponent && this.files.has(inRepo)) {
        entries.push({ file: inRepo, levels: [] });
        return;
      }
      const sub = this.byDir.get(inRepo);
      if (!sub) return say(`${field} entry ${entry}: ${this.hasDir(inRepo) ? "folder has no kustomization file" : "not found in the repository"}; skipped`);
      if (stack.includes(inRepo)) return say(`${field} entry ${entry} includes itself; skipped`);
      const b = this.buildKustomization(sub, [...stack, inRepo]);
      // A component's own level is added below, once, with the parent's.
      entries.push(...(asComponent ? b.entries.map((e) => ({ file: e.file, levels: e.levels.slice(0, -1) })) : b.entries));
      kustomizationDirs.push(...b.kustomizationDirs);
      problems.push(...b.problems);
      if (asComponent) componentLevels.push(this.levelOf(sub).level);
    };

    for (const field of ["resources", "bases"] as const) {
      const list = k.object[field];
      if (Array.isArray(list)) for (const entry of list) include(entry, field, false);
    }
    const components = k.object.components;
    if (Array.isArray(components)) for (const entry of components) include(entry, "components", true);
    // A KSOPS generator emits its files decrypted: the same objects, read here as they are.
    for (const files of this.ksopsFiles(k)) for (const entry of files) include(entry, "ksops files", false);
    // A component's patches apply to everything its parent has gathered, before the parent's own.
    const above = [...componentLevels, level];
    return { entries: entries.map((e) => ({ file: e.file, levels: [...e.levels, ...above] })), kustomizationDirs, generated: false, problems };
  }

  /** The `files:` of each KSOPS generator the kustomization lists, relative to its folder. */
  private ksopsFiles(k: KustomizationDocument): string[][] {
    const generators = k.object.generators;
    if (!Array.isArray(generators)) return [];
    const out: string[][] = [];
    for (const entry of generators) {
      if (typeof entry !== "string") continue;
      const text = this.readText(posix.normalize(posix.join(k.dir, entry)));
      if (text === undefined || !text.includes(KSOPS_KIND)) continue;
      try {
        for (const doc of parseAllDocuments(text, { prettyErrors: false })) {
          const object: unknown = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
          if (isRecord(object) && isKsops(object) && Array.isArray(object.files)) out.push(object.files.filter((f): f is string => typeof f === "string"));
        }
      } catch {
        // A generator gitcert cannot read adds nothing it could know.
      }
    }
    return out;
  }

  private levelOf(k: KustomizationDocument): { level: Level; problems: Diagnostic[]; patchFiles: string[] } {
    const hit = this.levels.get(k.file);
    if (hit) return hit;
    const problems: Diagnostic[] = [];
    const patchFiles: string[] = [];
    const readFile: PatchFileReader = (relative) => {
      const path = posix.normalize(posix.join(k.dir, relative));
      const text = this.readText(path);
      return text === undefined ? undefined : { path, text };
    };
    const collect = (field: string, read: (entry: unknown, i: number) => ReturnType<typeof readPatchEntry>): Patch[] => {
      const list = k.object[field];
      if (!Array.isArray(list)) return [];
      const out: Patch[] = [];
      list.forEach((entry, i) => {
        const r = read(entry, i);
        if ("error" in r) {
          problems.push(diagnostic("InvalidPatch", `${field}[${i}]: ${r.error}; gitcert does not apply it`, { source: k.source }, "warning"));
          return;
        }
        if (r.file) patchFiles.push(r.file);
        out.push(...r.patches);
      });
      return out;
    };
    const strategic = collect("patchesStrategicMerge", (e) => readStrategicMergeEntry(e, k.source, readFile));
    const patches = collect("patches", (e, i) => readPatchEntry(e, { source: k.source, at: `patches[${i}]` }, readFile));
    const json6902 = collect("patchesJson6902", (e, i) => {
      const r = readPatchEntry(e, { source: k.source, at: `patchesJson6902[${i}]` }, readFile);
      if ("error" in r) return r;
      if (!isRecord(e) || !isRecord(e.target)) return { error: "has no target" };
      return { ...r, patches: r.patches.map((p) => ({ ...p, type: "json6902" as const })) };
    });
    const namespace = typeof k.object.namespace === "string" && k.object.namespace !== "" ? k.object.namespace : undefined;
    const result = { level: { source: k.source, patches: [...strategic, ...patches], ...(namespace ? { namespace } : {}), json6902 }, problems, patchFiles };
    this.levels.set(k.file, result);
    return result;
  }
}
