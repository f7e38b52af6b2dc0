// Our own sops encrypter (cmd/sops/encrypt.go): type every leaf as yaml.v3
// would, hash its canonical bytes into the MAC, encrypt it where the rule
// says so, and append the same `sops:` block to every document. The output
// is a fresh document built from those values: comments are dropped (sops
// would encrypt them; gitcert has none to keep) and aliases are expanded,
// as sops expands them. gitcert's own Secrets skip the YAML text on the way
// in: encryptSecret walks the mapping renderSecretManifest would have
// written, so the file is the same, without writing and re-reading it.
import { createSecretKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { Pair, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isScalar, isSeq } from "yaml";
import type { Document, LineCounter, Node as YamlNode } from "yaml";
import { encryptValue, isEncValue } from "./aes-value.ts";
import { aadOf, cryptRuleOf, encryptionPredicate } from "./crypt-rule.ts";
import { DATA_KEY_BYTES, wrapDataKey } from "./data-key.ts";
import { secretsError } from "./errors.ts";
import { formatLastModified, toBytes } from "./go-values.ts";
import type { SopsValue } from "./go-values.ts";
import { MacHasher } from "./mac.ts";
import { METADATA_KEY, SOPS_FORMAT_VERSION, metadataNode } from "./metadata.ts";
import { secretManifestNode } from "./secret-manifest.ts";
import type { EncryptOptions, SecretManifestInput, SopsRule } from "./types.ts";
import { emitYamlStream } from "./yaml-emit.ts";
import { lineOf, mapKey, parseYamlStream, scalarValue, stringNode, valueNode } from "./yaml-nodes.ts";
import { freshRandomBytes } from "./random-pool.ts";

const DEFAULT_INDENT = 4;

interface EncryptContext {
  dataKey: KeyObject;
  mac: MacHasher;
  shouldEncrypt: (path: readonly string[]) => boolean;
  /** The parsed document, when the mapping comes from YAML text (for aliases and line numbers). */
  doc?: Document.Parsed | undefined;
  docNumber: number;
  lines?: LineCounter | undefined;
  /** Alias targets being expanded, to refuse an alias that contains itself. */
  expanding: Set<YamlNode>;
}

function recipientsOf(rule: SopsRule): string[] {
  const recipients = [...new Set(rule.recipients.map((r) => r.trim()).filter((r) => r !== ""))];
  if (recipients.length === 0) throw secretsError("SopsInvalidRecipient", "no age recipient to encrypt for");
  return recipients;
}

function where(ctx: EncryptContext, node: YamlNode | null | undefined, path: readonly string[]): () => string {
  return () => {
    const line = ctx.lines && lineOf(node, ctx.lines);
    const at = line === undefined ? "" : `, line ${line}`;
    return `document ${ctx.docNumber}${at} (${path.length ? aadOf(path) : "top level"})`;
  };
}

/** A leaf's value as sops types it, refusing what sops refuses. */
function leafValue(node: Scalar, path: readonly string[], ctx: EncryptContext): SopsValue {
  const r = scalarValue(node, where(ctx, node, path));
  if (r.type === "uint64") {
    throw secretsError("SopsUnsupportedValue", `${where(ctx, node, path)()}: an integer above the int64 range cannot be encrypted by sops`);
  }
  // sops ≤3.9 cannot walk a time.Time at all; as a string it reads the same
  // everywhere. It is re-emitted double-quoted, so readers agree.
  if (r.type === "time") return { type: "str", value: String(node.value) };
  return r;
}

function encryptLeaf(v: SopsValue, path: readonly string[], ctx: EncryptContext): Scalar {
  if (v.type === "null") return valueNode(v);
  const encrypted = ctx.shouldEncrypt(path);
  const bytes = toBytes(v);
  ctx.mac.add(bytes, encrypted);
  // sops leaves "" as "" even where it encrypts (aes/cipher.go: isEmpty).
  if (!encrypted || (v.type === "str" && v.value === "")) return valueNode(v);
  return new Scalar(encryptValue(bytes, v.type, ctx.dataKey, aadOf(path)));
}

function encryptNode(node: unknown, path: readonly string[], ctx: EncryptContext): YamlNode {
  if (node === null || node === undefined) return encryptLeaf({ type: "null" }, path, ctx);
  if (isAlias(node)) {
    const target = ctx.doc && node.resolve(ctx.doc);
    if (!target) throw secretsError("SopsInvalidYaml", `${where(ctx, node, path)()}: unresolved alias`);
    if (ctx.expanding.has(target)) throw secretsError("SopsInvalidYaml", `${where(ctx, node, path)()}: an alias refers to a node containing it`);
    ctx.expanding.add(target);
    try {
      return encryptNode(target, path, ctx);
    } finally {
      ctx.expanding.delete(target);
    }
  }
  if (isMap(node)) {
    const out = new YAMLMap();
    for (const p of node.items) {
      const key = mapKey(p, where(ctx, p.key as YamlNode, path));
      if (key === "<<" && isScalar(p.key) && p.key.type === Scalar.PLAIN) {
        // yaml.v3 readers disagree on merge keys: sops keeps `<<` as a key, kustomize merges.
        throw secretsError("SopsUnsupportedValue", `${where(ctx, p.key as YamlNode, path)()}: YAML merge keys (<<) are not supported`);
      }
      out.items.push(new Pair(stringNode(key), encryptNode(p.value, [...path, key], ctx)));
    }
    return out;
  }
  if (isSeq(node)) {
    const out = new YAMLSeq();
    // List indices are not part of the path: every item shares its list's AAD.
    for (const item of node.items) out.items.push(encryptNode(item, path, ctx));
    return out;
  }
  if (isScalar(node)) return encryptLeaf(leafValue(node, path, ctx), path, ctx);
  throw secretsError("SopsInvalidYaml", `${where(ctx, null, path)()}: unexpected YAML node`);
}

function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.type === Scalar.PLAIN && !c.tag && (c.value ?? "") === "");
}

