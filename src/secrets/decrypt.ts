// Our own sops decrypter (cmd/sops/decrypt.go + common.DecryptTree): unwrap
// the data key with age, decrypt every value the file's own rule marks as
// encrypted, recompute the MAC over the decrypted values and compare it with
// the stored one. Unlike Flux and sops-age we always verify the MAC: a file
// whose plaintext fields were edited, or whose values were swapped between
// files, is refused.
//
// Decryption edits the parsed document in place, so the output keeps the
// file's key order and comments (encrypted comments are decrypted when they
// can be, and kept as they are otherwise, as sops does).
import { Scalar, isAlias, isMap, isScalar, isSeq } from "yaml";
import type { Document, LineCounter, Node as YamlNode } from "yaml";
import { ValueDecryptError, decryptValue, isEncValue } from "./aes-value.ts";
import { aadOf, encryptionPredicate } from "./crypt-rule.ts";
import { unwrapDataKey } from "./data-key.ts";
import { secretsError } from "./errors.ts";
import { canonicalRfc3339, parseGoBool, parseGoDecimalInt, parseGoFloat, parseYamlTimestamp, toBytes } from "./go-values.ts";
import type { SopsValue } from "./go-values.ts";
import { MacHasher } from "./mac.ts";
import { isMetadataPair, readMetadata } from "./metadata.ts";
import { lineOf, mapKey, parseYamlStream, scalarValue, setScalar, stringifyStream } from "./yaml-nodes.ts";

const OUTPUT_INDENT = 4;

interface DecryptContext {
  dataKey: Uint8Array;
  mac: MacHasher;
  shouldEncrypt: (path: readonly string[]) => boolean;
  ruleLabel: string;
  docNumber: number;
  lines: LineCounter;
}

function where(ctx: DecryptContext, node: YamlNode | null | undefined, path: readonly string[]): () => string {
  return () => {
    const line = lineOf(node, ctx.lines);
    const at = line === undefined ? "" : `, line ${line}`;
    return `document ${ctx.docNumber}${at} (${path.length ? aadOf(path) : "top level"})`;
  };
}

/** Go's decrypt-side parse of each `type:` (aes/cipher.go: Decrypt). */
function decryptedValue(type: string, plaintext: Buffer): Exclude<SopsValue, { type: "null" }> | undefined {
  const text = plaintext.toString("utf8");
  switch (type) {
    case "str":
      return { type: "str", value: text };
    case "int": {
      const v = parseGoDecimalInt(text);
      return v === undefined ? undefined : { type: "int", value: v };
    }
    case "float": {
      const v = parseGoFloat(text);
      return v === undefined ? undefined : { type: "float", value: v };
    }
    case "bool": {
      const v = parseGoBool(text);
      return v === undefined ? undefined : { type: "bool", value: v };
    }
    case "bytes":
      return { type: "bytes", value: plaintext };
    case "time": {
      // time.UnmarshalText is RFC3339 with two-digit fields and a zone.
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
      const v = parseYamlTimestamp(text);
      return v === undefined ? undefined : { type: "time", value: v };
    }
    default:
      return undefined;
  }
}

function jsValue(v: SopsValue): unknown {
  switch (v.type) {
    case "null":
      return null;
    case "int":
      return v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
    case "bytes":
      return Buffer.from(v.value);
    default:
      return v.value;
  }
}

const FAILURE_TEXT = {
  format: "is not an ENC[AES256_GCM,…] value",
  base64: "has malformed base64 in its ENC[] fields",
  authentication: "does not decrypt: it was modified, moved to another key, or comes from another file",
} as const;

function decryptLeaf(node: Scalar, path: readonly string[], ctx: DecryptContext): unknown {
  const at = where(ctx, node, path);
  const r = scalarValue(node, at);
  if (r.type === "uint64") throw secretsError("SopsUnsupportedValue", `${at()}: an integer above the int64 range`);
  if (r.type === "null") return null;
  const encrypted = ctx.shouldEncrypt(path);
  if (!encrypted) {
    ctx.mac.add(toBytes(r), false);
    return jsValue(r);
  }
  if (r.type !== "str") {
    throw secretsError("SopsDecryptFailed", `${at()}: expected an encrypted value (the file's ${ctx.ruleLabel} says so) but found a plain ${r.type}`);
  }
  if (r.value === "") return "";
  let decrypted: { type: string; plaintext: Buffer };
  try {
    decrypted = decryptValue(r.value, ctx.dataKey, aadOf(path));
  } catch (err) {
    if (!(err instanceof ValueDecryptError)) throw err;
    const why = err.failure === "format" ? `${FAILURE_TEXT.format} though the file's ${ctx.ruleLabel} says it is encrypted` : FAILURE_TEXT[err.failure];
    throw secretsError("SopsDecryptFailed", `${at()}: the value ${why}`);
  }
  const v = decryptedValue(decrypted.type, decrypted.plaintext);
  if (!v && decrypted.type === "comment") {
    // sops writes an inline comment on a flow list as an encrypted list item,
    // then fails its own MAC check on it (sops 3.13.2 exits 51 too).
    throw secretsError("SopsDecryptFailed", `${at()}: a value is an encrypted comment, which sops writes for a comment after a flow list and cannot decrypt either`);
  }
  if (!v) {
    throw secretsError("SopsDecryptFailed", `${at()}: the decrypted value is not a valid ${JSON.stringify(decrypted.type.slice(0, 16))}`);
  }
  // The MAC covers the value as re-serialised (`007` tagged int hashes as
  // `7`), except strings, whose bytes Go hashes as they are.
  ctx.mac.add(v.type === "str" ? decrypted.plaintext : toBytes(v), true);
  setScalar(node, v);
  return jsValue(v);
}

