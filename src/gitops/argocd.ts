// Argo CD Applications whose source is a folder of this repository: what
// they apply is rendered too, so objects land in the namespace Argo CD puts
// them in (`destination.namespace` for those without one, after the
// source's own `kustomize.namespace`) with the Application's
// `kustomize.patches`. Helm sources are invisible.ts's business; a folder
// without kustomization.yaml is read the way Argo CD's directory source
// reads it (its YAML files, below it too with `directory.recurse`).
import { posix } from "node:path";
import { diagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import type { ManifestDocument } from "../manifests/types.ts";
import { isRecord } from "../schema/index.ts";
import type { Build, KustomizeIndex, Level } from "./kustomize.ts";
import { readPatchEntry } from "./patch-entry.ts";
import type { Patch } from "./types.ts";

export interface ArgoSource {
  dir: string;
  recurse: boolean;
  namespace?: string;
  patches: Patch[];
}

export interface ArgoApplication {
  name: string;
  namespace: string;
  source: SourceRef;
  sources: ArgoSource[];
  destinationNamespace?: string;
}

function isArgoApplication(object: Record<string, unknown>): boolean {
  return object.kind === "Application" && typeof object.apiVersion === "string" && object.apiVersion.startsWith("argoproj.io/");
}

/** The Applications among `documents` with at least one source folder in this repository. */
export function argoApplications(documents: ReadonlyMap<string, readonly ManifestDocument[]>, index: KustomizeIndex, diagnostics: Diagnostic[]): ArgoApplication[] {
  const out: ArgoApplication[] = [];
  for (const docs of documents.values()) {
    for (const doc of docs) {
      if (!isArgoApplication(doc.object)) continue;
      const metadata = isRecord(doc.object.metadata) ? doc.object.metadata : {};
      const spec = isRecord(doc.object.spec) ? doc.object.spec : {};
      if (typeof metadata.name !== "string") continue;
      const app: ArgoApplication = {
        name: metadata.name,
        namespace: typeof metadata.namespace === "string" ? metadata.namespace : "argocd",
        source: doc.source,
        sources: [],
        ...(isRecord(spec.destination) && typeof spec.destination.namespace === "string" && spec.destination.namespace !== "" ? { destinationNamespace: spec.destination.namespace } : {}),
      };
      const sources = [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])];
      for (const s of sources) {
        if (!isRecord(s) || typeof s.path !== "string" || typeof s.chart === "string") continue;
        const dir = posix.normalize(s.path.trim() || ".").replace(/^\.\/?/, "").replace(/\/$/, "");
        if (dir.startsWith("..") || !index.hasDir(dir)) continue;
        const kustomize = isRecord(s.kustomize) ? s.kustomize : {};
        const patches: Patch[] = [];
        (Array.isArray(kustomize.patches) ? kustomize.patches : []).forEach((entry, i) => {
          const r = readPatchEntry(entry, { source: doc.source, at: `kustomize.patches[${i}]` }, undefined);
          if ("error" in r) diagnostics.push(diagnostic("InvalidPatch", `kustomize.patches[${i}]: ${r.error}; gitcert does not apply it`, { source: doc.source, object: { kind: "Application", namespace: app.namespace, name: app.name } }, "warning"));
          else patches.push(...r.patches);
        });
        app.sources.push({
          dir,
          recurse: isRecord(s.directory) && s.directory.recurse === true,
          ...(typeof kustomize.namespace === "string" && kustomize.namespace !== "" ? { namespace: kustomize.namespace } : {}),
          patches,
        });
      }
      if (app.sources.length > 0) out.push(app);
    }
  }
  return out;
}

/** What one source applies: a kustomize build, or the folder's YAML files. Its own patches and namespace join the top level. */
export function argoBuild(source: ArgoSource, app: ArgoApplication, index: KustomizeIndex, files: Iterable<string>): { build: Build; levelsOf(levels: readonly Level[]): Level[] } {
  const own: Level = { source: app.source, patches: source.patches, ...(source.namespace ? { namespace: source.namespace } : {}), json6902: [] };
  if (index.kustomizationIn(source.dir)) {
    const build = index.build(source.dir);
    return {
      build,
      levelsOf: (levels) => {
        const top = levels.at(-1)!;
        const namespace = source.namespace ?? top.namespace;
        return [...levels.slice(0, -1), { ...top, patches: [...top.patches, ...source.patches], ...(namespace ? { namespace } : {}) }];
      },
    };
  }
  const prefix = source.dir === "" ? "" : `${source.dir}/`;
  const entries = [...files]
    .filter((f) => f.startsWith(prefix) && /\.ya?ml$/.test(f) && (source.recurse || !f.slice(prefix.length).includes("/")))
    .sort()
    .map((file) => ({ file, levels: [] as Level[] }));
  return { build: { entries, kustomizationDirs: [], generated: true, problems: [] }, levelsOf: (levels) => [...levels, own] };
}
