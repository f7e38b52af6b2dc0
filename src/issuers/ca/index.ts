// CA: signs with a key pair kept as a SOPS-encrypted Secret in the repository
// (for a ClusterIssuer, in the cluster resource namespace) — usually one that
// gitcert issued itself from an isCA Certificate earlier, possibly in the same
// reconcile.
import { X509Certificate } from "node:crypto";
import { diagnostic, GitcertError, type Diagnostic } from "../diagnostics.ts";
import type { IssuerResource } from "../manifests/types.ts";
import { certificateMatchesKey, parseCertificate, parsePrivateKey, signCertificate, splitPem } from "../pki/index.ts";
import type { Issuer, SecretKey } from "./types.ts";
import { issuerRef, stringList } from "./spec.ts";

const URL_LISTS = ["crlDistributionPoints", "ocspServers", "issuingCertificateURLs"] as const;

function caSpec(issuer: IssuerResource): Record<string, unknown> {
  const spec = issuer.spec.ca;
  return spec !== null && typeof spec === "object" && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
}

function secretOf(issuer: IssuerResource, clusterResourceNamespace: string): SecretKey {
  return {
    namespace: issuer.kind === "ClusterIssuer" ? clusterResourceNamespace : issuer.namespace,
    name: String(caSpec(issuer).secretName),
  };
}

export const caIssuer: Issuer = {
  type: "ca",

  validate(issuer: IssuerResource): Diagnostic[] {
    const where = { source: issuer.source, object: issuerRef(issuer) };
    const spec = issuer.spec.ca;
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      return [diagnostic("InvalidIssuer", "spec.ca must be a mapping with secretName", where)];
    }
    const problems: Diagnostic[] = [];
    const { secretName } = spec as Record<string, unknown>;
    if (typeof secretName !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secretName)) {
      problems.push(diagnostic("InvalidIssuer", "spec.ca.secretName must name a Secret", where));
    }
    for (const field of URL_LISTS) {
      const { error } = stringList(spec, field);
      if (error) problems.push(diagnostic("InvalidIssuer", `spec.ca.${error}`, where));
    }
    return problems;
  },

  secretsNeeded: (issuer, clusterResourceNamespace) => [secretOf(issuer, clusterResourceNamespace)],

  async sign(request, env) {
    const key = secretOf(request.issuer, env.clusterResourceNamespace);
    const where = { object: issuerRef(request.issuer), source: request.issuer.source };
    const data = await env.readSecret(key);
    if (!data) {
      throw new GitcertError("CASecretNotFound", `CA Secret ${key.namespace}/${key.name} was not found in the repository`, where);
    }
    const caChainPem = data["tls.crt"]?.toString("utf8");
    const caKeyPem = data["tls.key"]?.toString("utf8");
    if (!caChainPem || !caKeyPem) {
      throw new GitcertError("CASecretInvalid", `CA Secret ${key.namespace}/${key.name} has no tls.crt or tls.key`, where);
    }
    const caChain = splitPem(caChainPem);
    const caCertPem = caChain[0]!;
    const caKey = parsePrivateKey(caKeyPem);
    if (!certificateMatchesKey(caCertPem, caKey)) {
      throw new GitcertError("CASecretInvalid", `CA Secret ${key.namespace}/${key.name}: tls.key does not match tls.crt`, where);
    }
    const caInfo = parseCertificate(caCertPem);
    if (!caInfo.isCA) {
      throw new GitcertError("CASecretInvalid", `CA Secret ${key.namespace}/${key.name}: the certificate is not a CA (basicConstraints CA:FALSE)`, where);
    }
    if (caInfo.notAfter <= env.now()) {
      throw new GitcertError("CASecretInvalid", `CA Secret ${key.namespace}/${key.name}: the CA certificate expired at ${caInfo.notAfter.toISOString()}`, where);
    }

    const spec = caSpec(request.issuer);
    const leaf = await signCertificate({
      spec: request.certificate.spec,
      publicKey: request.publicKey,
      signer: { privateKey: caKey, certificatePem: caCertPem },
      notBefore: env.now(),
      extensions: {
        crlDistributionPoints: stringList(spec, "crlDistributionPoints").value,
        ocspServers: stringList(spec, "ocspServers").value,
        issuingCertificateURLs: stringList(spec, "issuingCertificateURLs").value,
      },
    });
    // As cert-manager: tls.crt carries the leaf and the CA's intermediates,
    // ca.crt the root-most certificate of the CA's chain.
    const root = caChain[caChain.length - 1]!;
    const intermediates = caChain.filter((pem) => !isSelfSigned(pem));
    return { chainPem: [leaf, ...intermediates].join(""), caPem: root };
  },
};

function isSelfSigned(pem: string): boolean {
  const cert = new X509Certificate(pem);
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}
