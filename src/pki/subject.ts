// Subject distinguished names. Built the way cert-manager builds them so the
// bytes agree: from `literalSubject` as an RFC 4514 string (go-ldap's
// ParseDN, then the RDNs reversed, since the string form lists the most
// specific RDN first), otherwise from commonName + subject in the order of
// Go's pkix.Name.ToRDNSequence. Values are PrintableString when they fit and
// UTF8String otherwise, as Go's encoding/asn1 chooses.
import type { CertificateSpec, X509Subject } from "../manifests/types.ts";
import { children, decodeOid, readOne, Tag, type Tlv } from "./der.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { x509 } from "./x509.ts";

export const Oid = {
  commonName: "2.5.4.3",
  serialNumber: "2.5.4.5",
  country: "2.5.4.6",
  locality: "2.5.4.7",
  province: "2.5.4.8",
  streetAddress: "2.5.4.9",
  organization: "2.5.4.10",
  organizationalUnit: "2.5.4.11",
  postalCode: "2.5.4.17",
  domainComponent: "0.9.2342.19200300.100.1.25",
  userId: "0.9.2342.19200300.100.1.1",
} as const;

/** The attribute type names cert-manager's literalSubject accepts (pkg/util/pki/subject.go). */
const LITERAL_TYPES: Readonly<Record<string, string>> = {
  C: Oid.country,
  O: Oid.organization,
  OU: Oid.organizationalUnit,
  CN: Oid.commonName,
  SERIALNUMBER: Oid.serialNumber,
  L: Oid.locality,
  ST: Oid.province,
  STREET: Oid.streetAddress,
  DC: Oid.domainComponent,
  UID: Oid.userId,
  // Not in cert-manager's table, but Go's pkix prints it and users copy that.
  POSTALCODE: Oid.postalCode,
};

export interface Attribute {
  type: string;
  /** A string, or for `#hex` literal values the DER of the value, kept as given. */
  value: string | Buffer;
}
export type Rdn = Attribute[];

/** The subject a spec asks for, RDNs in certificate (DER) order. */
export function subjectRdns(spec: Pick<CertificateSpec, "commonName" | "literalSubject" | "subject">): Rdn[] {
  if (spec.literalSubject !== undefined && spec.literalSubject.trim() !== "") {
    return parseLiteralSubject(spec.literalSubject);
  }
  const s: X509Subject = spec.subject ?? {};
  const rdns: Rdn[] = [];
  const add = (type: string, values: readonly string[] | undefined) => {
    for (const value of values ?? []) rdns.push([{ type, value }]);
  };
  add(Oid.country, s.countries);
  add(Oid.province, s.provinces);
  add(Oid.locality, s.localities);
  add(Oid.streetAddress, s.streetAddresses);
  add(Oid.postalCode, s.postalCodes);
  add(Oid.organization, s.organizations);
  add(Oid.organizationalUnit, s.organizationalUnits);
  if (spec.commonName) add(Oid.commonName, [spec.commonName]);
  if (s.serialNumber) add(Oid.serialNumber, [s.serialNumber]);
  return rdns;
}

/** The first CN, as cert-manager's ExtractCommonNameFromRDNSequence. */
export function commonNameOf(rdns: readonly Rdn[]): string | undefined {
  for (const rdn of rdns) {
    for (const a of rdn) if (a.type === Oid.commonName && typeof a.value === "string") return a.value;
  }
  return undefined;
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function toX509Name(rdns: readonly Rdn[]): x509.Name {
  const json = rdns.map((rdn) => {
    const entry: Record<string, (string | x509.JsonAttributeObject)[]> = {};
    for (const { type, value } of rdn) {
      const v =
        typeof value === "string"
          ? PRINTABLE.test(value)
            ? { printableString: value }
            : { utf8String: value }
          : `#${value.toString("hex")}`;
      (entry[type] ??= []).push(v);
    }
    return entry;
  });
  return new x509.Name(json as x509.JsonNameParams);
}

// ---- RFC 4514 parsing, following go-ldap v3 ParseDN -------------------------

function invalid(message: string): never {
  throw pkiError(PkiErrorCode.InvalidLiteralSubject, `literalSubject: ${message}`);
}

export function parseLiteralSubject(text: string): Rdn[] {
  if (text.trim() === "") return [];
  const rdns: Rdn[] = [];
  let rdn: Rdn = [];
  let type: string | undefined;
  let start = 0;
  let escaping = false;
  const finishAttribute = (end: number) => {
    if (type === undefined) invalid("incomplete type=value pair");
    rdn.push({ type, value: decodeValue(text.slice(start, end)) });
    type = undefined;
    start = end + 1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (escaping) escaping = false;
    else if (c === "\\") escaping = true;
    else if (c === "=" && type === undefined) {
      type = attributeType(text.slice(start, i));
      start = i + 1;
    } else if (c === "," || c === ";" || c === "+") {
      finishAttribute(i);
      if (c !== "+") {
        rdns.push(rdn);
        rdn = [];
      }
    }
  }
  finishAttribute(text.length);
  rdns.push(rdn);
  return rdns.reverse();
}

function attributeType(raw: string): string {
  const name = unescape(raw);
  const oid = LITERAL_TYPES[name.toUpperCase()];
  if (oid) return oid;
  if (/^\d+(\.\d+)+$/.test(name)) return name;
  return invalid(`unknown attribute type ${JSON.stringify(name)}`);
}

function decodeValue(raw: string): string | Buffer {
  const trimmed = raw.replace(/^ +/, "");
  if (trimmed.startsWith("#")) {
    const hex = trimmed.slice(1).trimEnd();
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) invalid("a #-value must be hex of a BER-encoded value");
    const der = Buffer.from(hex, "hex");
    try {
      readOne(der);
    } catch {
      invalid("a #-value must be hex of exactly one BER-encoded value");
    }
    return der;
  }
  return unescape(raw);
}