interface PlainDocument {
  map: YAMLMap;
  doc?: Document.Parsed;
  lines?: LineCounter;
  /** How to walk it; encryptNode, which types every scalar as yaml.v3 would, unless said otherwise. */
  walk?: (map: YAMLMap, ctx: EncryptContext) => YAMLMap;
}

const walkYaml = (map: YAMLMap, ctx: EncryptContext): YAMLMap => encryptNode(map, [], ctx) as YAMLMap;

/** Each mapping encrypted, under one data key and one MAC, its `sops:` block appended. */
async function encryptMappings(documents: readonly PlainDocument[], rule: SopsRule, options: EncryptOptions): Promise<YAMLMap[]> {
  const crypt = cryptRuleOf(rule);
  const shouldEncrypt = encryptionPredicate(crypt);
  const recipients = recipientsOf(rule);
  const dataKey = freshRandomBytes(DATA_KEY_BYTES);
  const valueKey = createSecretKey(dataKey);
  const macOnlyEncrypted = rule.macOnlyEncrypted === true;
  const mac = new MacHasher(macOnlyEncrypted);
  const maps = documents.map(({ map, doc, lines, walk = walkYaml }, i) => {
    if (map.items.some((p) => isScalar(p.key) && p.key.value === METADATA_KEY)) {
      throw secretsError("SopsAlreadyEncrypted", `plaintext: document ${i + 1} already has a top-level "sops" key`);
    }
    return walk(map, { dataKey: valueKey, mac, shouldEncrypt, doc, docNumber: i + 1, lines, expanding: new Set() });
  });

  const lastModified = formatLastModified(options.now ?? new Date());
  const macValue = encryptValue(Buffer.from(mac.hex(), "utf8"), "str", valueKey, lastModified);
  try {
    const age = await Promise.all(recipients.map((r) => wrapDataKey(dataKey, r)));
    const meta = { age, lastModified, mac: macValue, rule: crypt, macOnlyEncrypted, version: SOPS_FORMAT_VERSION };
    for (const map of maps) map.items.push(new Pair(new Scalar(METADATA_KEY), metadataNode(meta)));
  } finally {
    dataKey.fill(0);
  }
  return maps;
}

