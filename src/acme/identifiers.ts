// What an ACME order asks for: the Certificate's DNS names and IP addresses,
// and its common name, which ACME servers require among the names (as
// cert-manager's ACME issuer adds it). ACME cannot validate e-mail
// addresses or URIs, so those fail before any order is placed.
import { isIP } from "node:net";
import { GitcertError } from "../diagnostics.ts";
import type { CertificateSpec } from "../manifests/types.ts";
import type { AcmeIdentifier } from "./problem.ts";

export function orderIdentifiers(spec: Pick<CertificateSpec, "commonName" | "dnsNames" | "ipAddresses" | "emailAddresses" | "uris">): AcmeIdentifier[] {
  const unsupported = [...(spec.emailAddresses.length > 0 ? ["emailAddresses"] : []), ...(spec.uris.length > 0 ? ["uris"] : [])];
  if (unsupported.length > 0) {
    throw new GitcertError("AcmeUnsupportedSans", `an ACME certificate can only name DNS names and IP addresses; remove ${unsupported.join(" and ")} or use another issuer`);
  }
  const dns = new Set<string>();
  const ips = new Set<string>();
  const add = (name: string) => (isIP(name) ? ips.add(name) : dns.add(name.toLowerCase().replace(/\.$/, "")));
  if (spec.commonName) add(spec.commonName);
  spec.dnsNames.forEach(add);
  spec.ipAddresses.forEach((ip) => ips.add(ip));
  const identifiers = [...[...dns].map((value) => ({ type: "dns", value })), ...[...ips].map((value) => ({ type: "ip", value }))];
  if (identifiers.length === 0) throw new GitcertError("AcmeNoIdentifiers", "an ACME certificate needs at least one DNS name or IP address");
  return identifiers;
}
