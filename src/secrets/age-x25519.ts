// age's X25519 recipient type (c2sp.org/age, "The X25519 recipient type"),
// on node:crypto's synchronous X25519, HKDF and ChaCha20-Poly1305. WebCrypto
// (the age-encryption package's path) made the wrap of one data key cost
// more than all the rest of a Secret's encryption; this is several times
// cheaper. Keys arrive as Bech32 strings: `age1…` recipients and
// `AGE-SECRET-KEY-1…` identities, 32 bytes each.
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { bech32 } from "@scure/base";
import { aeadOpen, aeadSeal, hkdf, rawBase64, rawBase64Decode } from "./age-primitives.ts";

const KEY_BYTES = 32;
const STANZA_TYPE = "X25519";
const WRAP_INFO = "age-encryption.org/v1/X25519";
const BODY_BYTES = 32; // 16-byte file key + 16-byte tag
// DER prefixes of an X25519 SubjectPublicKeyInfo and PKCS#8 key (RFC 8410):
// the raw 32 bytes follow them.
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export interface Stanza {
  args: string[];
  body: Buffer;
}

export interface X25519Recipient {
  bytes: Buffer;
  key: KeyObject;
}

export interface X25519Identity {
  key: KeyObject;
  /** The matching recipient's 32 bytes, part of every wrap key's salt. */
  publicBytes: Buffer;
  /** The recipient string, `age1…`. */
  recipient: string;
}

/**
 * An X25519 public key from its 32 bytes. Given as PEM text: an options
 * object costs node:crypto a thrown and caught TypeError (it asks whether
 * the object is a KeyObject), three times the import itself.
 */
function publicKeyOf(bytes: Buffer): KeyObject {
  return createPublicKey(`-----BEGIN PUBLIC KEY-----\n${Buffer.concat([SPKI_PREFIX, bytes]).toString("base64")}\n-----END PUBLIC KEY-----\n`);
}

/** Bech32 data of exactly 32 bytes under `prefix` (lowercase), or undefined. */
function decodeKey(text: string, prefix: string): Buffer | undefined {
  // age lifts BIP 173's 90-character limit; these keys are shorter anyway.
  const decoded = bech32.decodeUnsafe(text, false);
  if (!decoded || decoded.prefix !== prefix) return undefined;
  try {
    const bytes = Buffer.from(bech32.fromWords(decoded.words));
    return bytes.length === KEY_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The 32 raw bytes of an X25519 public key (JWK export is an order of magnitude cheaper than DER). */
function rawPublic(key: KeyObject): Buffer {
  const x = key.export({ format: "jwk" }).x;
  if (!x) throw new Error("X25519 public key without x");
  return Buffer.from(x, "base64url");
}

// Recipients repeat across files (one .sops.yaml rule, many Secrets): parse each once.
const recipients = new Map<string, X25519Recipient>();
const RECIPIENT_CACHE = 1024;

/** An `age1…` X25519 recipient, or undefined for any other string (post-quantum, plugin, SSH…). */
export function parseX25519Recipient(text: string): X25519Recipient | undefined {
  const cached = recipients.get(text);
  if (cached) return cached;
  if (text !== text.toLowerCase()) return undefined;
  const bytes = decodeKey(text, "age");
  if (!bytes) return undefined;
  const recipient = { bytes, key: publicKeyOf(bytes) };
  if (recipients.size >= RECIPIENT_CACHE) recipients.clear();
  recipients.set(text, recipient);
  return recipient;
}

/** An `AGE-SECRET-KEY-1…` identity, or undefined for any other string. */
export function parseX25519Identity(text: string): X25519Identity | undefined {
  if (text !== text.toUpperCase()) return undefined;
  const bytes = decodeKey(text, "age-secret-key-");
  if (!bytes) return undefined;
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, bytes]), format: "der", type: "pkcs8" });
  bytes.fill(0);
  const publicBytes = rawPublic(createPublicKey(key));
  return { key, publicBytes, recipient: bech32.encode("age", bech32.toWords(publicBytes), false) };
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function wrapKey(shared: Buffer, share: Buffer, recipient: Buffer): Buffer {
  // A low-order point gives an all-zero secret: the spec makes both sides abort.
  if (isAllZero(shared)) throw new Error("X25519 produced an all-zero shared secret");
  return hkdf(shared, Buffer.concat([share, recipient]), WRAP_INFO);
}

/** `-> X25519 <ephemeral share>` with the file key sealed to the recipient. */
export function wrapForX25519(fileKey: Buffer, recipient: X25519Recipient): Stanza {
  // A fresh ephemeral secret for every stanza of every file.
  const ephemeral = generateKeyPairSync("x25519");
  const share = rawPublic(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.key });
  const body = aeadSeal(wrapKey(shared, share, recipient.bytes), fileKey);
  return { args: [STANZA_TYPE, rawBase64(share)], body };
}

/**
 * The file key, if this stanza is addressed to the identity. Other stanza
 * types are ignored (undefined); a malformed X25519 stanza is an error, as
 * the spec requires.
 */
export function unwrapX25519(stanza: Stanza, identity: X25519Identity): Buffer | undefined {
  if (stanza.args[0] !== STANZA_TYPE) return undefined;
  if (stanza.args.length !== 2) throw new Error("malformed X25519 stanza");
  const share = rawBase64Decode(stanza.args[1]!);
  // Checked before any decryption, against partitioning oracles.
  if (!share || share.length !== KEY_BYTES || stanza.body.length !== BODY_BYTES) throw new Error("malformed X25519 stanza");
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: identity.key, publicKey: publicKeyOf(share) });
  } catch {
    // OpenSSL refuses low-order points itself.
    throw new Error("X25519 produced an all-zero shared secret");
  }
  return aeadOpen(wrapKey(shared, share, identity.publicBytes), stanza.body);
}

/** A new X25519 identity and its recipient, as age-keygen makes them. */
export function generateX25519(): { identity: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const secret = Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url");
  const identity = bech32.encode("age-secret-key-", bech32.toWords(secret), false).toUpperCase();
  secret.fill(0);
  return { identity, recipient: bech32.encode("age", bech32.toWords(rawPublic(publicKey)), false) };
}
