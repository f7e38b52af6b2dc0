// preferredChain, cert-manager's rule (acmeorders/sync.go
// getPreferredCertChain): a chain is the preferred one when the issuer CN of
// its root-most certificate equals the name. The default chain is checked
// first, then the alternates in the server's order; no match keeps the
// default, since it is a preference. (acme-client matches any issuer CN in
// the chain instead, which picks a different chain when a cross-signed
// intermediate shares a name.)
import { parseCertificate, splitPem } from "../pki/index.ts";

export function chainMatches(chainPem: string, name: string): boolean {
  const certs = splitPem(chainPem);
  const top = certs[certs.length - 1];
  return top !== undefined && parseCertificate(top).issuerCommonName === name;
}

/** Index of the chain to use: the first that matches, else 0 (the default). */
export function pickChain(chains: readonly string[], name: string | undefined): number {
  if (!name) return 0;
  const i = chains.findIndex((c) => chainMatches(c, name));
  return i === -1 ? 0 : i;
}
