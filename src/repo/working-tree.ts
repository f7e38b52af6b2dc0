// The working clone as the reconcile's writers see it: read, write and
// remove by repository-relative path. Every path is checked to stay inside
// the repository (write.ts) and every write is atomic, so execute never
// reaches for node:fs and can be handed any tree.
import { readFileInside, removeFile, writeFileAtomic } from "./write.ts";

export interface WorkingTree {
  /** The file's text, or undefined when there is none. */
  read(path: string): Promise<string | undefined>;
  /** Atomic: readers see the old text or the new, never half of either. */
  write(path: string, text: string): Promise<void>;
  /** False when there was nothing to remove. */
  remove(path: string): Promise<boolean>;
}

export function workingTree(root: string): WorkingTree {
  return {
    read: (path) => readFileInside(root, path),
    write: async (path, text) => {
      await writeFileAtomic(root, path, text);
    },
    remove: (path) => removeFile(root, path),
  };
}
