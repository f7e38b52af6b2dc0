// The `sops:` block. Written in the sops 3.10–3.12 shape (flattened single
// key group, empty key lists omitted, struct field order), which every sops
// from 3.8 on and sops-age read. `lastmodified` is double-quoted (3.13's
// mapstructure cannot put a YAML timestamp into a string) and `mac: ENC[`
// stays plain (Flux detects sops files by that literal text).
import { Pair, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq } from "yaml";
import type { LineCounter, Node as YamlNode } from "yaml";
import { cryptRuleOf } from "./crypt-rule.ts";
import type { CryptRule } from "./crypt-rule.ts";
import type { AgeKeyEntry } from "./data-key.ts";
import { secretsError } from "./errors.ts";
import { RawText, lineOf, stringNode } from "./yaml-nodes.ts";

/** The format version written; must be semver (`sops -d` compares it with 3.3.0). */
export const SOPS_FORMAT_VERSION = "3.10.2";

export const METADATA_KEY = "sops";

export interface SopsMetadata {
  age: AgeKeyEntry[];
  /** As written in the file; the MAC's AAD is its RFC3339 re-formatting. */
  lastModified: string;
  /** ENC[] of the uppercase hex MAC; empty when the file has none. */
  mac: string;
  rule: CryptRule;
  macOnlyEncrypted: boolean;
  version: string;
}

const pair = (key: string, value: YamlNode): Pair => new Pair(new Scalar(key), value);

/** The `age:` list: one `recipient` + armored `enc` per recipient. */
export function ageEntriesNode(entries: readonly AgeKeyEntry[]): YAMLSeq {
  const age = new YAMLSeq();
  for (const entry of entries) {
    const item = new YAMLMap();
    const enc = new Scalar(entry.enc);
    enc.type = Scalar.BLOCK_LITERAL;
    item.items.push(pair("recipient", stringNode(entry.recipient)), pair("enc", enc));
    age.items.push(item);
  }
  return age;
}

export function metadataNode(meta: SopsMetadata): YAMLMap {
  const age = ageEntriesNode(meta.age);
  const lastModified = new Scalar(meta.lastModified);
  lastModified.type = Scalar.QUOTE_DOUBLE;
  const mac = new Scalar(meta.mac);
  mac.type = Scalar.PLAIN;
  const map = new YAMLMap();
  map.items.push(pair("age", age), pair("lastmodified", lastModified), pair("mac", mac), pair(meta.rule.kind, stringNode(meta.rule.value)));
  if (meta.macOnlyEncrypted) map.items.push(pair("mac_only_encrypted", new Scalar(new RawText("true"))));
  map.items.push(pair("version", stringNode(meta.version)));
  return map;
}

/** The top-level pairs of a document that hold sops metadata. */
export function isMetadataPair(p: Pair): boolean {
  return isScalar(p.key) && p.key.value === METADATA_KEY;
}

function text(node: unknown): string | undefined {
  if (node === null || node === undefined) return undefined;
  if (!isScalar(node)) return undefined;
  return String(node.value ?? "");
}

function ageEntries(node: unknown, where: string): AgeKeyEntry[] {
  if (node === null || node === undefined || (isScalar(node) && (node.value ?? "") === "")) return [];
  if (!isSeq(node)) throw secretsError("SopsMetadataInvalid", `${where} is not a list`);
  return node.items.map((item, i) => {
    if (!isMap(item)) throw secretsError("SopsMetadataInvalid", `${where}[${i}] is not a mapping`);
    const recipient = text(item.get("recipient", true));
    const enc = text(item.get("enc", true));
    if (!recipient || !enc) throw secretsError("SopsMetadataInvalid", `${where}[${i}] lacks recipient or enc`);
    return { recipient, enc };
  });
}

/** sops metadata from the first document (stores/metadata.go: ExtractMetadata reads only that one). */
export function readMetadata(doc: YAMLMap, lines: LineCounter): SopsMetadata {
  const found = doc.items.filter(isMetadataPair);
  if (found.length === 0) throw secretsError("SopsNotEncrypted", "sops metadata not found: the file is not sops-encrypted");
  const node = found[0]!.value;
  const at = `sops metadata (line ${lineOf(found[0]!.key as YamlNode, lines) ?? "?"})`;
  if (!isMap(node)) throw secretsError("SopsMetadataInvalid", `${at} is not a mapping`);
  const field = (key: string): string | undefined => text(node.get(key, true));

  let age = ageEntries(node.get("age", true), `${at}: age`);
  const groups = node.get("key_groups", true);
  if (isSeq(groups) && groups.items.length > 0) {
    if (groups.items.length > 1) {
      throw secretsError("SopsUnsupported", `${at}: ${groups.items.length} key groups (Shamir secret sharing) are not supported`);
    }
    const group = groups.items[0];
    if (!isMap(group)) throw secretsError("SopsMetadataInvalid", `${at}: key_groups[0] is not a mapping`);
    age = [...age, ...ageEntries(group.get("age", true), `${at}: key_groups[0].age`)];
  }
  if (field("encrypted_comment_regex") || field("unencrypted_comment_regex")) {
    throw secretsError("SopsUnsupported", `${at}: encrypted_comment_regex / unencrypted_comment_regex are not supported`);
  }
  const lastModified = field("lastmodified");
  if (!lastModified) throw secretsError("SopsMetadataInvalid", `${at}: lastmodified is missing`);
  return {
    age,
    lastModified,
    mac: field("mac") ?? "",
    rule: cryptRuleOf({
      encryptedRegex: field("encrypted_regex"),
      unencryptedRegex: field("unencrypted_regex"),
      encryptedSuffix: field("encrypted_suffix"),
      unencryptedSuffix: field("unencrypted_suffix"),
    }),
    macOnlyEncrypted: ["true", "True", "TRUE"].includes(field("mac_only_encrypted") ?? ""),
    version: field("version") ?? "",
  };
}

/**
 * The age recipients a `sops:` block names, from the document as plain data
 * (what a scan holds): they are plaintext, so planning compares them with
 * `.sops.yaml` without any key. Undefined when the block has none readable
 * (key_groups of several groups, no age keys).
 */
export function ageRecipientsOf(sops: unknown): string[] | undefined {
  if (sops === null || typeof sops !== "object") return undefined;
  const block = sops as Record<string, unknown>;
  const groups = Array.isArray(block["key_groups"]) ? (block["key_groups"] as unknown[]) : [];
  if (groups.length > 1) return undefined;
  const lists = [block["age"], (groups[0] as Record<string, unknown> | undefined)?.["age"]];
  const recipients = lists.flatMap((list) => (Array.isArray(list) ? list : [])).map((e) => (e as Record<string, unknown> | null)?.["recipient"]);
  if (recipients.length === 0 || !recipients.every((r): r is string => typeof r === "string" && r !== "")) return undefined;
  return recipients;
}
