// `spec.literalSubject`: an RFC 4514 distinguished name string, read the way
// cert-manager reads it (go-ldap's ParseDN, then its own table of attribute
// type names). Kept separate so the CSR builder can use the same parse.

export interface SubjectAttribute {
  /** As written: `CN`, `OU`, or a dotted OID such as `2.5.4.3`. */
  type: string;
  /** Dotted OID of the type; undefined when the type is not recognised. */
  oid?: string;
  value: string;
}

/** RDNs in the order written (most specific first, as in `CN=a,O=b`). */
export type RelativeDistinguishedName = SubjectAttribute[];

// cert-manager's `attributeTypeNames` (pkg/util/pki/subject.go). The lookup
// there is case-sensitive, so `cn=foo` is an unknown key in cert-manager too.
const ATTRIBUTE_OIDS: ReadonlyMap<string, string> = new Map([
  ["C", "2.5.4.6"],
  ["O", "2.5.4.10"],
  ["OU", "2.5.4.11"],
  ["CN", "2.5.4.3"],
  ["SERIALNUMBER", "2.5.4.5"],
  ["L", "2.5.4.7"],
  ["ST", "2.5.4.8"],
  ["STREET", "2.5.4.9"],
  ["DC", "0.9.2342.19200300.100.1.25"],
  ["UID", "0.9.2342.19200300.100.1.1"],
]);

export const COMMON_NAME_OID = "2.5.4.3";

const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

export type LiteralSubjectResult = { ok: true; rdns: RelativeDistinguishedName[] } | { ok: false; error: string };

export function parseLiteralSubject(text: string): LiteralSubjectResult {
  const rdns: RelativeDistinguishedName[] = [];
  if (text.trim() === "") return { ok: true, rdns };
  let rdn: SubjectAttribute[] = [];
  let i = 0;
  for (;;) {
    const eq = text.indexOf("=", i);
    if (eq === -1) return { ok: false, error: `missing "=" after ${JSON.stringify(text.slice(i).trim())}` };
    const type = text.slice(i, eq).trim();
    if (type === "") return { ok: false, error: `empty attribute type at position ${i}` };
    if (/[,+;"\\<>]/.test(type)) return { ok: false, error: `invalid attribute type ${JSON.stringify(type)}` };
    const value = readValue(text, eq + 1);
    if (!value.ok) return value;
    const oid = ATTRIBUTE_OIDS.get(type) ?? (DOTTED_OID.test(type) ? type : undefined);
    rdn.push(oid === undefined ? { type, value: value.value } : { type, oid, value: value.value });
    i = value.end;
    if (i >= text.length) break;
    const sep = text[i];
    i++;
    if (sep !== "+") {
      rdns.push(rdn);
      rdn = [];
    }
    if (text.slice(i).trim() === "") return { ok: false, error: "ends with a separator" };
  }
  rdns.push(rdn);
  return { ok: true, rdns };
}

const HEX2 = /^[0-9A-Fa-f]{2}$/;

function readValue(
  text: string,
  start: number,
): { ok: true; value: string; end: number } | { ok: false; error: string } {
  let i = start;
  while (text[i] === " ") i++;
  if (text[i] === "#") {
    // A BER-encoded value; kept as its hex text, which is all validation needs.
    let j = i + 1;
    while (j < text.length && /[0-9A-Fa-f]/.test(text[j]!)) j++;
    const hex = text.slice(i + 1, j);
    if (hex === "" || hex.length % 2 !== 0) return { ok: false, error: `invalid hex value at position ${i}` };
    while (text[j] === " ") j++;
    if (j < text.length && !",;+".includes(text[j]!)) return { ok: false, error: `unexpected ${JSON.stringify(text[j])} after hex value` };
    return { ok: true, value: `#${hex}`, end: j };
  }
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let trailingSpaces = 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === "," || c === ";" || c === "+") break;
    if (c === "\\") {
      const pair = text.slice(i + 1, i + 3);
      if (HEX2.test(pair)) {
        bytes.push(parseInt(pair, 16));
        i += 2;
      } else if (i + 1 < text.length) {
        bytes.push(...encoder.encode(text[i + 1]!));
        i += 1;
      } else {
        return { ok: false, error: "ends with an incomplete escape" };
      }
      trailingSpaces = 0;
      continue;
    }
    if (c === '"') return { ok: false, error: `unescaped '"' at position ${i}` };
    trailingSpaces = c === " " ? trailingSpaces + 1 : 0;
    bytes.push(...encoder.encode(c));
  }
  const kept = bytes.slice(0, bytes.length - trailingSpaces);
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(kept)), end: i };
  } catch {
    return { ok: false, error: "contains an escaped byte sequence that is not UTF-8" };
  }
}
