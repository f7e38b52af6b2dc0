// The `sops:` block of a file gitcert wrote, read from its text without a
// YAML parser. Values are picked out line by line, loosely, and the block is
// then written again from them: only when that gives back the very same
// text are they taken. The emitter writes nothing that reads back as other
// than what it was given (it is checked against sops' own layout), so a
// reading it reproduces byte for byte is the one any YAML reader makes.
// Any other layout (sops 3.13's sorted keys, an edit by hand, key groups)
// is left to the YAML parser.
import { Pair, Scalar, YAMLMap } from "yaml";
import { cryptRuleOf } from "./crypt-rule.ts";
import type { AgeKeyEntry } from "./data-key.ts";
import { METADATA_KEY, metadataNode } from "./metadata.ts";
import type { SopsMetadata } from "./metadata.ts";
import { emitYamlStream } from "./yaml-emit.ts";

export interface MetadataText {
  meta: SopsMetadata;
  /** The `age:` entry's lines, from the start of its line to the end of its last. */
  ageStart: number;
  ageEnd: number;
  /** The block's indentation: its keys' column, and the file's indent. */
  indent: number;
}

const FIELD = /^([a-z_]+):(?: (.+))?$/;
const RECIPIENT = /^- recipient: (\S+)$/;
const ENC = /^ {2}enc: \|$/;
const DOUBLE_QUOTED = /^"([^"\\]*)"$/;
const KNOWN = new Set(["lastmodified", "mac", "mac_only_encrypted", "version", "encrypted_regex", "unencrypted_regex", "encrypted_suffix", "unencrypted_suffix"]);

const indentOf = (line: string): number => line.length - line.trimStart().length;

/** The age list's lines (all deeper than the block's keys), loosely. */
function ageEntries(lines: readonly string[], depth: number): AgeKeyEntry[] | undefined {
  const entries: AgeKeyEntry[] = [];
  let i = 0;
  while (i < lines.length) {
    const recipient = RECIPIENT.exec(lines[i]!.slice(depth))?.[1];
    if (!recipient || !ENC.test(lines[i + 1]?.slice(depth) ?? "")) return undefined;
    i += 2;
    const body: string[] = [];
    const bodyDepth = lines[i] === undefined ? 0 : indentOf(lines[i]!);
    while (i < lines.length && indentOf(lines[i]!) === bodyDepth && bodyDepth > depth + 2) body.push(lines[i++]!.slice(bodyDepth));
    if (body.length === 0) return undefined;
    entries.push({ recipient, enc: `${body.join("\n")}\n` });
  }
  return entries;
}

/** The block `text` (from its `sops:` line to the end of the file) holds, if gitcert's emitter wrote exactly it. */
export function readMetadataText(text: string): MetadataText | undefined {
  if (!text.startsWith(`${METADATA_KEY}:\n`) || !text.endsWith("\n")) return undefined;
  const lines = text.slice(0, -1).split("\n").slice(1);
  const indent = indentOf(lines[0] ?? "");
  if (indent === 0 || lines[0] !== `${" ".repeat(indent)}age:`) return undefined;
  let ageLines = 1;
  while (ageLines < lines.length && indentOf(lines[ageLines]!) > indent) ageLines++;
  const age = ageEntries(lines.slice(1, ageLines), indentOf(lines[1] ?? ""));
  if (!age) return undefined;

  const fields = new Map<string, string>();
  for (const line of lines.slice(ageLines)) {
    const m = indentOf(line) === indent ? FIELD.exec(line.slice(indent)) : null;
    if (!m || m[2] === undefined || !KNOWN.has(m[1]!) || fields.has(m[1]!)) return undefined;
    fields.set(m[1]!, m[2]);
  }
  const lastModified = DOUBLE_QUOTED.exec(fields.get("lastmodified") ?? "")?.[1];
  const mac = fields.get("mac");
  const version = fields.get("version");
  const macOnly = fields.get("mac_only_encrypted");
  if (lastModified === undefined || mac === undefined || version === undefined || (macOnly !== undefined && macOnly !== "true")) return undefined;
  let rule;
  try {
    rule = cryptRuleOf({
      encryptedRegex: fields.get("encrypted_regex"),
      unencryptedRegex: fields.get("unencrypted_regex"),
      encryptedSuffix: fields.get("encrypted_suffix"),
      unencryptedSuffix: fields.get("unencrypted_suffix"),
    });
  } catch {
    return undefined;
  }
  const meta: SopsMetadata = { age, lastModified, mac, rule, macOnlyEncrypted: macOnly === "true", version };

  const block = new YAMLMap();
  block.items.push(new Pair(new Scalar(METADATA_KEY), metadataNode(meta)));
  if (emitYamlStream([block], indent) !== text) return undefined;
  const ageStart = `${METADATA_KEY}:\n`.length;
  const ageEnd = ageStart + lines.slice(0, ageLines).reduce((sum, line) => sum + line.length + 1, 0);
  return { meta, ageStart, ageEnd, indent };
}
