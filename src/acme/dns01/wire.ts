// The pieces of DNS wire format that dns-packet leaves out and RFC 2136 /
// RFC 8945 need byte-exact: names in canonical form (TSIG digests them),
// resource records of class NONE and ANY (RFC 2136 §2.5 deletes, the TSIG RR
// itself), and finding where a message's last record starts (to take the
// TSIG RR off a response before checking its MAC). dns-packet never
// compresses names, so messages it encodes and buffers built here concatenate
// safely.

export const CLASS_IN = 1;
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;

export const TYPE_SOA = 6;
export const TYPE_TXT = 16;
export const TYPE_TSIG = 250;

export const OPCODE_UPDATE = 5;

/** `example.com` / `Example.COM.` → `example.com.` (the root stays `.`). */
export function absoluteName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "" || trimmed === ".") return ".";
  return trimmed.endsWith(".") ? trimmed : `${trimmed}.`;
}

/** Lower-case, absolute: the form names are compared in. */
export function canonicalName(name: string): string {
  return absoluteName(name).toLowerCase();
}

/** `a.b.example.com.` → `b.example.com.`; the root has no parent. */
export function parentName(name: string): string | undefined {
  const abs = absoluteName(name);
  if (abs === ".") return undefined;
  const dot = abs.indexOf(".");
  const rest = abs.slice(dot + 1);
  return rest === "" ? "." : rest;
}

/** True when `name` is `zone` or below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  return z === "." || n === z || n.endsWith(`.${z}`);
}

/** Uncompressed wire form of a name; `canonical` lower-cases it (RFC 4034 §6.2). */
export function encodeName(name: string, canonical = false): Buffer {
  const abs = canonical ? canonicalName(name) : absoluteName(name);
  if (abs === ".") return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const label of abs.slice(0, -1).split(".")) {
    const bytes = Buffer.from(label, "utf8");
    if (bytes.length === 0 || bytes.length > 63) {
      throw new Error(`invalid DNS name ${JSON.stringify(name)}: every label must be 1 to 63 bytes`);
    }
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new Error(`invalid DNS name ${JSON.stringify(name)}: longer than 255 bytes`);
  return wire;
}

/** TXT RDATA: the value as character-strings of at most 255 bytes each. */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

export interface WireRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
}

export function encodeRecord(rr: WireRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(rr.class, 2);
  fixed.writeUInt32BE(rr.ttl >>> 0, 4);
  fixed.writeUInt16BE(rr.rdata.length, 8);
  return Buffer.concat([encodeName(rr.name), fixed, rr.rdata]);
}

export interface MessageHeader {
  id: number;
  /** The 16 flag bits: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE. */
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function encodeHeader(h: MessageHeader): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt16BE(h.id, 0);
  buf.writeUInt16BE(h.flags, 2);
  buf.writeUInt16BE(h.qdcount, 4);
  buf.writeUInt16BE(h.ancount, 6);
  buf.writeUInt16BE(h.nscount, 8);
  buf.writeUInt16BE(h.arcount, 10);
  return buf;
}

export function readHeader(msg: Buffer): MessageHeader {
  if (msg.length < 12) throw new Error(`DNS message of ${msg.length} bytes is shorter than its header`);
  return {
    id: msg.readUInt16BE(0),
    flags: msg.readUInt16BE(2),
    qdcount: msg.readUInt16BE(4),
    ancount: msg.readUInt16BE(6),
    nscount: msg.readUInt16BE(8),
    arcount: msg.readUInt16BE(10),
  };
}

/** Reads a possibly compressed name; returns it and the offset just past it. */
export function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  // A pointer must go backwards, so following at most 128 of them is safe
  // against loops in a hostile message.
  for (let hops = 0; hops < 128; hops++) {
    const len = msg[pos];
    if (len === undefined) throw new Error("DNS name runs past the end of the message");
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.length ? `${labels.join(".")}.` : ".", next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new Error("DNS name pointer runs past the end of the message");
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | msg[pos + 1]!;
      continue;
    }
    if (pos + 1 + len > msg.length) throw new Error("DNS label runs past the end of the message");
    labels.push(msg.toString("latin1", pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error("DNS name has too many compression pointers");
}

/** Offset of the start of every resource record after the question section. */
export function recordOffsets(msg: Buffer): number[] {
  const h = readHeader(msg);
  let pos = 12;
  for (let i = 0; i < h.qdcount; i++) pos = readName(msg, pos).next + 4;
  const offsets: number[] = [];
  const total = h.ancount + h.nscount + h.arcount;
  for (let i = 0; i < total; i++) {
    offsets.push(pos);
    const afterName = readName(msg, pos).next;
    if (afterName + 10 > msg.length) throw new Error("DNS record runs past the end of the message");
    pos = afterName + 10 + msg.readUInt16BE(afterName + 8);
  }
  if (pos > msg.length) throw new Error("DNS record runs past the end of the message");
  return offsets;
}

export const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
  16: "BADSIG",
  17: "BADKEY",
  18: "BADTIME",
  19: "BADMODE",
  20: "BADNAME",
  21: "BADALG",
  22: "BADTRUNC",
  23: "BADCOOKIE",
};

export function rcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

export function rcodeOf(msg: Buffer): number {
  return readHeader(msg).flags & 0x0f;
}
