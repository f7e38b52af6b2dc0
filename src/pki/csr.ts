// PKCS#10 requests as cert-manager's GenerateCSR writes them: subject, SANs,
// key usage (critical) and extended key usage in an extensionRequest, signed
// by the certificate's own key.
import type { KeyObject } from "node:crypto";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { encodePem } from "./pem.ts";
import { webCryptoKeys } from "./signature.ts";
import { buildTemplate, type TemplateSpec } from "./template.ts";
import { x509 } from "./x509.ts";

/** PEM PKCS#10 for `spec` (any CertificateSpec; only the naming and usage fields are read). */
export async function createCsr(spec: TemplateSpec, key: KeyObject): Promise<string> {
  if (key.type !== "private") throw pkiError(PkiErrorCode.InvalidPrivateKey, "a CSR is signed with a private key");
  const template = buildTemplate(spec);
  const extensions: x509.Extension[] = [...(template.san ? [template.san] : []), ...template.usageExtensions];
  // cert-manager only encodes basicConstraints in requests behind an alpha
  // gate; we state CA:TRUE so a CA request is unambiguous to any signer.
  if (spec.isCA) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
  const keys = await webCryptoKeys(key);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: template.subject,
    extensions,
    signingAlgorithm: keys.signParams,
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
  });
  return encodePem("CERTIFICATE REQUEST", Buffer.from(csr.rawData));
}
