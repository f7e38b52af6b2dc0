// Keeping kustomization.yaml in step with the Secrets gitcert writes (its
// `resources:` list, or a KSOPS generator's `files:` list). These files are
// written by people, so an edit must look like a person made it: only the
// one list item changes, every comment, blank line, indentation and quoting
// style elsewhere stays byte for byte, and the new entry is written the way
// its siblings are (`./` prefix or not; in sorted place when the list is
// sorted). yaml.parseDocument gives us exact source ranges; we splice the
// text at those ranges instead of re-serialising the whole document, and
// re-parse the result to prove the edit did what it meant to.
import { isMap, isScalar, isSeq, parse, parseDocument } from "yaml";
import type { Document, Pair, YAMLMap, YAMLSeq } from "yaml";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import { GitcertError } from "../diagnostics.ts";

function invalid(message: string): GitcertError {
  return new GitcertError("InvalidKustomization", message);
}

/** Two spellings of the same local entry (`./a.yaml`, `a.yaml`) are one entry. */
function normalise(entry: string): string {
  let e = entry.trim();
  while (e.startsWith("./")) e = e.slice(2);
  return e.length > 1 ? e.replace(/\/+$/, "") : e;
}

/** The entry as YAML: plain when that reads back identically in block and flow lists, else double-quoted. */
function render(entry: string): string {
  const plain = (() => {
    try {
      // YAML 1.1 too: kustomize's parser still reads `yes` and `on` as booleans.
      return [`- ${entry}`, `[${entry}]`].every((src) =>
        (["1.1", "1.2"] as const).every((version) => {
          const list = parse(src, { version }) as unknown;
          return Array.isArray(list) && list.length === 1 && list[0] === entry;
        }),
      );
    } catch {
      return false;
    }
  })();
  return plain && !/\s/.test(entry) ? entry : JSON.stringify(entry);
}

function checkEntry(entry: string): void {
  if (typeof entry !== "string" || !entry.trim() || /[\r\n\0]/.test(entry)) {
    throw invalid(`"${String(entry)}" is not a valid kustomization resource entry`);
  }
}

interface Parsed {
  doc: Document.Parsed;
  map: YAMLMap.Parsed | undefined;
  pair: Pair | undefined;
}

function load(text: string, key: string): Parsed {
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw invalid(`kustomization: ${tooDeep.message}`);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw invalid(`kustomization is not valid YAML: ${doc.errors[0]?.message ?? "parse error"}`);
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { doc, map: undefined, pair: undefined };
  if (!isMap(contents)) throw invalid("kustomization is not a YAML mapping");
  const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  return { doc, map: contents as YAMLMap.Parsed, pair };
}

