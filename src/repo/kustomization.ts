// Keeping kustomization.yaml in step with the Secrets gitcert writes. These
// files are written by people, so an edit must look like a person made it:
// only the one list item changes, every comment, blank line, indentation and
// quoting style elsewhere stays byte for byte. yaml.parseDocument gives us
// exact source ranges; we splice the text at those ranges instead of
// re-serialising the whole document, and re-parse the result to prove the
// edit did what it meant to.
import { isMap, isScalar, isSeq, parse, parseDocument } from "yaml";
import type { Document, Pair, YAMLMap, YAMLSeq } from "yaml";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import { GitcertError } from "../diagnostics.ts";

const KEY = "resources";

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

function load(text: string): Parsed {
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw invalid(`kustomization: ${tooDeep.message}`);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw invalid(`kustomization is not valid YAML: ${doc.errors[0]?.message ?? "parse error"}`);
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { doc, map: undefined, pair: undefined };
  if (!isMap(contents)) throw invalid("kustomization is not a YAML mapping");
  const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === KEY);
  return { doc, map: contents as YAMLMap.Parsed, pair };
}

/** The `resources:` list as data, or `false` when the text no longer parses as a kustomization. */
function entriesOf(text: string): unknown[] | null | undefined | false {
  try {
    const value = (parse(text) as Record<string, unknown> | null)?.[KEY];
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

function spliceAdd(text: string, parsed: Parsed, entry: string): string {
  const eol = eolOf(text);
  const item = render(entry);
  const { map, pair } = parsed;

  if (!map) return appendLines(text, `${KEY}:${eol}- ${item}${eol}`);
  if (map.flow) throw invalid("kustomization written as a flow mapping ({...}) is not supported");
  if (!pair) {
    const indent = " ".repeat(column(text, map.range[0]));
    return appendLines(text, `${indent}${KEY}:${eol}${indent}- ${item}${eol}`);
  }

  const value = pair.value;
  const key = pair.key as { range: [number, number, number] };
  if (value === null || (isScalar(value) && value.value === null)) {
    // `resources:`, `resources: ~` or `resources: null`: drop the null and
    // start a block list on the next line, at the key's own indentation
    // (the layout `kustomize edit add` writes).
    const colon = text.indexOf(":", key.range[1]);
    const valueEnd = isScalar(value) && value.range ? value.range[1] : colon + 1;
    const nullText = text.slice(colon + 1, valueEnd);
    const withoutNull = nullText.trim() && !nullText.includes("\n") ? splice(text, colon + 1, valueEnd, "") : text;
    const indent = " ".repeat(column(text, key.range[0]));
    const at = nextLine(withoutNull, colon + 1);
    const line = `${indent}- ${item}${eol}`;
    return at === withoutNull.length && !withoutNull.endsWith("\n")
      ? withoutNull + eol + line
      : splice(withoutNull, at, at, line);
  }
  if (!isSeq(value)) throw invalid(`"${KEY}" in kustomization is not a list`);
  const seq = value as YAMLSeq.Parsed;
  const last = seq.items.at(-1) as { range?: [number, number, number] } | undefined;

  if (seq.flow) {
    if (!last?.range) return splice(text, seq.range[0] + 1, seq.range[0] + 1, item);
    return splice(text, last.range[1], last.range[1], `, ${item}`);
  }
  if (!last?.range) throw invalid(`"${KEY}" in kustomization is an empty block list`);
  const lastLine = lineStart(text, last.range[0]);
  const written = text.slice(lastLine, last.range[0]);
  const prefix = /^[ \t]*-[ \t]+$/.test(written) ? written : `${" ".repeat(column(text, seq.range[0]))}- `;
  const at = nextLine(text, last.range[1] - 1);
  if (at === text.length && !text.endsWith("\n")) return text + eol + prefix + item;
  return splice(text, at, at, `${prefix}${item}${eol}`);
}

function spliceRemove(text: string, entry: string): string {
  const wanted = normalise(entry);
  let out = text;
  // One item per pass, re-parsing in between: neighbouring hits in a flow
  // list share their commas, and fresh ranges keep that simple.
  for (;;) {
    const parsed = load(out);
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
      const key = parsed.pair?.key as { range: [number, number, number] };
      const colon = out.indexOf(":", key.range[1]);
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
function rewrite(doc: Document.Parsed, list: string[]): string {
  doc.set(KEY, doc.createNode(list));
  return doc.toString({ lineWidth: 0 });
}

function current(parsed: Parsed): string[] {
  const value = parsed.pair?.value;
  if (value == null || (isScalar(value) && value.value === null)) return [];
  if (!isSeq(value)) throw invalid(`"${KEY}" in kustomization is not a list`);
  return value.items.map((it) => (isScalar(it) ? String(it.value) : String(it)));
}

/**
 * Add `entry` to the `resources:` list of a kustomization.yaml, creating the
 * key when missing. Returns `kustomizationText` itself when the entry is
 * already there (`./a.yaml` and `a.yaml` count as the same).
 */
export function addResource(kustomizationText: string, entry: string): string {
  checkEntry(entry);
  const parsed = load(kustomizationText);
  const before = current(parsed);
  if (before.some((e) => normalise(e) === normalise(entry))) return kustomizationText;
  const expected = [...before, entry];
  const edited = spliceAdd(kustomizationText, parsed, entry);
  return sameList(entriesOf(edited), expected) ? edited : rewrite(parsed.doc, expected);
}

/**
 * Remove every spelling of `entry` from the `resources:` list. Returns
 * `kustomizationText` itself when it is not listed.
 */
export function removeResource(kustomizationText: string, entry: string): string {
  checkEntry(entry);
  const parsed = load(kustomizationText);
  const before = current(parsed);
  const expected = before.filter((e) => normalise(e) !== normalise(entry));
  if (expected.length === before.length) return kustomizationText;
  const edited = spliceRemove(kustomizationText, entry);
  return sameList(entriesOf(edited), expected) ? edited : rewrite(parsed.doc, expected);
}
