// One sops value: AES-256-GCM under the file's data key with a fresh 32-byte
// IV (aes/cipher.go: nonceSize = 32), the key path as AAD, written as
// ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] with padded standard base64.
import { createCipheriv, createDecipheriv, createSecretKey, KeyObject } from "node:crypto";
import { freshRandomBytes } from "./random-pool.ts";

/** The data key; a KeyObject made once per file spares every value re-importing it. */
export type DataKey = Uint8Array | KeyObject;

// node:crypto tells a Buffer key from a KeyObject by catching a TypeError,
// which costs more than importing the key.
const keyObject = (key: DataKey): KeyObject => (key instanceof KeyObject ? key : createSecretKey(key));

const IV_BYTES = 32;
const TAG_BYTES = 16;

// aes/cipher.go `encre`; RE2's `.` excludes only \n, as [^\n] does here.
const ENC_RE = /^ENC\[AES256_GCM,data:([^\n]+),iv:([^\n]+),tag:([^\n]+),type:([^\n]+)\]/;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

export function isEncValue(s: string): boolean {
  return ENC_RE.test(s);
}

export function encryptValue(plaintext: Uint8Array, type: string, dataKey: DataKey, aad: string): string {
  const iv = freshRandomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyObject(dataKey), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

/** Why a value failed, phrased without any part of the value. */
export type DecryptFailure = "format" | "base64" | "authentication";

export class ValueDecryptError extends Error {
  readonly failure: DecryptFailure;

  constructor(failure: DecryptFailure) {
    super(failure);
    this.failure = failure;
  }
}

/** Go's StdEncoding is strict where Buffer.from(…, "base64") silently skips junk. */
function strictBase64(s: string): Buffer {
  if (!STD_BASE64.test(s)) throw new ValueDecryptError("base64");
  return Buffer.from(s, "base64");
}

export function parseEncValue(s: string): EncryptedValue {
  const m = ENC_RE.exec(s);
  if (!m) throw new ValueDecryptError("format");
  return { data: strictBase64(m[1]!), iv: strictBase64(m[2]!), tag: strictBase64(m[3]!), type: m[4]! };
}

/** The plaintext bytes and declared type of an ENC[] value. */
export function decryptValue(s: string, dataKey: DataKey, aad: string): { type: string; plaintext: Buffer } {
  const v = parseEncValue(s);
  // A short tag would make forgery cheap; Go's GCM insists on 16 bytes, so do we.
  if (v.tag.length !== TAG_BYTES || v.iv.length === 0) throw new ValueDecryptError("authentication");
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyObject(dataKey), v.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(v.tag);
    const plaintext = Buffer.concat([decipher.update(v.data), decipher.final()]);
    return { type: v.type, plaintext };
  } catch {
    throw new ValueDecryptError("authentication");
  }
}
