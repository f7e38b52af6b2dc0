// Every Secret file gitcert keeps is listed where its folder's build reads
// it, and removed ones are not: in the folder's kustomization.yaml
// `resources`, or, when that kustomization lists a KSOPS generator (Argo CD
// + KSOPS), in the generator's `files` instead, since a SOPS file in
// `resources` would reach the cluster still encrypted. Checked for every
// Secret on every run, so an edit that failed once is made on the next; a
// kustomization the scan found already right is not read again. Edits to
// one file come one after another: certificates finish in parallel.
import { posix } from "node:path";
import { GitcertError, toDiagnostic, type Diagnostic } from "../diagnostics.ts";
import type { KsopsGenerator } from "../gitops/index.ts";
import type { KustomizationFile } from "../manifests/types.ts";
import { addListEntry, removeListEntry, type WorkingTree } from "../repo/index.ts";
import type { KustomizationEdit } from "./outcome.ts";

export class KustomizationKeeper {
  private readonly tree: WorkingTree;
  private readonly byDir: Map<string, KustomizationFile>;
  private readonly ksopsByDir: Map<string, KsopsGenerator>;
  /** Files edited in this run: what the scan said of them is out of date. */
  private readonly edited = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(tree: WorkingTree, kustomizations: readonly KustomizationFile[], ksops: readonly KsopsGenerator[] = []) {
    this.tree = tree;
    this.byDir = new Map(kustomizations.map((k) => [k.dir, k]));
    // One generator per folder is the KSOPS layout; with several, the first (sorted) is kept up.
    this.ksopsByDir = new Map();
    for (const g of [...ksops].sort((a, b) => (a.file < b.file ? -1 : 1))) if (!this.ksopsByDir.has(g.dir)) this.ksopsByDir.set(g.dir, g);
  }

  /**
   * The folder whose kustomization lists a file: its own, or, for a file in
   * a `secrets/` subfolder without one (where the .sops.yaml conventions may
   * put a Secret), the folder above, which lists it as `secrets/<file>`.
   */
  private listingDir(path: string): string | undefined {
    const parent = posix.dirname(path);
    const dir = parent === "." ? "" : parent;
    if (this.byDir.has(dir)) return dir;
    if (posix.basename(dir) !== "secrets") return undefined;
    const up = posix.dirname(dir) === "." ? "" : posix.dirname(dir);
    return this.byDir.has(up) ? up : undefined;
  }

  /** Lists (or unlists) a file in its kustomization.yaml or KSOPS generator: the edit when one was needed, or why it failed. */
  keep(path: string, listed: boolean): Promise<{ edit?: KustomizationEdit; problem?: Diagnostic }> {
    const dir = this.listingDir(path);
    if (dir === undefined) return Promise.resolve({});
    const k = this.byDir.get(dir)!;
    const generator = this.ksopsByDir.get(dir);
    // KSOPS runs in the kustomization's folder: its entries are relative to it.
    const target = generator ? { file: generator.file, key: "files" } : { file: k.file, key: "resources" };
    // `path` is inside `dir` (listingDir): what follows it, without path.relative's general case.
    const entry = dir === "" ? path : path.slice(dir.length + 1);
    // `resources` already as wanted when it was scanned: no need to read and
    // parse the file again (a tick with thousands of Secrets and nothing due).
    const resources = resourceSet(k);
    const scanned = resources.has(entry) || resources.has(`./${entry}`);
    if (!generator && !this.edited.has(target.file) && scanned === listed) return Promise.resolve({});
    const done = this.queue.then(() => this.edit(target.file, target.key, entry, listed)).then(
      (edit) => (edit ? { edit } : {}),
      (err: unknown) => ({ problem: toDiagnostic(err, { code: "KustomizationUpdateFailed", source: { file: target.file, line: 1 } }) }),
    );
    this.queue = done;
    return done;
  }

  private async edit(file: string, key: string, entry: string, listed: boolean): Promise<KustomizationEdit | undefined> {
    const before = await this.tree.read(file);
    if (before === undefined) throw new GitcertError("KustomizationUpdateFailed", `${file} is gone`);
    const after = listed ? addListEntry(before, key, entry) : removeListEntry(before, key, entry);
    if (after === before) return undefined;
    this.edited.add(file);
    await this.tree.write(file, after);
    return { file, resource: entry, change: listed ? "added" : "removed" };
  }
}

/** A scanned kustomization's `resources`, as a set: looked up once for each of its Secrets on every tick. */
const resourceSets = new WeakMap<KustomizationFile, ReadonlySet<string>>();

function resourceSet(k: KustomizationFile): ReadonlySet<string> {
  let set = resourceSets.get(k);
  if (!set) {
    set = new Set(k.resources);
    resourceSets.set(k, set);
  }
  return set;
}
