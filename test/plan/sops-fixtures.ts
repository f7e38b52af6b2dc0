// `.sops.yaml` files as the plan sees them: parsed, by folder, every other
// folder without one.
import { parseSopsConfig, type SopsConfigFile, type SopsConfigIndex } from "../../src/secrets/index.ts";
import { GitcertError } from "../../src/diagnostics.ts";

/** `{ "": rootText, "apps": appsText }` → an index answering for every folder. */
export function sopsIndex(files: Record<string, string>): SopsConfigIndex {
  const byDir = new Map<string, SopsConfigFile>();
  for (const [dir, text] of Object.entries(files)) {
    const path = dir === "" ? ".sops.yaml" : `${dir}/.sops.yaml`;
    try {
      byDir.set(dir, { path, dir, config: parseSopsConfig(text, path) });
    } catch (err) {
      if (!(err instanceof GitcertError)) throw err;
      byDir.set(dir, { path, dir, problem: err });
    }
  }
  return { get: (dir) => byDir.get(dir) ?? null };
}