/** Trim unescaped outer spaces, then resolve `\c` and `\XX` escapes. */
function unescape(raw: string): string {
  let s = raw.replace(/^ +/, "");
  const trimmedEnd = s.replace(/ +$/, "");
  if (trimmedEnd.length < s.length) {
    let backslashes = 0;
    for (let i = trimmedEnd.length - 1; i >= 0 && trimmedEnd[i] === "\\"; i--) backslashes++;
    s = backslashes % 2 === 1 ? `${trimmedEnd} ` : trimmedEnd;
  }
  const bytes: number[] = [];
  const pushText = (t: string) => bytes.push(...Buffer.from(t, "utf8"));
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      if (c === '"' || c === ";" || c === "<" || c === ">" || c === "\0") {
        invalid(`unescaped ${JSON.stringify(c)}`);
      }
      pushText(c);
      continue;
    }
    const next = s[i + 1];
    if (next === undefined) invalid("dangling escape at the end of a value");
    if (' "#+,;<=>\\'.includes(next)) {
      pushText(next);
      i++;
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) invalid(`bad escape \\${hex}`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return invalid("escaped bytes are not valid UTF-8");
  }
}

// ---- reading a Name back ----------------------------------------------------

const STRING_DECODERS: Readonly<Record<number, (b: Buffer) => string>> = {
  0x0c: (b) => b.toString("utf8"), // UTF8String
  0x12: (b) => b.toString("latin1"), // NumericString
  0x13: (b) => b.toString("latin1"), // PrintableString
  0x14: (b) => b.toString("latin1"), // TeletexString, read as Latin-1 like Go does
  0x16: (b) => b.toString("latin1"), // IA5String
  0x1e: (b) => Buffer.from(b).swap16().toString("utf16le"), // BMPString
};

/** Every string-valued attribute of a DER Name, in order. */
export function readName(der: Buffer): Attribute[] {
  const out: Attribute[] = [];
  const name: Tlv = readOne(der);
  for (const set of children(name)) {
    for (const atv of children(set)) {
      const [type, value] = children(atv);
      if (type?.tag !== Tag.Oid || !value) continue;
      const decode = STRING_DECODERS[value.tag];
      if (decode) out.push({ type: decodeOid(type.value), value: decode(value.value) });
    }
  }
  return out;
}

/**
 * Subject fields as Go's pkix.Name.FillFromRDNSequence collects them, which
 * is what cert-manager's `subject-*` and `common-name` annotations show:
 * multi-valued fields in order, single-valued ones the last occurrence.
 */
export function subjectFields(attrs: readonly Attribute[]): { commonName?: string; subject: X509Subject } {
  const subject: X509Subject = {};
  let commonName: string | undefined;
  const push = (key: Exclude<keyof X509Subject, "serialNumber">, v: string) => (subject[key] ??= []).push(v);
  for (const { type, value } of attrs) {
    if (typeof value !== "string") continue;
    switch (type) {
      case Oid.commonName: commonName = value; break;
      case Oid.serialNumber: subject.serialNumber = value; break;
      case Oid.country: push("countries", value); break;
      case Oid.province: push("provinces", value); break;
      case Oid.locality: push("localities", value); break;
      case Oid.streetAddress: push("streetAddresses", value); break;
      case Oid.postalCode: push("postalCodes", value); break;
      case Oid.organization: push("organizations", value); break;
      case Oid.organizationalUnit: push("organizationalUnits", value); break;
    }
  }
  return commonName === undefined ? { subject } : { commonName, subject };
}

