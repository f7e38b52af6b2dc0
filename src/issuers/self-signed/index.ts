// SelfSigned: the certificate signs itself with its own key. cert-manager puts
// the certificate itself in ca.crt, so trust can be bootstrapped from it.
import { signCertificate } from "../../pki/index.ts";
import { specOf } from "../read.ts";
import type { Issuer } from "../types.ts";
import { selfSignedSchema, type SelfSignedIssuerSpec } from "./schema.ts";

export const selfSignedIssuer: Issuer<SelfSignedIssuerSpec> = {
  type: "selfSigned",
  schema: selfSignedSchema,
  secrets: () => [],

  async sign(request, env) {
    const spec = specOf(selfSignedIssuer, request.issuer);
    const certificatePem = await signCertificate({
      spec: request.certificate.spec,
      publicKey: request.publicKey,
      signer: { privateKey: request.privateKey },
      notBefore: env.now(),
      extensions: { crlDistributionPoints: spec.crlDistributionPoints },
    });
    return { chainPem: certificatePem, caPem: certificatePem };
  },
};