/**
 * Encrypt a plaintext YAML stream into a sops file that `sops -d`, Flux,
 * KSOPS and sops-age decrypt. Every document must be a mapping; empty
 * documents (a trailing `---`) are dropped.
 */
export async function encryptYaml(plaintextYaml: string, rule: SopsRule, options: EncryptOptions = {}): Promise<string> {
  const { docs, lines } = parseYamlStream(plaintextYaml, "plaintext");
  const documents = docs.filter((d) => !isEmptyDocument(d));
  if (documents.length === 0) throw secretsError("SopsInvalidYaml", "plaintext: there is no YAML document to encrypt");
  const plain = documents.map((doc, i) => {
    if (!isMap(doc.contents)) {
      throw secretsError("SopsInvalidYaml", `plaintext: document ${i + 1} is not a mapping; sops encrypts only mappings`);
    }
    return { map: doc.contents, doc, lines };
  });
  return emitYamlStream(await encryptMappings(plain, rule, options), options.indent ?? DEFAULT_INDENT);
}

const SECRET_VALUE_FIELDS = new Set(["data", "stringData"]);

/** Whatever the rule, a Secret's values leave encrypted (or empty): checked on the very nodes emitted. */
function assertValuesEncrypted(secret: YAMLMap, input: SecretManifestInput): void {
  const clear = (node: unknown): boolean => {
    if (isMap(node)) return node.items.some((p) => clear(p.value));
    if (isSeq(node)) return node.items.some(clear);
    return !(isScalar(node) && typeof node.value === "string" && (node.value === "" || isEncValue(node.value)));
  };
  for (const pair of secret.items) {
    if (isScalar(pair.key) && SECRET_VALUE_FIELDS.has(String(pair.key.value)) && clear(pair.value)) {
      throw secretsError("SecretValuesInClear", `Secret ${input.namespace}/${input.name}: the rule leaves ${String(pair.key.value)} unencrypted; refusing to write it`);
    }
  }
}

/**
 * secretManifestNode's tree, whose every key and value is a string in the
 * scalar stringNode made for it (quoted where yaml.v3 would read anything
 * else): what encryptNode would make of it, without typing each scalar
 * again. Plaintext nodes are kept as they are.
 */
function walkStrings(map: YAMLMap, ctx: EncryptContext, path: readonly string[] = []): YAMLMap {
  const out = new YAMLMap();
  for (const pair of map.items) {
    const keyPath = [...path, String((pair.key as Scalar).value)];
    const node = pair.value;
    if (isMap(node)) {
      out.items.push(new Pair(pair.key, walkStrings(node, ctx, keyPath)));
      continue;
    }
    const value = String((node as Scalar).value);
    const encrypted = ctx.shouldEncrypt(keyPath);
    const bytes = Buffer.from(value, "utf8");
    ctx.mac.add(bytes, encrypted);
    // sops leaves "" as "" even where it encrypts (aes/cipher.go: isEmpty).
    const leaf = encrypted && value !== "" ? new Scalar(encryptValue(bytes, "str", ctx.dataKey, aadOf(keyPath))) : node;
    out.items.push(new Pair(pair.key, leaf));
  }
  return out;
}

/**
 * A Secret encrypted straight from its fields: the same file as
 * `encryptYaml(renderSecretManifest(input), rule, options)`.
 */
export async function encryptSecret(input: SecretManifestInput, rule: SopsRule, options: EncryptOptions = {}): Promise<string> {
  const [secret] = await encryptMappings([{ map: secretManifestNode(input), walk: walkStrings }], rule, options);
  assertValuesEncrypted(secret!, input);
  return emitYamlStream([secret!], options.indent ?? DEFAULT_INDENT);
}
