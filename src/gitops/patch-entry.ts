// One entry of a `patches:` list (kustomization.yaml or Flux Kustomization),
// or of the older `patchesStrategicMerge:` / `patchesJson6902:` lists, read
// into patches. A patch's text is YAML or JSON: a list is a JSON6902 patch,
// a mapping a strategic merge patch, and one text may hold several
// strategic merge patches separated by `---`.
import { parseAllDocuments } from "yaml";
import type { SourceRef } from "../diagnostics.ts";
import { isRecord } from "../schema/index.ts";
import { readSelector } from "./selector.ts";
import type { Patch } from "./types.ts";

export type PatchEntryResult = { patches: Patch[]; file?: string } | { error: string };

/** Reads a repository file relative to the kustomization's folder: its text and repository path, or undefined. */
export type PatchFileReader = (relative: string) => { path: string; text: string } | undefined;

export function readPatchEntry(entry: unknown, where: { source: SourceRef; at: string }, readFile: PatchFileReader | undefined): PatchEntryResult {
  if (!isRecord(entry)) return { error: "not a mapping" };
  const t = readSelector(entry.target);
  if (t.error) return { error: t.error };
  if (typeof entry.patch === "string") return fromText(entry.patch, t.selector, where.source);
  if (Array.isArray(entry.patch) || isRecord(entry.patch)) {
    return { patches: [{ type: Array.isArray(entry.patch) ? "json6902" : "strategic", body: entry.patch, ...(t.selector ? { target: t.selector } : {}), source: where.source }] };
  }
  if (typeof entry.path === "string") {
    const file = readFile?.(entry.path);
    if (!file) return { error: `patch file ${JSON.stringify(entry.path)} is not in the repository` };
    const r = fromText(file.text, t.selector, { file: file.path, line: 1 });
    return "error" in r ? { error: `${file.path}: ${r.error}` } : { ...r, file: file.path };
  }
  return { error: "has neither patch nor path" };
}

/** An entry of `patchesStrategicMerge:`: a file path, or the patch itself inline. */
export function readStrategicMergeEntry(entry: unknown, source: SourceRef, readFile: PatchFileReader | undefined): PatchEntryResult {
  if (isRecord(entry)) return { patches: [{ type: "strategic", body: entry, source }] };
  if (typeof entry !== "string") return { error: "not a path or a patch" };
  // A one-line string is a path; kustomize also takes an inline patch here.
  if (!entry.includes("\n")) {
    const file = readFile?.(entry);
    if (!file) return { error: `patch file ${JSON.stringify(entry)} is not in the repository` };
    const r = fromText(file.text, undefined, { file: file.path, line: 1 });
    return "error" in r ? { error: `${file.path}: ${r.error}` } : { ...r, file: file.path };
  }
  return fromText(entry, undefined, source);
}

// A parent's patch for its children is the same text in every child: parsed once.
const parsedTexts = new Map<string, Array<{ type: Patch["type"]; body: unknown }> | { error: string }>();
const MAX_REMEMBERED = 1000;

function fromText(text: string, target: Patch["target"], source: SourceRef): PatchEntryResult {
  let parsed = parsedTexts.get(text);
  if (!parsed) {
    parsed = parseText(text);
    if (parsedTexts.size >= MAX_REMEMBERED) parsedTexts.clear();
    parsedTexts.set(text, parsed);
  }
  if ("error" in parsed) return parsed;
  return { patches: parsed.map((p) => ({ type: p.type, body: structuredClone(p.body), ...(target ? { target } : {}), source })) };
}

function parseText(text: string): Array<{ type: Patch["type"]; body: unknown }> | { error: string } {
  let docs;
  try {
    docs = parseAllDocuments(text, { prettyErrors: false });
  } catch (err) {
    return { error: `cannot parse the patch: ${err instanceof Error ? err.message : String(err)}` };
  }
  const patches: Array<{ type: Patch["type"]; body: unknown }> = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) return { error: `the patch is not valid YAML: ${doc.errors[0]!.message}` };
    if (doc.contents === null) continue;
    let body: unknown;
    try {
      body = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return { error: `cannot read the patch: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (Array.isArray(body)) patches.push({ type: "json6902", body });
    else if (isRecord(body)) patches.push({ type: "strategic", body });
    else return { error: "the patch is neither a mapping nor a list of operations" };
  }
  return patches;
}
