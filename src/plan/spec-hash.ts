// Two fingerprints of a Certificate spec, kept as plaintext annotations on the
// Secret so planning never decrypts:
//  - the request hash covers what is inside the X.509 certificate and who
//    signs it; a change means a new certificate (cert-manager's
//    RequestChanged / IncorrectIssuer);
//  - the secret hash covers only how the Secret is laid out (labels,
//    annotations, extra outputs, key encoding); a change rewrites the Secret
//    around the same certificate and key.
// Renewal timing (renewBefore…) is in neither: it changes when to renew,
// not what was issued.
import { createHash } from "node:crypto";
import type { CertificateResource, CertificateSpec } from "../manifests/types.ts";

function digest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 32);
}

/** JSON with sorted keys and undefined dropped, so equal specs hash equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(spec: CertificateSpec): string {
  return digest({
    commonName: spec.commonName,
    literalSubject: spec.literalSubject,
    subject: spec.subject,
    dnsNames: spec.dnsNames,
    ipAddresses: spec.ipAddresses,
    uris: spec.uris,
    emailAddresses: spec.emailAddresses,
    duration: spec.duration,
    issuerRef: spec.issuerRef,
    isCA: spec.isCA,
    usages: spec.usages,
    keyAlgorithm: spec.privateKey.algorithm,
    keySize: spec.privateKey.size,
  });
}

export function secretHash(certificate: Pick<CertificateResource, "spec">): string {
  const { spec } = certificate;
  return digest({
    secretTemplate: spec.secretTemplate,
    additionalOutputFormats: spec.additionalOutputFormats,
    encoding: spec.privateKey.encoding,
  });
}
