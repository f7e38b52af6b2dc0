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

/**
 * The chain to use, from the default chain and then the alternates, each
 * loaded only when the ones before it did not match (a download each).
 */
export async function pickChain(chains: ReadonlyArray<() => Promise<string>>, name: string | undefined): Promise<string> {
  const [loadDefault, ...alternates] = chains;
  if (!loadDefault) throw new Error("pickChain needs at least the default chain");
  const chain = await loadDefault();
  if (!name || chainMatches(chain, name)) return chain;
  for (const load of alternates) {
    const alternate = await load();
    if (chainMatches(alternate, name)) return alternate;
  }
  return chain;
}
