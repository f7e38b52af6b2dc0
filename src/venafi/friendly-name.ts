// The name of the certificate object in Venafi, chosen as cert-manager
// chooses it: common name, else the first DNS name, URI, email, IP.
import type { CsrInfo } from "../pki/index.ts";
import { VenafiError, VenafiErrorCode } from "./errors.ts";

export function friendlyName(csr: CsrInfo): string {
  const name = csr.commonName || csr.dnsNames[0] || csr.uris[0] || csr.emailAddresses[0] || csr.ipAddresses[0];
  if (!name) throw new VenafiError(VenafiErrorCode.InvalidRequest, "the request has no common name and no subject alternative name to name the Venafi certificate object by", { atCA: false });
  return name;
}
