// What the CA changed: the issued certificate against the request. A zone
// may fill in or lock subject fields and add or drop names; cert-manager
// accepts that silently, gitcert reports it so nobody ships a certificate
// that says something the Certificate never asked for without knowing.
import type { CsrInfo } from "../pki/index.ts";
import { parseCertificate } from "../pki/index.ts";

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
const show = (values: readonly string[]) => (values.length === 0 ? "none" : values.map((v) => JSON.stringify(v)).join(", "));

export function zoneOverrides(csr: CsrInfo, leafPem: string): string[] {
  const leaf = parseCertificate(leafPem);
  const out: string[] = [];
  const fields: Array<[string, readonly string[], readonly string[]]> = [
    ["common name", csr.commonName ? [csr.commonName] : [], leaf.commonName ? [leaf.commonName] : []],
    ["organization", csr.subject.organizations ?? [], leaf.subject.organizations ?? []],
    ["organizational unit", csr.subject.organizationalUnits ?? [], leaf.subject.organizationalUnits ?? []],
    ["country", csr.subject.countries ?? [], leaf.subject.countries ?? []],
    ["state (province)", csr.subject.provinces ?? [], leaf.subject.provinces ?? []],
    ["locality", csr.subject.localities ?? [], leaf.subject.localities ?? []],
  ];
  for (const [name, asked, got] of fields) {
    if (!same(asked, got)) out.push(`${name}: requested ${show(asked)}, issued ${show(got)}`);
  }
  const names: Array<[string, readonly string[], readonly string[]]> = [
    ["DNS names", csr.dnsNames, leaf.dnsNames],
    ["IP addresses", csr.ipAddresses, leaf.ipAddresses],
    ["URIs", csr.uris, leaf.uris],
    ["email addresses", csr.emailAddresses, leaf.emailAddresses],
  ];
  for (const [name, asked, got] of names) {
    const added = got.filter((v) => !asked.includes(v));
    const dropped = asked.filter((v) => !got.includes(v));
    if (added.length > 0) out.push(`${name}: issued adds ${show(added)}`);
    if (dropped.length > 0) out.push(`${name}: issued drops ${show(dropped)}`);
  }
  return out;
}
