// cert-manager's usage names (pkg/api/util/usages.go) to X.509 key usage bits
// and extended key usage OIDs, with its rules from
// KeyUsagesForCertificateOrCertificateRequest: no usages means the default
// pair, and a CA always gets `cert sign`.
import { pkiError, PkiErrorCode } from "./errors.ts";

/** RFC 5280 KeyUsage bits, numbered as @peculiar/x509's KeyUsageFlags. */
export const KeyUsageBit = {
  digitalSignature: 1,
  contentCommitment: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

const KEY_USAGES: Readonly<Record<string, number>> = {
  signing: KeyUsageBit.digitalSignature,
  "digital signature": KeyUsageBit.digitalSignature,
  "content commitment": KeyUsageBit.contentCommitment,
  "key encipherment": KeyUsageBit.keyEncipherment,
  "key agreement": KeyUsageBit.keyAgreement,
  "data encipherment": KeyUsageBit.dataEncipherment,
  "cert sign": KeyUsageBit.keyCertSign,
  "crl sign": KeyUsageBit.cRLSign,
  "encipher only": KeyUsageBit.encipherOnly,
  "decipher only": KeyUsageBit.decipherOnly,
};

const EXT_KEY_USAGES: Readonly<Record<string, string>> = {
  any: "2.5.29.37.0",
  "server auth": "1.3.6.1.5.5.7.3.1",
  "client auth": "1.3.6.1.5.5.7.3.2",
  "code signing": "1.3.6.1.5.5.7.3.3",
  "email protection": "1.3.6.1.5.5.7.3.4",
  "s/mime": "1.3.6.1.5.5.7.3.4",
  "ipsec end system": "1.3.6.1.5.5.7.3.5",
  "ipsec tunnel": "1.3.6.1.5.5.7.3.6",
  "ipsec user": "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  "ocsp signing": "1.3.6.1.5.5.7.3.9",
  "microsoft sgc": "1.3.6.1.4.1.311.10.3.3",
  "netscape sgc": "2.16.840.1.113730.4.1",
};

export const DEFAULT_USAGES: readonly string[] = ["digital signature", "key encipherment"];

export const KNOWN_USAGES: readonly string[] = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)];

export interface ResolvedUsages {
  /** KeyUsageBit flags OR-ed together; 0 means no KeyUsage extension. */
  keyUsage: number;
  /** Extended key usage OIDs in the order asked for, without repeats. */
  extKeyUsages: string[];
}

export function resolveUsages(usages: readonly string[], isCA: boolean): ResolvedUsages {
  let keyUsage = isCA ? KeyUsageBit.keyCertSign : 0;
  const extKeyUsages: string[] = [];
  const unknown: string[] = [];
  for (const usage of usages.length > 0 ? usages : DEFAULT_USAGES) {
    const bit = KEY_USAGES[usage];
    const oid = EXT_KEY_USAGES[usage];
    if (bit !== undefined) keyUsage |= bit;
    else if (oid !== undefined) {
      if (!extKeyUsages.includes(oid)) extKeyUsages.push(oid);
    } else unknown.push(usage);
  }
  if (unknown.length > 0) {
    throw pkiError(
      PkiErrorCode.UnknownKeyUsage,
      `unknown key usages: ${unknown.map((u) => JSON.stringify(u)).join(", ")}`,
    );
  }
  return { keyUsage, extKeyUsages };
}
