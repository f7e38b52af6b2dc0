// The primitives age is built from (c2sp.org/age, "Conventions"): HKDF-SHA-256
// with 32-byte output, ChaCha20-Poly1305 (RFC 7539), HMAC-SHA-256, and
// unpadded canonical base64. Keys go to node:crypto as KeyObjects: given a
// Buffer, Node 24 first asks whether it is a KeyObject by catching a thrown
// TypeError, which costs more than the cipher or HMAC itself on these sizes.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync } from "node:crypto";

const TAG_BYTES = 16;
const ZERO_NONCE = Buffer.alloc(12);

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", createSecretKey(ikm), salt, info, 32));
}

export function hmac(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac("sha256", createSecretKey(key)).update(data).digest();
}

/** ChaCha20-Poly1305, ciphertext ‖ tag. The zero nonce is for keys used once (wrap keys). */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array = ZERO_NONCE): Buffer {
  const cipher = createCipheriv("chacha20-poly1305", createSecretKey(key), nonce, { authTagLength: TAG_BYTES });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext, or undefined when the ciphertext does not authenticate under this key. */
export function aeadOpen(key: Uint8Array, sealed: Uint8Array, nonce: Uint8Array = ZERO_NONCE): Buffer | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  const decipher = createDecipheriv("chacha20-poly1305", createSecretKey(key), nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function rawBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

const RAW_BASE64 = /^[A-Za-z0-9+/]*$/;

/** Unpadded base64 that re-encodes to itself, else undefined (the spec makes decoders refuse the rest). */
export function rawBase64Decode(text: string): Buffer | undefined {
  if (!RAW_BASE64.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64");
  return rawBase64(bytes) === text ? bytes : undefined;
}
