// IP SANs the way Go writes and prints them, because cert-manager's
// `ip-sans` annotation and its comparisons use Go's net.IP: an IPv4-mapped
// IPv6 address is written as 4 octets, and IPv6 prints in RFC 5952 form.
import { isIPv4, isIPv6 } from "node:net";
import { pkiError, PkiErrorCode } from "./errors.ts";

export function ipToBytes(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split(".").map(Number));
  if (!isIPv6(text) || text.includes("%")) {
    throw pkiError(PkiErrorCode.InvalidIPAddress, `"${text}" is not an IP address`);
  }
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    v4 = text.slice(lastColon + 1).split(".").map(Number);
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const [left = "", right] = head.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill("0"), ...r];
  const bytes = Buffer.alloc(16);
  all.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  if (v4.length === 4) Buffer.from(v4).copy(bytes, 12);
  return isV4Mapped(bytes) ? bytes.subarray(12) : bytes;
}

function isV4Mapped(b: Buffer): boolean {
  return b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

export function ipToString(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  if (b.length === 4) return [...b].join(".");
  if (b.length !== 16) return `?${b.toString("hex")}`;
  if (isV4Mapped(b)) return [...b.subarray(12)].join(".");
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The form @peculiar/x509's own IP parser reads: dotted quad or eight groups. */
export function ipForX509Library(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(":");
}
