// Builders for plan tests: a valid Certificate and Issuer, tweakable per case.
import type { CertificateResource, CertificateSpec, IssuerResource, SecretFile } from "../../src/manifests/types.ts";
import { ANNOTATION, formatTime, requestHash, secretHash } from "../../src/plan/index.ts";
import { certificateSpec } from "../fixtures/certificate-spec.ts";

export function certificate(overrides: Partial<CertificateSpec> = {}, name = "web", namespace = "shop"): CertificateResource {
  return {
    name,
    namespace,
    labels: {},
    source: { file: "apps/shop/certificate.yaml", line: 1 },
    spec: certificateSpec({ secretName: `${name}-tls`, issuerRef: { name: "ca", kind: "ClusterIssuer", group: "cert-manager.io" }, ...overrides }),
  };
}

export const issuer: IssuerResource = {
  kind: "ClusterIssuer",
  name: "ca",
  namespace: "",
  spec: { ca: { secretName: "root" } },
  source: { file: "platform/issuers.yaml", line: 8 },
};

/** The Secret gitcert would have written for `cert`, issued at notBefore. */
export function secretFor(cert: CertificateResource, notBefore: Date, notAfter: Date, extra: Record<string, string> = {}): SecretFile {
  return {
    name: cert.spec.secretName,
    namespace: cert.namespace,
    type: "kubernetes.io/tls",
    labels: {},
    encrypted: true,
    keys: ["tls.crt", "tls.key", "ca.crt"],
    source: { file: `apps/shop/${cert.spec.secretName}.sops.yaml`, line: 1 },
    annotations: {
      [ANNOTATION.certificate]: `${cert.namespace}/${cert.name}`,
      [ANNOTATION.issuer]: "ClusterIssuer/ca",
      [ANNOTATION.notBefore]: formatTime(notBefore),
      [ANNOTATION.notAfter]: formatTime(notAfter),
      [ANNOTATION.requestHash]: requestHash(cert.spec),
      [ANNOTATION.secretHash]: secretHash(cert),
      [ANNOTATION.revision]: "1",
      ...extra,
    },
  };
}
