// The fixture repositories in test/gitops/fixtures, read into memory (for
// scanFiles) or written into a Git remote (for the whole pipeline).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { SourceFile } from "../../src/manifests/index.ts";

const ROOT = join(import.meta.dirname, "fixtures");

/** Every file of fixture `name` by repository path (README.md left out), with `replace` applied to each text. */
export function fixture(name: string, replace: Record<string, string> = {}): Record<string, string> {
  const base = join(ROOT, name);
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry !== "README.md") {
        let text = readFileSync(path, "utf8");
        for (const [from, to] of Object.entries(replace)) text = text.replaceAll(from, to);
        out[relative(base, path)] = text;
      }
    }
  };
  walk(base);
  return out;
}

/** Files in sorted path order, as the scan reads them. */
export function sourceFiles(files: Record<string, string>): SourceFile[] {
  return Object.keys(files)
    .sort()
    .map((path) => ({ path, text: files[path]! }));
}
