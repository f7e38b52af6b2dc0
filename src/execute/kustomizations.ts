// Every Secret file gitcert keeps is listed in its folder's
// kustomization.yaml, and removed ones are not. Checked for every Secret on
// every run, so an edit that failed once is made on the next. Edits to one
// file come one after another: certificates finish in parallel.
import { posix } from "node:path";
import { GitcertError, toDiagnostic, type Diagnostic } from "../diagnostics.ts";
import type { KustomizationFile } from "../manifests/types.ts";
import { addResource, removeResource, type WorkingTree } from "../repo/index.ts";
import type { KustomizationEdit } from "./outcome.ts";

export class KustomizationKeeper {
  private readonly tree: WorkingTree;
  private readonly byDir: Map<string, KustomizationFile>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(tree: WorkingTree, kustomizations: readonly KustomizationFile[]) {
    this.tree = tree;
    this.byDir = new Map(kustomizations.map((k) => [k.dir, k]));
  }

  /** Lists (or unlists) a file in its folder's kustomization.yaml: the edit when one was needed, or why it failed. */
  keep(path: string, listed: boolean): Promise<{ edit?: KustomizationEdit; problem?: Diagnostic }> {
    const dir = posix.dirname(path);
    const k = this.byDir.get(dir === "." ? "" : dir);
    if (!k) return Promise.resolve({});
    const done = this.queue.then(() => this.edit(k.file, posix.basename(path), listed)).then(
      (edit) => (edit ? { edit } : {}),
      (err: unknown) => ({ problem: toDiagnostic(err, { code: "KustomizationUpdateFailed", source: { file: k.file, line: 1 } }) }),
    );
    this.queue = done;
    return done;
  }

  private async edit(file: string, resource: string, listed: boolean): Promise<KustomizationEdit | undefined> {
    const before = await this.tree.read(file);
    if (before === undefined) throw new GitcertError("KustomizationUpdateFailed", `${file} is gone`);
    const after = listed ? addResource(before, resource) : removeResource(before, resource);
    if (after === before) return undefined;
    await this.tree.write(file, after);
    return { file, resource, change: listed ? "added" : "removed" };
  }
}
