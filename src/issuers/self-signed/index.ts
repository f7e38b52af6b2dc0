// SelfSigned: the certificate signs itself with its own key. cert-manager puts
// the certificate itself in ca.crt, so trust can be bootstrapped from it.
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { IssuerResource } from "../manifests/types.ts";
import { signCertificate } from "../pki/index.ts";
import type { Issuer } from "./types.ts";
import { issuerRef, stringList } from "./spec.ts";

export const selfSignedIssuer: Issuer = {
  type: "selfSigned",

  validate(issuer: IssuerResource): Diagnostic[] {
    const spec = issuer.spec.selfSigned;
    if (spec === null || spec === undefined) return [];
    if (typeof spec !== "object" || Array.isArray(spec)) {
      return [diagnostic("InvalidIssuer", "spec.selfSigned must be a mapping", { source: issuer.source, object: issuerRef(issuer) })];
    }
    const problem = stringList(spec, "crlDistributionPoints");
    return problem.error ? [diagnostic("InvalidIssuer", `spec.selfSigned.${problem.error}`, { source: issuer.source, object: issuerRef(issuer) })] : [];
  },

  secretsNeeded: () => [],

  async sign(request, env) {
    const spec = (request.issuer.spec.selfSigned ?? {}) as Record<string, unknown>;
    const certificatePem = await signCertificate({
      spec: request.certificate.spec,
      publicKey: request.publicKey,
      signer: { privateKey: request.privateKey },
      notBefore: env.now(),
      extensions: { crlDistributionPoints: stringList(spec, "crlDistributionPoints").value },
    });
    return { chainPem: certificatePem, caPem: certificatePem };
  },
};
