// The `.sops.yaml` files that govern a set of repository paths, read and
// parsed once at the edge, then looked up without any reading: planning
// stays a pure function of data. The nearest `.sops.yaml` above a file
// governs it, matching or not, as for `cd $(dirname file) && sops -e file`.
import { posix } from "node:path";
import { GitcertError } from "../diagnostics.ts";
import { parseSopsConfig, SOPS_CONFIG_NAME } from "./sops-config.ts";
import type { SopsConfig } from "./types.ts";

export interface SopsConfigFile {
  /** Repository-relative path of the `.sops.yaml`. */
  path: string;
  /** Its folder, `""` for the repository root. */
  dir: string;
  /** Absent when the file does not parse: `problem` says why. */
  config?: SopsConfig;
  problem?: GitcertError;
}

/**
 * By folder: the `.sops.yaml` in it, or null when it has none; undefined for
 * a folder that was not read (above a found file, or never asked for).
 */
export interface SopsConfigIndex {
  get(dir: string): SopsConfigFile | null | undefined;
}

/** A repository without any `.sops.yaml`. */
export const NO_SOPS_CONFIGS: SopsConfigIndex = { get: () => null };

function folderOf(path: string): string {
  const dir = posix.dirname(path);
  return dir === "." ? "" : dir;
}

function parent(dir: string): string | undefined {
  return dir === "" ? undefined : folderOf(dir);
}

/** Reads the `.sops.yaml` files governing `paths`; `read` gives a repository file's text, or undefined. */
export async function loadSopsConfigs(paths: Iterable<string>, read: (path: string) => Promise<string | undefined>, into = new Map<string, SopsConfigFile | null>()): Promise<Map<string, SopsConfigFile | null>> {
  for (const path of paths) {
    for (let dir: string | undefined = folderOf(path); dir !== undefined; dir = parent(dir)) {
      let found = into.get(dir);
      if (found === undefined) {
        const file = dir === "" ? SOPS_CONFIG_NAME : `${dir}/${SOPS_CONFIG_NAME}`;
        const text = await read(file);
        found = text === undefined ? null : parsed(text, file, dir);
        into.set(dir, found);
      }
      if (found) break;
    }
  }
  return into;
}

function parsed(text: string, path: string, dir: string): SopsConfigFile {
  try {
    return { path, dir, config: parseSopsConfig(text, path) };
  } catch (err) {
    if (err instanceof GitcertError) return { path, dir, problem: err };
    throw err;
  }
}

/** The `.sops.yaml` governing a file, from an index loaded for it. */
export function governingSopsConfig(index: SopsConfigIndex, path: string): SopsConfigFile | undefined {
  for (let dir: string | undefined = folderOf(path); dir !== undefined; dir = parent(dir)) {
    const found = index.get(dir);
    if (found === undefined) throw new Error(`internal: .sops.yaml files above ${path} were not loaded`);
    if (found) return found;
  }
  return undefined;
}
