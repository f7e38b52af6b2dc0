// `sops updatekeys` for one file (cmd/sops/subcommand/updatekeys): open the
// data key with an identity the file already lists, and wrap that same key
// for the recipients wanted. Values, `mac`, `lastmodified`, `version` and
// the crypt rule stay as they are, so the MAC still holds and nothing else
// in the file changes. Unlike sops, which re-emits the whole file and
// re-wraps every recipient, only the `age:` list is rewritten in place, and
// recipients that stay keep their entry: the diff is the recipients changed.
// A file laid out as sops and gitcert lay it out is not parsed whole: only
// its `sops:` block is read, and the rest, nearly all of its bytes, is
// carried over as it is: that rest is not checked to be valid YAML (an
// unclosed quote above `sops:` goes unnoticed), so callers hand over only
// text the scan has parsed whole, as execute does.
import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap } from "yaml";
import type { Node as YamlNode } from "yaml";
import { decryptValue } from "./aes-value.ts";
import { unwrapDataKey, wrapDataKey } from "./data-key.ts";
import type { AgeKeyEntry } from "./data-key.ts";
import { secretsError } from "./errors.ts";
import { canonicalRfc3339 } from "./go-values.ts";
import { ageEntriesNode, isMetadataPair, readMetadata } from "./metadata.ts";
import type { SopsMetadata } from "./metadata.ts";
import { readMetadataText } from "./metadata-text.ts";
import { emitMappingAt } from "./yaml-emit.ts";
import { parseYamlStream } from "./yaml-nodes.ts";

export interface RekeyResult {
  text: string;
  /** Recipients before and after, in file order. */
  before: string[];
  after: string[];
}

