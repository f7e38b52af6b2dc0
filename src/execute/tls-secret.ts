// What goes into a Certificate's Secret: cert-manager's keys and annotations
// (pkg/controller/certificates/issuing/internal/secret.go), the extra output
// formats, and gitcert's plaintext state annotations. Pure.
import type { KeyObject } from "node:crypto";
import type { CertificateResource, IssuerResource } from "../manifests/types.ts";
import { ANNOTATION, formatTime } from "../plan/annotations.ts";
import { encodePrivateKey, encodePrivateKeyDer, parseCertificate, type CertificateInfo } from "../pki/index.ts";

import type { SecretManifestInput } from "../secrets/index.ts";

/** A Secret about to be rendered and encrypted. */
export type SecretContent = SecretManifestInput;

export interface IssuedMaterial {
  certificate: CertificateResource;
  issuer: IssuerResource;
  chainPem: string;
  caPem?: string;
  privateKey: KeyObject;
  revision: number;
  requestHash: string;
  secretHash: string;
  renewalTime?: Date;
  /** Repository file of the Certificate (or Ingress) that asked for it. */
  sourceFile: string;
  /** Plaintext annotations the issuer asked to keep (ACME: ARI CertID, account URL). */
  issuerAnnotations?: Record<string, string>;
}

/** Issuers' own annotations live under a `<issuer>.gitcert.dev/` prefix. */
export function issuerAnnotationsOf(annotations: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).filter(([k]) => /^[a-z0-9-]+\.gitcert\.dev\//.test(k)));
}

export function buildTlsSecret(m: IssuedMaterial, leaf: CertificateInfo = parseCertificate(m.chainPem)): SecretContent {
  const { spec } = m.certificate;
  const keyPem = encodePrivateKey(m.privateKey, spec.privateKey.encoding);
  const data: Record<string, Buffer> = {
    "tls.crt": Buffer.from(m.chainPem),
    "tls.key": Buffer.from(keyPem),
  };
  if (m.caPem) data["ca.crt"] = Buffer.from(m.caPem);
  for (const format of spec.additionalOutputFormats) {
    if (format === "DER") data["key.der"] = encodePrivateKeyDer(m.privateKey, spec.privateKey.encoding); // the DER of tls.key, as cert-manager
    if (format === "CombinedPEM") data["tls-combined.pem"] = Buffer.from(`${keyPem.trimEnd()}\n${m.chainPem}`);
  }

  const annotations: Record<string, string> = {
    ...spec.secretTemplate.annotations,
    "cert-manager.io/certificate-name": m.certificate.name,
    "cert-manager.io/issuer-name": m.issuer.name,
    "cert-manager.io/issuer-kind": m.issuer.kind,
    "cert-manager.io/issuer-group": spec.issuerRef.group,
    "cert-manager.io/common-name": leaf.commonName ?? "",
    "cert-manager.io/alt-names": leaf.dnsNames.join(","),
    "cert-manager.io/ip-sans": leaf.ipAddresses.join(","),
    "cert-manager.io/uri-sans": leaf.uris.join(","),
    ...subjectAnnotations(leaf),
    ...m.issuerAnnotations,
    [ANNOTATION.certificate]: `${m.certificate.namespace}/${m.certificate.name}`,
    [ANNOTATION.source]: m.sourceFile,
    [ANNOTATION.issuer]: `${m.issuer.kind}/${m.issuer.name}`,
    [ANNOTATION.notBefore]: formatTime(leaf.notBefore),
    [ANNOTATION.notAfter]: formatTime(leaf.notAfter),
    [ANNOTATION.requestHash]: m.requestHash,
    [ANNOTATION.secretHash]: m.secretHash,
    [ANNOTATION.revision]: String(m.revision),
  };
  if (m.renewalTime) annotations[ANNOTATION.renewalTime] = formatTime(m.renewalTime);

  return {
    name: spec.secretName,
    namespace: m.certificate.namespace,
    type: "kubernetes.io/tls",
    annotations,
    labels: { ...spec.secretTemplate.labels, "controller.cert-manager.io/fao": "true" },
    data,
  };
}

function subjectAnnotations(leaf: CertificateInfo): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (key: string, values: string[] | string | undefined) => {
    const joined = Array.isArray(values) ? values.join(",") : values ?? "";
    if (joined) out[`cert-manager.io/${key}`] = joined;
  };
  put("email-sans", leaf.emailAddresses);
  put("subject-organizations", leaf.subject.organizations);
  put("subject-organizationalunits", leaf.subject.organizationalUnits);
  put("subject-countries", leaf.subject.countries);
  put("subject-provinces", leaf.subject.provinces);
  put("subject-localities", leaf.subject.localities);
  put("subject-postalcodes", leaf.subject.postalCodes);
  put("subject-streetaddresses", leaf.subject.streetAddresses);
  put("subject-serialnumber", leaf.subject.serialNumber);
  return out;
}
