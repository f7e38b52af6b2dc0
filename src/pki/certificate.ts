// Building and signing an X.509 v3 certificate from a spec, for the
// self-signed and CA issuers. Extensions follow what cert-manager's template
// plus Go's x509.CreateCertificate produce, with these choices of ours:
// every certificate gets a subjectKeyIdentifier; a self-signed one gets an
// authorityKeyIdentifier naming its own key; and a certificate signed by a
// CA never outlives that CA (cert-manager's CA issuer does not clamp; a
// chain that expires with its CA is useless past that point anyway).
import { createHash, randomBytes, type KeyObject } from "node:crypto";
import type { CertificateSpec } from "../manifests/types.ts";
import { children, readOne } from "./der.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { spkiDer } from "./keys.ts";
import { isCA, keyUsageBits, readCertificate, subjectKeyId } from "./parse.ts";
import { encodePem } from "./pem.ts";
import { webCryptoKeys } from "./signature.ts";
import { buildTemplate, type TemplateSpec } from "./template.ts";
import { x509 } from "./x509.ts";

export interface CertificateExtensions {
  crlDistributionPoints?: string[];
  ocspServers?: string[];
  issuingCertificateURLs?: string[];
}

export interface Signer {
  privateKey: KeyObject;
  /** The CA certificate; absent means self-signed with `privateKey`. */
  certificatePem?: string;
}

export interface SignCertificateInput {
  /** Any CertificateSpec; naming, usage, isCA and duration fields are read. */
  spec: TemplateSpec & Pick<CertificateSpec, "duration">;
  /** The key being certified. */
  publicKey: KeyObject;
  signer: Signer;
  notBefore: Date;
  extensions?: CertificateExtensions;
}

const KEY_CERT_SIGN_BIT = 5;

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, as Go and OpenSSL do. */
export function keyIdentifier(spki: Buffer): Buffer {
  const bitString = children(readOne(spki))[1];
  if (!bitString) throw pkiError(PkiErrorCode.InvalidCertificate, "malformed public key");
  return createHash("sha1").update(bitString.value.subarray(1)).digest();
}

/** A positive serial below 2^128, as cert-manager draws it. */
function randomSerial(): string {
  for (;;) {
    const serial = randomBytes(16);
    if (serial.some((b) => b !== 0)) return serial.toString("hex");
  }
}

export async function signCertificate(input: SignCertificateInput): Promise<string> {
  const { spec, signer } = input;
  if (!Number.isFinite(spec.duration) || spec.duration <= 0) {
    throw pkiError(PkiErrorCode.InvalidDuration, `duration must be a positive number of seconds, got ${spec.duration}`);
  }
  if (signer.privateKey.type !== "private") {
    throw pkiError(PkiErrorCode.InvalidPrivateKey, "the signer needs a private key");
  }
  const template = buildTemplate(spec);
  // X.509 times have whole seconds; truncating first keeps lifetime == duration.
  const notBefore = new Date(Math.floor(input.notBefore.getTime() / 1000) * 1000);
  let notAfter = new Date(notBefore.getTime() + Math.round(spec.duration) * 1000);
  const subjectSpki = spkiDer(input.publicKey);
  const signerSpki = spkiDer(signer.privateKey);

  let issuer: x509.Name;
  let authorityKeyId: Buffer;
  if (signer.certificatePem !== undefined) {
    const ca = readCertificate(signer.certificatePem);
    const ku = keyUsageBits(ca);
    if (!isCA(ca) || (ku && !ku(KEY_CERT_SIGN_BIT))) {
      throw pkiError(PkiErrorCode.SignerNotCA, "the signing certificate is not a CA certificate allowed to sign certificates");
    }
    if (!ca.spkiDer.equals(signerSpki)) {
      throw pkiError(PkiErrorCode.SignerKeyMismatch, "the signing private key does not belong to the signing certificate");
    }
    if (ca.notAfter.getTime() <= notBefore.getTime()) {
      throw pkiError(PkiErrorCode.SignerExpired, `the signing certificate expired at ${ca.notAfter.toISOString()}`);
    }
    if (notAfter.getTime() > ca.notAfter.getTime()) notAfter = ca.notAfter;
    issuer = new x509.Name(ca.subjectDer);
    authorityKeyId = subjectKeyId(ca) ?? keyIdentifier(ca.spkiDer);
  } else {
    if (!subjectSpki.equals(signerSpki)) {
      throw pkiError(PkiErrorCode.KeyPairMismatch, "a self-signed certificate must be signed by its own private key");
    }
    issuer = template.subject;
    authorityKeyId = keyIdentifier(subjectSpki);
  }

  const extensions: x509.Extension[] = [
    ...template.usageExtensions,
    // Go's template sets BasicConstraintsValid always: leaves say CA:FALSE.
    new x509.BasicConstraintsExtension(spec.isCA, undefined, true),
    new x509.SubjectKeyIdentifierExtension(keyIdentifier(subjectSpki).toString("hex")),
    new x509.AuthorityKeyIdentifierExtension(authorityKeyId.toString("hex")),
  ];
  const ocsp = input.extensions?.ocspServers ?? [];
  const caIssuers = input.extensions?.issuingCertificateURLs ?? [];
  if (ocsp.length > 0 || caIssuers.length > 0) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp, caIssuers }));
  }
  if (template.san) extensions.push(template.san);
  const crl = input.extensions?.crlDistributionPoints ?? [];
  if (crl.length > 0) extensions.push(new x509.CRLDistributionPointsExtension(crl));

  const keys = await webCryptoKeys(signer.privateKey);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: template.subject,
    issuer,
    notBefore,
    notAfter,
    publicKey: subjectSpki,
    signingKey: keys.privateKey,
    signingAlgorithm: keys.signParams,
    extensions,
  });
  return encodePem("CERTIFICATE", Buffer.from(cert.rawData));
}