/** The byte range of the `age:` entry of one document's `sops:` block, and the layout around it. */
interface AgeSpan {
  start: number;
  end: number;
  column: number;
  indent: number;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/**
 * From the start of the `age:` line through every line deeper than it (and
 * `- ` items at its own column, which YAML also allows), trailing blank
 * lines left out.
 */
function ageSpan(text: string, sops: YAMLMap): AgeSpan {
  const pair = sops.items.find((p) => isScalar(p.key) && p.key.value === "age");
  if (!pair) throw secretsError("SopsUnsupported", "the sops block has no age list (key_groups?); gitcert rekeys only files with a flat age list");
  const keyOffset = (pair.key as YamlNode).range![0];
  const start = lineStart(text, keyOffset);
  const column = keyOffset - start;
  if (text.slice(start, keyOffset).trim() !== "") throw secretsError("SopsUnsupported", "the sops block is not in block style; gitcert cannot rewrite its age list in place");
  const firstKey = sops.items[0]!.key as YamlNode;
  const indent = firstKey.range![0] - lineStart(text, firstKey.range![0]);
  let end = text.indexOf("\n", keyOffset);
  end = end < 0 ? text.length : end + 1;
  let contentEnd = end;
  while (end < text.length) {
    const next = text.indexOf("\n", end);
    const lineEnd = next < 0 ? text.length : next + 1;
    const line = text.slice(end, lineEnd).replace(/\r?\n$/, "");
    const depth = line.length - line.trimStart().length;
    if (line.trim() === "") {
      end = lineEnd;
      continue;
    }
    if (depth > column || (depth === column && /^-( |$)/.test(line.trimStart()))) {
      end = lineEnd;
      contentEnd = end;
      continue;
    }
    break;
  }
  return { start, end: contentEnd, column, indent };
}

function sopsMap(doc: YamlNode | null | undefined): YAMLMap | undefined {
  if (!isMap(doc)) return undefined;
  const pair = doc.items.find(isMetadataPair);
  return pair && isMap(pair.value) ? pair.value : undefined;
}

/**
 * A document's `sops:` block: its mapping with the text its node offsets
 * count in, or, read from gitcert's own layout, the span of its age list
 * straight away; and where that text starts in the file.
 */
interface SopsBlock {
  text: string;
  offset: number;
  map?: YAMLMap;
  span?: AgeSpan;
}

interface SopsBlocks {
  /** From the first document, the one sops reads. */
  meta: SopsMetadata;
  blocks: SopsBlock[];
}

/** Every document's `sops:` block, from the whole file parsed. */
function parsedSopsBlocks(text: string): SopsBlocks {
  const { docs, lines } = parseYamlStream(text, "encrypted file");
  const first = docs[0]?.contents;
  if (!isMap(first)) throw secretsError("SopsNotEncrypted", "sops metadata not found: the file is not sops-encrypted");
  const meta = readMetadata(first, lines);
  const blocks = docs.map((d) => sopsMap(d.contents)).filter((m): m is YAMLMap => m !== undefined);
  return { meta, blocks: blocks.map((map) => ({ map, text, offset: 0 })) };
}

const SOPS_LINE = /^sops:[ \t]*\r?$/gm;
const DOCUMENT_MARKER = /^(?:---|\.\.\.|%)/m;
const STARTS_WITH_PLAIN_KEY = /^[A-Za-z_][^\n:#]*:(?:[ \t]|\r?\n)/;
const LINE_AT_COLUMN_0 = /\n[^ \r\n]/;

/**
 * The one `sops:` block of a file as sops and gitcert write it: a single
 * document, opening with a plain key, whose last entry is `sops:`. The
 * `yaml` package (and yaml.v3) reads any line at column 0 of such a file as
 * a top-level entry, so one `sops:` line at column 0 with nothing but
 * indented lines after it is that entry. Gitcert's own layout is read from
 * the text (metadata-text.ts), any other by parsing the block alone.
 * Undefined for any other file, and for a block that does not read
 * cleanly, so that the whole file is parsed and its errors name the right
 * lines.
 */
function trailingSopsBlock(text: string): SopsBlocks | undefined {
  const found = [...text.matchAll(SOPS_LINE)];
  if (found.length !== 1 || DOCUMENT_MARKER.test(text) || !STARTS_WITH_PLAIN_KEY.test(text)) return undefined;
  const offset = found[0]!.index;
  const tail = text.slice(offset);
  if (LINE_AT_COLUMN_0.test(tail)) return undefined;
  const ours = readMetadataText(tail);
  if (ours) return { meta: ours.meta, blocks: [{ text: tail, offset, span: { start: ours.ageStart, end: ours.ageEnd, column: ours.indent, indent: ours.indent } }] };
  try {
    const { docs, lines } = parseYamlStream(tail, "sops block");
    const root = docs[0]?.contents;
    if (docs.length !== 1 || !isMap(root) || root.items.length !== 1) return undefined;
    const map = sopsMap(root);
    if (!map) return undefined;
    return { meta: readMetadata(root, lines), blocks: [{ map, text: tail, offset }] };
  } catch {
    return undefined;
  }
}

function ageListNode(entries: readonly AgeKeyEntry[]): YAMLMap {
  const map = new YAMLMap();
  map.items.push(new Pair(new Scalar("age"), ageEntriesNode(entries)));
  return map;
}

// An X25519 recipient (Bech32, lowercase) and an armored age file as
// armorEncode writes them: a plain scalar and a literal block of unindented
// lines, nothing the emitter can get wrong.
const CANONICAL_RECIPIENT = /^age1[02-9ac-hj-np-z]+$/;
const CANONICAL_ARMOR = /^-----BEGIN AGE ENCRYPTED FILE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{0,63}={0,2}\n?-----END AGE ENCRYPTED FILE-----\n$/;

const isCanonical = (e: AgeKeyEntry): boolean => CANONICAL_RECIPIENT.test(e.recipient) && CANONICAL_ARMOR.test(e.enc);

/** Entries kept from the file as it was may hold anything: their new list must read back as written. */
function assertReadsBack(list: YAMLMap, entries: readonly AgeKeyEntry[], indent: number): void {
  const readBack = parseYamlStream(emitMappingAt(list, 0, indent), "rewritten age list").docs[0]?.toJS() as { age?: AgeKeyEntry[] } | undefined;
  if (JSON.stringify(readBack?.age?.map((e) => [e.recipient, e.enc])) !== JSON.stringify(entries.map((e) => [e.recipient, e.enc]))) {
    throw secretsError("SopsMetadataInvalid", "the rewritten age list does not read back as written; not rekeyed");
  }
}

/**
 * The file re-wrapped for `recipients`. `identities` must open it (one of
 * them among its current recipients); the data key is checked to be this
 * file's (its MAC decrypts) before it is handed to anyone new.
 */
export async function rekeyYaml(encryptedYaml: string, recipients: readonly string[], identities: readonly string[]): Promise<RekeyResult> {
  const wanted = [...new Set(recipients.map((r) => r.trim()).filter((r) => r !== ""))];
  if (wanted.length === 0) throw secretsError("SopsInvalidRecipient", "no age recipient to rekey for");
  const { meta, blocks } = trailingSopsBlock(encryptedYaml) ?? parsedSopsBlocks(encryptedYaml);
  if (blocks.some(({ map }) => { const groups: unknown = map?.get("key_groups", true); return isSeq(groups) && groups.items.length > 0; })) {
    throw secretsError("SopsUnsupported", "the file keeps its keys in key_groups; gitcert rekeys only files with a flat age list");
  }

  const dataKey = await unwrapDataKey(meta.age, identities);
  let entries: AgeKeyEntry[];
  try {
    const aad = canonicalRfc3339(meta.lastModified);
    try {
      if (aad === undefined || !meta.mac) throw new Error("no MAC");
      decryptValue(meta.mac, dataKey, aad);
    } catch {
      throw secretsError("SopsMacMismatch", "the data key an identity opens does not decrypt this file's MAC: an age entry was replaced; not rekeyed");
    }
    // A recipient that stays keeps its entry: it still wraps the same key.
    const current = new Map(meta.age.map((e) => [e.recipient, e]));
    entries = await Promise.all(wanted.map((r) => current.get(r) ?? wrapDataKey(dataKey, r)));
  } finally {
    dataKey.fill(0);
  }

  let text = encryptedYaml;
  const list = ageListNode(entries);
  // Last document first, so earlier offsets stay valid.
  for (const block of [...blocks].reverse()) {
    const within = block.span ?? ageSpan(block.text, block.map!);
    const span = { ...within, start: within.start + block.offset, end: within.end + block.offset };
    if (!entries.every(isCanonical)) assertReadsBack(list, entries, span.indent);
    text = text.slice(0, span.start) + emitMappingAt(list, span.column, span.indent) + text.slice(span.end);
  }
  return { text, before: meta.age.map((e) => e.recipient), after: wanted };
}
