// Reading certificates: the fields planning, Secret annotations and signing
// need, read from the DER ourselves (see der.ts for why), with OpenSSL, via
// node's X509Certificate, as the judge of whether the bytes are a certificate.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import type { KeyAlgorithm, X509Subject } from "../manifests/types.ts";
import { children, decodeOid, decodeTime, integerHex, readOne, Tag, type Tlv } from "./der.ts";
import { GitcertError } from "../diagnostics.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { describeKey, spkiDer } from "./keys.ts";
import { decodePem } from "./pem.ts";
import { readSans, SAN_OID } from "./sans.ts";
import { readName, subjectFields } from "./subject.ts";

export interface CertificateInfo {
  /** Lowercase hex of the serial's magnitude. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** The subject's CN (the last one, as Go's pkix.Name reads it). */
  commonName?: string;
  subject: X509Subject;
  issuerCommonName?: string;
  dnsNames: string[];
  /** Printed as Go's net.IP does: dotted IPv4, RFC 5952 IPv6. */
  ipAddresses: string[];
  uris: string[];
  emailAddresses: string[];
  isCA: boolean;
  keyAlgorithm: KeyAlgorithm;
  /** RSA modulus bits or ECDSA curve size; 0 for Ed25519. */
  keySize: number;
  publicKey: KeyObject;
  /** Lowercase hex SHA-256 of the DER, no separators. */
  fingerprintSha256: string;
}

export interface Extension {
  critical: boolean;
  value: Buffer;
}

/** The parts of a certificate src/pki itself works with, bytes kept as found. */
export interface RawCertificate {
  der: Buffer;
  serial: Buffer;
  issuerDer: Buffer;
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  extensions: Map<string, Extension>;
}

export const ExtensionOid = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: SAN_OID,
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
} as const;

function invalid(message: string): never {
  throw pkiError(PkiErrorCode.InvalidCertificate, message);
}

/** The DER of the first CERTIFICATE block. */
export function certificateDer(pem: string): Buffer {
  const block = decodePem(pem).find((b) => b.label === "CERTIFICATE");
  if (!block) invalid("no CERTIFICATE PEM block found");
  return block.der;
}

export function readCertificate(pemOrDer: string | Buffer): RawCertificate {
  const der = typeof pemOrDer === "string" ? certificateDer(pemOrDer) : pemOrDer;
  try {
    new X509Certificate(der);
  } catch {
    invalid("not a valid X.509 certificate");
  }
  try {
    return walk(der);
  } catch (err) {
    if (err instanceof GitcertError) throw err;
    return invalid("not a valid X.509 certificate");
  }
}

function walk(der: Buffer): RawCertificate {
  const [tbs] = children(readOne(der));
  if (!tbs) return invalid("certificate has no tbsCertificate");
  const fields = children(tbs);
  // version [0] is optional (absent means v1)
  if (fields[0]?.tag === 0xa0) fields.shift();
  const [serial, , issuer, validity, subject, spki, ...rest] = fields as (Tlv | undefined)[];
  if (!serial || !issuer || !validity || !subject || !spki) return invalid("certificate is truncated");
  const [notBefore, notAfter] = children(validity);
  if (!notBefore || !notAfter) return invalid("certificate validity is truncated");
  const extensions = new Map<string, Extension>();
  const exts = rest.find((f) => f?.tag === 0xa3);
  if (exts) {
    for (const ext of children(readOne(exts.value))) {
      const parts = children(ext);
      const id = parts[0];
      const critical = parts.length === 3 && parts[1]?.tag === Tag.Boolean && parts[1].value[0] !== 0;
      const value = parts[parts.length - 1];
      if (id?.tag !== Tag.Oid || value?.tag !== Tag.OctetString) return invalid("malformed extension");
      extensions.set(decodeOid(id.value), { critical, value: value.value });
    }
  }
  return {
    der,
    serial: serial.value,
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    notBefore: decodeTime(notBefore),
    notAfter: decodeTime(notAfter),
    spkiDer: spki.raw,
    extensions,
  };
}

export function isCA(cert: RawCertificate): boolean {
  const bc = cert.extensions.get(ExtensionOid.basicConstraints);
  if (!bc) return false;
  const first = children(readOne(bc.value))[0];
  return first?.tag === Tag.Boolean && first.value[0] !== 0;
}

/** KeyUsage as a bit number → set map (bit 0 digitalSignature … bit 8 decipherOnly), or undefined when absent. */
export function keyUsageBits(cert: RawCertificate): ((bit: number) => boolean) | undefined {
  const ku = cert.extensions.get(ExtensionOid.keyUsage);
  if (!ku) return undefined;
  const bits = readOne(ku.value).value.subarray(1);
  return (bit) => ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
}

export function subjectKeyId(cert: RawCertificate): Buffer | undefined {
  const ski = cert.extensions.get(ExtensionOid.subjectKeyIdentifier);
  return ski ? readOne(ski.value).value : undefined;
}

export function parseCertificate(pem: string): CertificateInfo {
  const cert = readCertificate(pem);
  const publicKey = createPublicKey({ key: cert.spkiDer, format: "der", type: "spki" });
  const { algorithm, size } = describeKey(publicKey);
  const { commonName, subject } = subjectFields(readName(cert.subjectDer));
  const issuer = subjectFields(readName(cert.issuerDer));
  const san = cert.extensions.get(ExtensionOid.subjectAltName);
  const sans = san ? readSans(san.value) : { dnsNames: [], ipAddresses: [], uris: [], emailAddresses: [] };
  const info: CertificateInfo = {
    serialNumber: integerHex(cert.serial),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    subject,
    ...sans,
    isCA: isCA(cert),
    keyAlgorithm: algorithm,
    keySize: size,
    publicKey,
    fingerprintSha256: createHash("sha256").update(cert.der).digest("hex"),
  };
  if (commonName !== undefined) info.commonName = commonName;
  if (issuer.commonName !== undefined) info.issuerCommonName = issuer.commonName;
  return info;
}

/** Whether the certificate certifies `key` (a private or public key). */
export function certificateMatchesKey(certPem: string, key: KeyObject): boolean {
  return readCertificate(certPem).spkiDer.equals(spkiDer(key));
}

/**
 * Whether `issuerPem` issued `leafPem`: OpenSSL's issued-by check (names,
 * key identifiers, the issuer's key usage) and the signature. Validity dates
 * are not looked at; renewal decides about time. Text that is not a
 * certificate throws InvalidCertificate rather than answering false.
 */
export function verifyChain(leafPem: string, issuerPem: string): boolean {
  const leaf = new X509Certificate(readCertificate(leafPem).der);
  const issuer = new X509Certificate(readCertificate(issuerPem).der);
  return leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey);
}
