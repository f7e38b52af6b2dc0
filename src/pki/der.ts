// Just enough DER reading to walk a certificate. @peculiar/x509 parses whole
// certificates eagerly and throws on SAN entries it has no string form for
// (an otherName other than UPN/GUID, an x400Address), and cert-manager's
// `otherNames` puts exactly those in certificates we must still read. So we
// read the few fields we need ourselves and skip what we do not understand.
import { pkiError, PkiErrorCode } from "./errors.ts";

export interface Tlv {
  /** The identifier octet: class, constructed bit and tag number. */
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  /** The content octets. */
  value: Buffer;
}

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Oid: 0x06,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
} as const;

function malformed(what: string): never {
  throw pkiError(PkiErrorCode.InvalidCertificate, `malformed DER: ${what}`);
}

/** The element starting at `offset`; `end` is where the next one starts. */
export function readTlv(buf: Buffer, offset = 0): Tlv & { end: number } {
  if (offset + 2 > buf.length) malformed("truncated header");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) malformed("high tag numbers are not used in X.509");
  let length = buf[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) malformed("indefinite length");
    if (octets > 4 || offset + 2 + octets > buf.length) malformed("length too long");
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + buf[offset + 2 + i]!;
    header += octets;
  }
  const end = offset + header + length;
  if (end > buf.length) malformed("truncated content");
  return { tag, raw: buf.subarray(offset, end), value: buf.subarray(offset + header, end), end };
}

/** Exactly one element filling `buf`. */
export function readOne(buf: Buffer): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.end !== buf.length) malformed("trailing data");
  return tlv;
}

export function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < tlv.value.length; ) {
    const child = readTlv(tlv.value, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function decodeOid(value: Buffer): string {
  if (value.length === 0) malformed("empty OID");
  const arcs: number[] = [];
  let n = 0;
  for (const byte of value) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(n);
      n = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join(".");
}

/** UTCTime or GeneralizedTime, as RFC 5280 §4.1.2.5 restricts them. */
export function decodeTime(tlv: Tlv): Date {
  const text = tlv.value.toString("latin1");
  let m: RegExpExecArray | null;
  if (tlv.tag === Tag.UtcTime && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    return utc(yy < 50 ? 2000 + yy : 1900 + yy, m.slice(2));
  }
  if (tlv.tag === Tag.GeneralizedTime && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text))) {
    return utc(Number(m[1]), m.slice(2));
  }
  return malformed("time");
}

function utc(year: number, rest: string[]): Date {
  const [mo, d, h, mi, s] = rest.map(Number) as [number, number, number, number, number];
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

/** The magnitude of a DER INTEGER as lowercase hex, without the sign octet. */
export function integerHex(value: Buffer): string {
  let v = value;
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  return v.toString("hex");
}
