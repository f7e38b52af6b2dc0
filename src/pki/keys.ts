// Private keys with node:crypto, encoded the way cert-manager encodes them
// (pkg/util/pki/generate.go) so a Secret written by gitcert and one written
// by cert-manager hold the same kind of `tls.key`.
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { KeyAlgorithm, PrivateKeySpec } from "../manifests/types.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { decodePem, encodePem } from "./pem.ts";

const generateKeyPair = promisify(generateKeyPairCb);

export type KeySpec = Pick<PrivateKeySpec, "algorithm" | "size">;
export type PrivateKeyEncoding = PrivateKeySpec["encoding"];

export const MIN_RSA_KEY_SIZE = 2048;
export const MAX_RSA_KEY_SIZE = 8192;

const CURVE_BY_SIZE: Readonly<Record<number, string>> = { 256: "P-256", 384: "P-384", 521: "P-521" };
/** node reports OpenSSL's curve names on keys it has generated or parsed. */
const SIZE_BY_CURVE: Readonly<Record<string, number>> = {
  "P-256": 256,
  prime256v1: 256,
  "P-384": 384,
  secp384r1: 384,
  "P-521": 521,
  secp521r1: 521,
};

/**
 * The spec with cert-manager's implicit defaults (size 0 means RSA 2048 or
 * P-256; Ed25519 has no size), validated.
 */
export function normalizeKeySpec(spec: KeySpec): { algorithm: KeyAlgorithm; size: number } {
  switch (spec.algorithm) {
    case "RSA": {
      const size = spec.size || MIN_RSA_KEY_SIZE;
      if (!Number.isInteger(size) || size < MIN_RSA_KEY_SIZE || size > MAX_RSA_KEY_SIZE) {
        throw pkiError(
          PkiErrorCode.InvalidKeySize,
          `RSA key size ${spec.size} is outside ${MIN_RSA_KEY_SIZE}–${MAX_RSA_KEY_SIZE}`,
        );
      }
      return { algorithm: "RSA", size };
    }
    case "ECDSA": {
      const size = spec.size || 256;
      if (!CURVE_BY_SIZE[size]) {
        throw pkiError(PkiErrorCode.InvalidKeySize, `ECDSA key size ${spec.size} is not one of 256, 384, 521`);
      }
      return { algorithm: "ECDSA", size };
    }
    case "Ed25519":
      return { algorithm: "Ed25519", size: 0 };
    default:
      throw pkiError(
        PkiErrorCode.UnsupportedKeyAlgorithm,
        `private key algorithm ${JSON.stringify(spec.algorithm)} is not RSA, ECDSA or Ed25519`,
      );
  }
}

export async function generatePrivateKey(spec: KeySpec): Promise<KeyObject> {
  const { algorithm, size } = normalizeKeySpec(spec);
  switch (algorithm) {
    case "RSA":
      return (await generateKeyPair("rsa", { modulusLength: size, publicExponent: 0x10001 })).privateKey;
    case "ECDSA":
      return (await generateKeyPair("ec", { namedCurve: CURVE_BY_SIZE[size]! })).privateKey;
    case "Ed25519":
      return (await generateKeyPair("ed25519")).privateKey;
  }
}

/** Algorithm and size of a private or public key; Ed25519 has size 0. */
export function describeKey(key: KeyObject): { algorithm: KeyAlgorithm; size: number } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { algorithm: "RSA", size: details.modulusLength ?? 0 };
    case "ec": {
      const size = SIZE_BY_CURVE[details.namedCurve ?? ""];
      if (size) return { algorithm: "ECDSA", size };
      throw pkiError(PkiErrorCode.UnsupportedKeyAlgorithm, `ECDSA curve ${details.namedCurve ?? "(unknown)"} is not supported`);
    }
    case "ed25519":
      return { algorithm: "Ed25519", size: 0 };
    default:
      throw pkiError(
        PkiErrorCode.UnsupportedKeyAlgorithm,
        `${key.asymmetricKeyType ?? "unknown"} keys are not supported (RSA, ECDSA, Ed25519)`,
      );
  }
}

