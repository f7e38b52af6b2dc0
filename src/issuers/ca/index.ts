// CA: signs with a key pair kept as a SOPS-encrypted Secret in the repository
// (for a ClusterIssuer, in the cluster resource namespace) — usually one that
// gitcert issued itself from an isCA Certificate earlier, possibly in the same
// reconcile.
import { X509Certificate } from "node:crypto";
import { GitcertError } from "../../diagnostics.ts";
import { certificateMatchesKey, parseCertificate, parsePrivateKey, signCertificate, splitPem } from "../../pki/index.ts";
import { issuerRef, secretNamespace, specOf } from "../read.ts";
import type { Issuer, SecretKey } from "../types.ts";
import { caSchema, type CaIssuerSpec } from "./schema.ts";

export const caIssuer: Issuer<CaIssuerSpec> = {
  type: "ca",
  schema: caSchema,

  secrets: (spec, { namespace }) => [
    {
      namespace,
      name: spec.secretName,
      keys: ["tls.crt", "tls.key"],
      purpose: "CA key pair",
      field: "spec.ca.secretName",
      writtenByCertificates: true,
    },
  ],

  async sign(request, env) {
    const spec = specOf(caIssuer, request.issuer);
    const key: SecretKey = { namespace: secretNamespace(request.issuer, env.clusterResourceNamespace), name: spec.secretName };
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

    const leaf = await signCertificate({
      spec: request.certificate.spec,
      publicKey: request.publicKey,
      signer: { privateKey: caKey, certificatePem: caCertPem },
      notBefore: env.now(),
      extensions: {
        crlDistributionPoints: spec.crlDistributionPoints,
        ocspServers: spec.ocspServers,
        issuingCertificateURLs: spec.issuingCertificateURLs,
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
