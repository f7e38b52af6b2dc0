// A bag of certificates from an external CA (Vault's certificate, issuing_ca
// and ca_chain; Venafi's PEM chain) laid out as cert-manager's
// ParseSingleCertificateChain lays it out: tls.crt is the leaf and every
// certificate above it that is not self-signed, ca.crt is the self-signed
// root when there is one, else the topmost certificate. The bag may come in
// any order and with repeats; anything that is not one unbroken chain is an
// error, because a Secret with a chain that does not verify helps nobody.
import { X509Certificate } from "node:crypto";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { decodePem, encodePem } from "./pem.ts";

export interface ChainBundle {
  /** Leaf first, then intermediates: the content of `tls.crt`. */
  chainPem: string;
  /** Root (or topmost) certificate for `ca.crt`; absent for a lone leaf that is not self-signed. */
  caPem?: string;
}

// Issuer lookup is quadratic; a real chain has a handful of certificates.
const MAX_CERTIFICATES = 100;

function broken(message: string): never {
  throw pkiError(PkiErrorCode.InvalidChain, message);
}

function issued(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

export function assembleChain(pemText: string): ChainBundle {
  const unique = new Map<string, Buffer>();
  for (const block of decodePem(pemText)) {
    if (block.label === "CERTIFICATE") unique.set(block.der.toString("base64"), block.der);
  }
  if (unique.size === 0) broken("the CA returned no certificate");
  if (unique.size > MAX_CERTIFICATES) broken(`the CA returned ${unique.size} certificates, more than ${MAX_CERTIFICATES}`);
  const certs = [...unique.values()].map((der) => {
    try {
      return { der, x509: new X509Certificate(der) };
    } catch {
      return broken("the CA returned text that is not an X.509 certificate");
    }
  });
  const selfSigned = (c: X509Certificate) => issued(c, c);
  const parentOf = (c: (typeof certs)[number]) => certs.find((p) => p !== c && issued(c.x509, p.x509));
  const leaves = certs.filter((c) => !certs.some((other) => other !== c && issued(other.x509, c.x509)));
  if (leaves.length !== 1) broken("the certificates the CA returned are not one unbroken chain");

  const chain = [leaves[0]!];
  for (let parent = parentOf(chain[0]!); parent && !chain.includes(parent); parent = parentOf(parent)) chain.push(parent);
  if (chain.length !== certs.length) broken("the certificates the CA returned are not one unbroken chain");

  const pem = (c: (typeof certs)[number]) => encodePem("CERTIFICATE", c.der);
  const top = chain[chain.length - 1]!;
  if (chain.length === 1) return selfSigned(top.x509) ? { chainPem: pem(top), caPem: pem(top) } : { chainPem: pem(top) };
  const body = selfSigned(top.x509) ? chain.slice(0, -1) : chain;
  return { chainPem: body.map(pem).join(""), caPem: pem(top) };
}