interface Commented {
  commentBefore?: string | null | undefined;
  comment?: string | null | undefined;
}

/**
 * Comments are encrypted with their enclosing mapping's path as AAD. Where
 * the yaml package attaches a comment is not always where sops' tree had
 * it, so each enclosing path is tried, innermost first.
 */
function decryptComments(holder: Commented | null | undefined, path: readonly string[], ctx: DecryptContext): void {
  if (!holder) return;
  const decryptLine = (line: string): string => {
    const body = line.trimStart();
    if (!isEncValue(body)) return line;
    for (let n = path.length; n >= 0; n--) {
      try {
        const d = decryptValue(body, ctx.dataKey, aadOf(path.slice(0, n)));
        if (d.type === "comment") return d.plaintext.toString("utf8");
      } catch {
        // not this path; sops too keeps a comment it cannot decrypt
      }
    }
    return line;
  };
  for (const field of ["commentBefore", "comment"] as const) {
    const text = holder[field];
    if (text) holder[field] = text.split("\n").map(decryptLine).join("\n");
  }
}

function decryptNode(node: unknown, path: readonly string[], ctx: DecryptContext): unknown {
  if (node === null || node === undefined) return null;
  decryptComments(node as Commented, path, ctx);
  if (isAlias(node)) {
    throw secretsError("SopsUnsupportedValue", `${where(ctx, node, path)()}: YAML aliases are not supported in encrypted files`);
  }
  if (isMap(node)) {
    const entries: [string, unknown][] = [];
    for (const p of node.items) {
      const key = mapKey(p, where(ctx, p.key as YamlNode, path));
      decryptComments(p.key as Commented, path, ctx);
      entries.push([key, decryptNode(p.value, [...path, key], ctx)]);
    }
    return Object.fromEntries(entries);
  }
  if (isSeq(node)) return node.items.map((item) => decryptNode(item, path, ctx));
  if (isScalar(node)) return decryptLeaf(node, path, ctx);
  throw secretsError("SopsInvalidYaml", `${where(ctx, null, path)()}: unexpected YAML node`);
}

interface DecryptedStream {
  docs: Document.Parsed[];
  objects: Record<string, unknown>[];
}

async function decryptStream(encryptedYaml: string, identities: readonly string[]): Promise<DecryptedStream> {
  const { docs, lines } = parseYamlStream(encryptedYaml, "encrypted file");
  const first = docs[0]?.contents;
  if (!isMap(first)) throw secretsError("SopsNotEncrypted", "sops metadata not found: the file is not sops-encrypted");
  const meta = readMetadata(first, lines);
  const macAad = canonicalRfc3339(meta.lastModified);
  if (macAad === undefined) throw secretsError("SopsMetadataInvalid", "sops metadata: lastmodified is not an RFC3339 time");

  for (const [i, doc] of docs.entries()) {
    const c = doc.contents;
    if (isMap(c)) c.items = c.items.filter((p) => !isMetadataPair(p));
    else if (c !== null && !(isScalar(c) && (c.value ?? "") === "")) {
      throw secretsError("SopsInvalidYaml", `encrypted file: document ${i + 1} is not a mapping`);
    }
  }

  const dataKey = await unwrapDataKey(meta.age, identities);
  const mac = new MacHasher(meta.macOnlyEncrypted);
  const base = { dataKey, mac, shouldEncrypt: encryptionPredicate(meta.rule), ruleLabel: `${meta.rule.kind} rule`, lines };
  const objects = docs.map((doc, i) => {
    decryptComments(doc, [], { ...base, docNumber: i + 1 });
    const value = decryptNode(doc.contents, [], { ...base, docNumber: i + 1 });
    return (value ?? {}) as Record<string, unknown>;
  });

  if (!meta.mac) throw secretsError("SopsMacMismatch", "the file has no MAC");
  let stored: string;
  try {
    stored = decryptValue(meta.mac, dataKey, macAad).plaintext.toString("utf8");
  } catch {
    throw secretsError(
      "SopsMacMismatch",
      "the MAC does not decrypt with this file's data key and lastmodified: it was replaced, or lastmodified was edited",
    );
  } finally {
    dataKey.fill(0);
  }
  // The hashes themselves stay out of the message: they digest plaintext.
  if (stored !== mac.hex()) {
    throw secretsError("SopsMacMismatch", "MAC mismatch: the file's values do not match its MAC (a value was changed, added, removed or reordered)");
  }
  return { docs, objects };
}

/** Decrypt a sops YAML file to plaintext YAML without the `sops` metadata. */
export async function decryptYaml(encryptedYaml: string, identities: string[]): Promise<string> {
  const { docs } = await decryptStream(encryptedYaml, identities);
  return stringifyStream(docs, OUTPUT_INDENT);
}

/**
 * The first document of a sops YAML file, decrypted, as an object. Every
 * document is still decrypted and the MAC, which spans all of them, checked.
 * Integers beyond 2^53 come back as bigint, `type:bytes` values as Buffer.
 */
export async function decryptDocument(encryptedYaml: string, identities: string[]): Promise<Record<string, unknown>> {
  const { objects } = await decryptStream(encryptedYaml, identities);
  return objects[0] ?? {};
}