/** Whether the key is what the spec asks for, as cert-manager's PrivateKeyMatchesSpec. */
export function keyMatchesSpec(key: KeyObject, spec: KeySpec): boolean {
  let want: { algorithm: KeyAlgorithm; size: number };
  let have: { algorithm: KeyAlgorithm; size: number };
  try {
    want = normalizeKeySpec(spec);
    have = describeKey(key);
  } catch {
    return false;
  }
  return have.algorithm === want.algorithm && (want.algorithm === "Ed25519" || have.size === want.size);
}

export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === "public" ? key : createPublicKey(key);
}

/** SubjectPublicKeyInfo DER, the form two keys are compared in. */
export function spkiDer(key: KeyObject): Buffer {
  return publicKeyOf(key).export({ type: "spki", format: "der" });
}

function requirePrivate(key: KeyObject): void {
  if (key.type !== "private") throw pkiError(PkiErrorCode.InvalidPrivateKey, "expected a private key");
}

/** The PEM label and node export type cert-manager's EncodePrivateKey picks. */
function encodingFor(key: KeyObject, encoding: PrivateKeyEncoding): { label: string; type: "pkcs1" | "sec1" | "pkcs8" } {
  const { algorithm } = describeKey(key);
  if (encoding === "PKCS1" && algorithm === "RSA") return { label: "RSA PRIVATE KEY", type: "pkcs1" };
  if (encoding === "PKCS1" && algorithm === "ECDSA") return { label: "EC PRIVATE KEY", type: "sec1" };
  if (encoding === "PKCS1" || encoding === "PKCS8") return { label: "PRIVATE KEY", type: "pkcs8" };
  throw pkiError(PkiErrorCode.InvalidPrivateKey, `private key encoding ${JSON.stringify(encoding)} is not PKCS1 or PKCS8`);
}

/**
 * `tls.key`: PKCS1 means `RSA PRIVATE KEY` for RSA and SEC1 `EC PRIVATE KEY`
 * for ECDSA; Ed25519 has no PKCS1 form and is always PKCS8 `PRIVATE KEY`.
 */
export function encodePrivateKey(key: KeyObject, encoding: PrivateKeyEncoding): string {
  const { label } = encodingFor(key, encoding);
  return encodePem(label, encodePrivateKeyDer(key, encoding));
}

/**
 * `key.der` (additionalOutputFormats DER). cert-manager writes the bytes of
 * the `tls.key` PEM block (internal/controller/certificates/secrets.go
 * OutputFormatDER), so this follows `encoding` too: PKCS1/SEC1 DER under
 * the default encoding, PKCS8 DER only when PKCS8 is asked for.
 */
export function encodePrivateKeyDer(key: KeyObject, encoding: PrivateKeyEncoding): Buffer {
  requirePrivate(key);
  const { type } = encodingFor(key, encoding);
  return key.export({ type, format: "der" });
}

const KEY_LABELS: Readonly<Record<string, "pkcs1" | "sec1" | "pkcs8">> = {
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
  "PRIVATE KEY": "pkcs8",
};

/** The first private key in `pem` (PKCS1, SEC1 or PKCS8; not encrypted). */
export function parsePrivateKey(pem: string): KeyObject {
  let blocks;
  try {
    blocks = decodePem(pem);
  } catch {
    throw pkiError(PkiErrorCode.InvalidPrivateKey, "private key PEM is malformed");
  }
  if (blocks.some((b) => b.label === "ENCRYPTED PRIVATE KEY" || b.headers.some((h) => /ENCRYPTED/i.test(h)))) {
    throw pkiError(PkiErrorCode.InvalidPrivateKey, "encrypted private keys are not supported");
  }
  const block = blocks.find((b) => KEY_LABELS[b.label] !== undefined);
  if (!block) throw pkiError(PkiErrorCode.InvalidPrivateKey, "no private key PEM block found");
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: "der", type: KEY_LABELS[block.label]! });
  } catch {
    // node's message is about OpenSSL decoders; the label is what helps a person.
    throw pkiError(PkiErrorCode.InvalidPrivateKey, `"${block.label}" block does not hold a valid private key`);
  }
  describeKey(key);
  return key;
}
