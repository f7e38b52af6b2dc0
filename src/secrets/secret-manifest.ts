// The plaintext Kubernetes Secret gitcert encrypts, and the reverse: the
// bytes of a decrypted Secret. Rendering is deterministic (sorted keys, no
// timestamps) so an unchanged certificate renders to the same text.
import { Document, Pair, Scalar, YAMLMap } from "yaml";
import { secretsError } from "./errors.ts";
import type { SecretManifestInput } from "./types.ts";
import { DOCUMENT_OPTIONS, stringNode, toStringOptions } from "./yaml-nodes.ts";

/**
 * The crypt rule for Secrets when the repository's `.sops.yaml` names none
 * (Flux's documented default): only `data`/`stringData` are encrypted, so
 * kustomize, Argo CD and gitcert's planner can read the envelope and its
 * annotations without a key.
 */
export const SECRET_ENCRYPTED_REGEX = "^(data|stringData)$";

// Kubernetes' IsConfigMapKey: what a Secret data key may be.
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedMap(entries: Record<string, string>): YAMLMap {
  const map = new YAMLMap();
  for (const key of Object.keys(entries).sort(byKey)) {
    map.items.push(new Pair(stringNode(key), stringNode(entries[key]!)));
  }
  return map;
}

const pair = (key: string, value: Scalar | YAMLMap): Pair => new Pair(new Scalar(key), value);

/**
 * A plaintext `v1` Secret as a YAML mapping: what is rendered, and what
 * encryptSecret encrypts without rendering it first.
 */
export function secretManifestNode(input: SecretManifestInput): YAMLMap {
  if (!input.name || !input.namespace) throw secretsError("SecretInvalid", "a Secret needs a name and a namespace");
  for (const key of Object.keys(input.data)) {
    if (!DATA_KEY.test(key)) throw secretsError("SecretInvalid", `Secret ${input.namespace}/${input.name}: ${JSON.stringify(key)} is not a valid data key`);
  }
  const metadata = new YAMLMap();
  metadata.items.push(pair("name", stringNode(input.name)), pair("namespace", stringNode(input.namespace)));
  if (Object.keys(input.labels).length > 0) metadata.items.push(pair("labels", sortedMap(input.labels)));
  if (Object.keys(input.annotations).length > 0) metadata.items.push(pair("annotations", sortedMap(input.annotations)));
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.data)) data[key] = value.toString("base64");

  const root = new YAMLMap();
  root.items.push(
    pair("apiVersion", stringNode("v1")),
    pair("kind", stringNode("Secret")),
    pair("metadata", metadata),
    pair("type", stringNode(input.type)),
    pair("data", sortedMap(data)),
  );
  return root;
}

/** A plaintext `v1` Secret manifest; encrypt it before it goes anywhere near Git. */
export function renderSecretManifest(input: SecretManifestInput): string {
  const doc = new Document(null, DOCUMENT_OPTIONS);
  doc.contents = secretManifestNode(input);
  return doc.toString(toStringOptions(2));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/**
 * The bytes of a decrypted Secret: `data` base64-decoded, `stringData`
 * UTF-8 encoded and, as the API server does, taking precedence on a clash.
 */
export function readSecretData(doc: Record<string, unknown>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const { data, stringData } = doc;
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) throw secretsError("SecretInvalid", "Secret data is not a mapping");
    for (const [key, value] of Object.entries(data)) {
      const b64 = typeof value === "string" ? value.replace(/[\r\n]/g, "") : undefined;
      if (b64 === undefined || !STD_BASE64.test(b64)) throw secretsError("SecretInvalid", `Secret data.${key} is not base64`);
      out[key] = Buffer.from(b64, "base64");
    }
  }
  if (stringData !== undefined && stringData !== null) {
    if (!isRecord(stringData)) throw secretsError("SecretInvalid", "Secret stringData is not a mapping");
    for (const [key, value] of Object.entries(stringData)) {
      if (typeof value !== "string") throw secretsError("SecretInvalid", `Secret stringData.${key} is not a string`);
      out[key] = Buffer.from(value, "utf8");
    }
  }
  return out;
}
