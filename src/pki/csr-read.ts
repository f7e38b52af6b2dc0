// Reading a PKCS#10 request back: what an external CA is asked for. Vault
// and Venafi take the names from the CSR, as cert-manager's issuers do, so
// the request body is built from the same bytes the CA will sign.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { KeyAlgorithm, X509Subject } from "../manifests/types.ts";
import { children, decodeOid, readOne, Tag } from "./der.ts";
import { GitcertError } from "../diagnostics.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { describeKey } from "./keys.ts";
import { decodePem } from "./pem.ts";
import { readSans, SAN_OID, type Sans } from "./sans.ts";
import { readName, subjectFields } from "./subject.ts";

const EXTENSION_REQUEST = "1.2.840.113549.1.9.14";

export interface CsrInfo extends Sans {
  commonName?: string;
  subject: X509Subject;
  publicKey: KeyObject;
  keyAlgorithm: KeyAlgorithm;
  /** RSA modulus bits or ECDSA curve size; 0 for Ed25519. */
  keySize: number;
}

function invalid(message: string): never {
  throw pkiError(PkiErrorCode.InvalidPEM, `certificate request: ${message}`);
}

export function readCsr(pem: string): CsrInfo {
  const block = decodePem(pem).find((b) => b.label === "CERTIFICATE REQUEST" || b.label === "NEW CERTIFICATE REQUEST");
  if (!block) invalid("no CERTIFICATE REQUEST PEM block found");
  try {
    return walk(block.der);
  } catch (err) {
    if (err instanceof GitcertError) throw err;
    return invalid("not a valid PKCS#10 request");
  }
}

function walk(der: Buffer): CsrInfo {
  const [info] = children(readOne(der));
  if (!info) return invalid("no certificationRequestInfo");
  const [, subject, spki, attributes] = children(info);
  if (!subject || !spki) return invalid("truncated certificationRequestInfo");
  let sans: Sans = { dnsNames: [], ipAddresses: [], uris: [], emailAddresses: [] };
  if (attributes?.tag === 0xa0) {
    for (const attribute of children(attributes)) {
      const [type, values] = children(attribute);
      if (type?.tag !== Tag.Oid || decodeOid(type.value) !== EXTENSION_REQUEST || !values) continue;
      const [extensions] = children(values);
      for (const ext of extensions ? children(extensions) : []) {
        const parts = children(ext);
        const id = parts[0];
        const value = parts[parts.length - 1];
        if (id?.tag === Tag.Oid && value?.tag === Tag.OctetString && decodeOid(id.value) === SAN_OID) sans = readSans(value.value);
      }
    }
  }
  const publicKey = createPublicKey({ key: spki.raw, format: "der", type: "spki" });
  const { algorithm, size } = describeKey(publicKey);
  const names = subjectFields(readName(subject.raw));
  return { ...names, ...sans, publicKey, keyAlgorithm: algorithm, keySize: size };
}
