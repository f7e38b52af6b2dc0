// A plain DNS question to one server, decoded with dns-packet: UDP first and
// TCP when the answer comes back truncated (RFC 7766), or TCP only if asked.
import { randomInt } from "node:crypto";
import { decode, encode, RECURSION_DESIRED } from "dns-packet";
import type { Answer, DecodedPacket, RecordType } from "dns-packet";
import { exchange } from "./transport.ts";
import type { DnsProtocol, DnsServer } from "./transport.ts";
import { canonicalName, rcodeName, rcodeOf } from "./wire.ts";

export interface DnsResponse {
  rcode: string;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

export interface QueryOptions {
  /** Set RD: ask a recursive resolver to resolve. Authoritative servers ignore it. */
  recursionDesired: boolean;
  timeoutMs: number;
  protocol?: DnsProtocol;
}

export async function query(server: DnsServer, name: string, type: RecordType, options: QueryOptions): Promise<DnsResponse> {
  const message = encode({
    type: "query",
    id: randomInt(0, 0x10000),
    flags: options.recursionDesired ? RECURSION_DESIRED : 0,
    questions: [{ type, name: canonicalName(name).replace(/\.$/, "") || ".", class: "IN" }],
  });
  let raw = await exchange(server, message, options.protocol ?? "udp", options.timeoutMs);
  let packet: DecodedPacket = decode(raw);
  if (packet.flag_tc && options.protocol !== "tcp") {
    raw = await exchange(server, message, "tcp", options.timeoutMs);
    packet = decode(raw);
  }
  return {
    rcode: rcodeName(rcodeOf(raw)),
    authoritative: packet.flag_aa,
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: packet.additionals ?? [],
  };
}

/** The data of a record whose data is a name or an address (NS, CNAME, A, AAAA). */
export function nameData(record: Answer): string {
  return "data" in record ? String(record.data) : "";
}

/** TXT record data as strings, each record's character-strings joined (RFC 8555 values are one string). */
export function txtValues(answers: Answer[], owner: string): string[] {
  const want = canonicalName(owner);
  const values: string[] = [];
  for (const a of answers) {
    if (a.type !== "TXT" || canonicalName(a.name) !== want) continue;
    const parts = Array.isArray(a.data) ? a.data : [a.data];
    values.push(parts.map((p) => (typeof p === "string" ? p : p.toString("utf8"))).join(""));
  }
  return values;
}
