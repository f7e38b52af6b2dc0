// Subject alternative names, written in Go's marshalSANs order (DNS, email,
// IP, URI) and read back without choking on kinds we do not model.
import type { CertificateSpec } from "../manifests/types.ts";
import { children, readOne } from "./der.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { ipForX509Library, ipToBytes, ipToString } from "./ip.ts";
import { x509 } from "./x509.ts";

export const SAN_OID = "2.5.29.17";

export interface Sans {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emailAddresses: string[];
}

export type SanSpec = Pick<CertificateSpec, "dnsNames" | "ipAddresses" | "uris" | "emailAddresses">;

export function hasSans(spec: SanSpec): boolean {
  return spec.dnsNames.length + spec.ipAddresses.length + spec.uris.length + spec.emailAddresses.length > 0;
}

// IA5String is ASCII; a non-ASCII name would be silently mangled on the wire.
function ia5(kind: string, value: string): string {
  if (!/^[\x00-\x7f]*$/.test(value)) {
    throw pkiError(PkiErrorCode.InvalidSubjectAltName, `${kind} ${JSON.stringify(value)} is not ASCII (use punycode / percent-encoding)`);
  }
  return value;
}

/**
 * The SAN extension, or undefined when the spec has none. RFC 5280 §4.2.1.6:
 * with an empty subject the names live only here, so it must be critical.
 */
export function sanExtension(spec: SanSpec, subjectEmpty: boolean): x509.SubjectAlternativeNameExtension | undefined {
  if (!hasSans(spec)) return undefined;
  const names: x509.JsonGeneralName[] = [
    ...spec.dnsNames.map((v) => ({ type: "dns" as const, value: ia5("dnsName", v) })),
    ...spec.emailAddresses.map((v) => ({ type: "email" as const, value: ia5("emailAddress", v) })),
    ...spec.ipAddresses.map((v) => ({ type: "ip" as const, value: ipForX509Library(ipToBytes(v)) })),
    ...spec.uris.map((v) => ({ type: "url" as const, value: ia5("uri", v) })),
  ];
  return new x509.SubjectAlternativeNameExtension(names, subjectEmpty);
}

/** DNS, IP, URI and email SANs of a SAN extension value; other kinds are skipped. */
export function readSans(extnValue: Buffer): Sans {
  const sans: Sans = { dnsNames: [], ipAddresses: [], uris: [], emailAddresses: [] };
  for (const name of children(readOne(extnValue))) {
    switch (name.tag) {
      case 0x81: sans.emailAddresses.push(name.value.toString("latin1")); break;
      case 0x82: sans.dnsNames.push(name.value.toString("latin1")); break;
      case 0x86: sans.uris.push(name.value.toString("latin1")); break;
      case 0x87: sans.ipAddresses.push(ipToString(name.value)); break;
    }
  }
  return sans;
}