/** The list under `key` as data, or `false` when the text no longer parses as a kustomization. */
function entriesOf(text: string, key: string): unknown[] | null | undefined | false {
  try {
    const value = (parse(text) as Record<string, unknown> | null)?.[key];
    return Array.isArray(value) ? value : value == null ? null : false;
  } catch {
    return false;
  }
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

/** Offset just past the newline ending the line that holds `pos`. */
function nextLine(text: string, pos: number): number {
  const nl = text.indexOf("\n", pos);
  return nl === -1 ? text.length : nl + 1;
}

function eolOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** The text after `text` ends, on a fresh line. */
function appendLines(text: string, lines: string): string {
  const eol = eolOf(text);
  const sep = text === "" || text.endsWith("\n") ? "" : eol;
  return text + sep + lines;
}

/** Inserts `entry` as item `index` (the end when it equals the length), or undefined when the layout is not one the splice knows. */
function spliceAdd(text: string, parsed: Parsed, key: string, entry: string, index: number): string | undefined {
  const eol = eolOf(text);
  const item = render(entry);
  const { map, pair } = parsed;

  if (!map) return appendLines(text, `${key}:${eol}- ${item}${eol}`);
  if (map.flow) throw invalid("kustomization written as a flow mapping ({...}) is not supported");
  if (!pair) {
    const indent = " ".repeat(column(text, map.range[0]));
    return appendLines(text, `${indent}${key}:${eol}${indent}- ${item}${eol}`);
  }

  const value = pair.value;
  const keyNode = pair.key as { range: [number, number, number] };
  if (value === null || (isScalar(value) && value.value === null)) {
    // `resources:`, `resources: ~` or `resources: null`: drop the null and
    // start a block list on the next line, at the key's own indentation
    // (the layout `kustomize edit add` writes).
    const colon = text.indexOf(":", keyNode.range[1]);
    const valueEnd = isScalar(value) && value.range ? value.range[1] : colon + 1;
    const nullText = text.slice(colon + 1, valueEnd);
    const withoutNull = nullText.trim() && !nullText.includes("\n") ? splice(text, colon + 1, valueEnd, "") : text;
    const indent = " ".repeat(column(text, keyNode.range[0]));
    const at = nextLine(withoutNull, colon + 1);
    const line = `${indent}- ${item}${eol}`;
    return at === withoutNull.length && !withoutNull.endsWith("\n")
      ? withoutNull + eol + line
      : splice(withoutNull, at, at, line);
  }
  if (!isSeq(value)) throw invalid(`"${key}" in kustomization is not a list`);
  const seq = value as YAMLSeq.Parsed;
  const items = seq.items as Array<{ range?: [number, number, number] }>;
  const before = index < items.length ? items[index]?.range : undefined;

  if (seq.flow) {
    if (before) return splice(text, before[0], before[0], `${item}, `);
    const last = items.at(-1)?.range;
    if (!last) return splice(text, seq.range[0] + 1, seq.range[0] + 1, item);
    return splice(text, last[1], last[1], `, ${item}`);
  }
  if (before) {
    const start = lineStart(text, before[0]);
    const written = text.slice(start, before[0]);
    if (!/^[ \t]*-[ \t]+$/.test(written)) return undefined;
    return splice(text, start, start, `${written}${item}${eol}`);
  }
  const last = items.at(-1);
  if (!last?.range) throw invalid(`"${key}" in kustomization is an empty block list`);
  const lastLine = lineStart(text, last.range[0]);
  const written = text.slice(lastLine, last.range[0]);
  const prefix = /^[ \t]*-[ \t]+$/.test(written) ? written : `${" ".repeat(column(text, seq.range[0]))}- `;
  const at = nextLine(text, last.range[1] - 1);
  if (at === text.length && !text.endsWith("\n")) return text + eol + prefix + item;
  return splice(text, at, at, `${prefix}${item}${eol}`);
}

function spliceRemove(text: string, key: string, entry: string): string {
  const wanted = normalise(entry);
  let out = text;
  // One item per pass, re-parsing in between: neighbouring hits in a flow
  // list share their commas, and fresh ranges keep that simple.
  for (;;) {
    const parsed = load(out, key);
    const seq = parsed.pair?.value;
    if (!isSeq(seq)) return out;
    const items = seq.items as Array<{ value?: unknown; range?: [number, number, number] }>;
    const i = items.findIndex((it) => isScalar(it) && typeof it.value === "string" && normalise(it.value) === wanted);
    const it = items[i]?.range;
    if (!it) return out;
    if (seq.flow) {
      const next = items[i + 1]?.range;
      const prev = items[i - 1]?.range;
      if (next) out = splice(out, it[0], next[0], "");
      else if (prev) out = splice(out, prev[1], it[1], "");
      else out = splice(out, it[0], it[1], "");
      continue;
    }
    out = splice(out, lineStart(out, it[0]), nextLine(out, it[1] - 1), "");
    if (items.length === 1) {
      // An emptied block list would read back as null; say "no resources"
      // the way people write it.
      const keyNode = parsed.pair?.key as { range: [number, number, number] };
      const colon = out.indexOf(":", keyNode.range[1]);
      return splice(out, colon + 1, colon + 1, " []");
    }
  }
}

function sameList(actual: unknown[] | null | undefined | false, expected: string[]): boolean {
  if (actual === false) return false;
  const list = actual ?? [];
  return list.length === expected.length && list.every((v, i) => v === expected[i]);
}

/** The structural edit, for layouts the splice does not understand. Comments survive; spacing may not. */
function rewrite(doc: Document.Parsed, key: string, list: string[]): string {
  doc.set(key, doc.createNode(list));
  return doc.toString({ lineWidth: 0 });
}

function current(parsed: Parsed, key: string): string[] {
  const value = parsed.pair?.value;
  if (value == null || (isScalar(value) && value.value === null)) return [];
  if (!isSeq(value)) throw invalid(`"${key}" in kustomization is not a list`);
  return value.items.map((it) => (isScalar(it) ? String(it.value) : String(it)));
}

/** A remote base or URL: not a sibling file whose style a new entry should copy. */
function isRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i.test(entry);
}

/**
 * `entry` written like its siblings: with `./` when most local entries have
 * it, without when most do not; and where it goes: in sorted place when the
 * list (of two or more) is sorted, else at the end.
 */
function styled(before: readonly string[], entry: string): { entry: string; index: number } {
  const local = before.filter((e) => !isRemote(e));
  const dotted = local.filter((e) => e.startsWith("./")).length;
  let out = normalise(entry);
  if (dotted * 2 > local.length && !out.startsWith("../")) out = `./${out}`;
  const keys = before.map(normalise);
  const sorted = keys.length >= 2 && keys.every((k, i) => i === 0 || keys[i - 1]! <= k);
  const at = sorted ? keys.findIndex((k) => k > normalise(entry)) : -1;
  return { entry: out, index: at === -1 ? before.length : at };
}

/**
 * Add `entry` to the list under `key` (a kustomization's `resources`, a
 * KSOPS generator's `files`), creating the key when missing. Returns the
 * text itself when the entry is already there (`./a.yaml` and `a.yaml`
 * count as the same).
 */
export function addListEntry(text: string, key: string, entry: string): string {
  checkEntry(entry);
  const parsed = load(text, key);
  const before = current(parsed, key);
  if (before.some((e) => normalise(e) === normalise(entry))) return text;
  const { entry: written, index } = styled(before, entry);
  const expected = [...before.slice(0, index), written, ...before.slice(index)];
  const edited = spliceAdd(text, parsed, key, written, index);
  return edited !== undefined && sameList(entriesOf(edited, key), expected) ? edited : rewrite(parsed.doc, key, expected);
}

/** Remove every spelling of `entry` from the list under `key`. Returns the text itself when it is not listed. */
export function removeListEntry(text: string, key: string, entry: string): string {
  checkEntry(entry);
  const parsed = load(text, key);
  const before = current(parsed, key);
  const expected = before.filter((e) => normalise(e) !== normalise(entry));
  if (expected.length === before.length) return text;
  const edited = spliceRemove(text, key, entry);
  return sameList(entriesOf(edited, key), expected) ? edited : rewrite(parsed.doc, key, expected);
}

/** Add `entry` to a kustomization.yaml's `resources:` list (see addListEntry). */
export function addResource(kustomizationText: string, entry: string): string {
  return addListEntry(kustomizationText, "resources", entry);
}

/** Remove every spelling of `entry` from a kustomization.yaml's `resources:` list. */
export function removeResource(kustomizationText: string, entry: string): string {
  return removeListEntry(kustomizationText, "resources", entry);
}
