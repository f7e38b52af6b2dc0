// DNS-01 through a DNS UPDATE (RFC 2136) to the primary server, signed with
// TSIG (RFC 8945): BIND, Knot, PowerDNS, Windows DNS. The config block is
// cert-manager's rfc2136 solver (schema.ts).
//
// Present adds `fqdn 60 IN TXT value`; cleanup deletes that one RR (class
// NONE, RFC 2136 §2.5.4), so a second value at the same name (a wildcard and
// its apex in one order) is left alone. Both are idempotent on the server.
import { randomInt } from "node:crypto";
import { GitcertError } from "../../../../diagnostics.ts";
import type { SecretKeySelector } from "../../../../schema/index.ts";
import { readTsig, signMessage, verifyResponse } from "./tsig.ts";
import type { TsigKey } from "./tsig.ts";
import { exchange, formatServer } from "../../transport.ts";
import type { Dns01Context, Dns01Provider, Dns01Record } from "../../types.ts";
import { rfc2136Schema, type Rfc2136Config } from "./schema.ts";
import {
  CLASS_IN,
  CLASS_NONE,
  OPCODE_UPDATE,
  TYPE_SOA,
  TYPE_TXT,
  canonicalName,
  encodeHeader,
  encodeName,
  encodeRecord,
  isInZone,
  rcodeName,
  rcodeOf,
  txtRdata,
} from "../../wire.ts";
import type { WireRecord } from "../../wire.ts";
import { findZone } from "../../zone.ts";

/** cert-manager's TTL for the challenge record. */
const TXT_TTL = 60;

/** RFC 2136 §2: zone section = the zone's SOA question, no prerequisites, one update RR. */
export function buildUpdate(zone: string, update: WireRecord, id = randomInt(0, 0x10000)): Buffer {
  const zoneSection = Buffer.alloc(4);
  zoneSection.writeUInt16BE(TYPE_SOA, 0);
  zoneSection.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([
    encodeHeader({ id, flags: OPCODE_UPDATE << 11, qdcount: 1, ancount: 0, nscount: 1, arcount: 0 }),
    encodeName(zone),
    zoneSection,
    encodeRecord(update),
  ]);
}

async function readTsigSecret(ctx: Dns01Context<Rfc2136Config>, ref: SecretKeySelector): Promise<Buffer> {
  const text = (await ctx.readSecretKey(ref)).toString("utf8").replace(/\s+/g, "");
  if (text === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new GitcertError(
      "Dns01InvalidCredential",
      `tsigSecretSecretRef: Secret ${ref.name} key ${ref.key} is not a base64 TSIG secret (as in BIND's secret "…"; statement)`,
    );
  }
  return Buffer.from(text, "base64");
}

/** What each refusal usually means, so the diagnostic says what to fix. */
const HINTS: Readonly<Record<string, string>> = {
  BADSIG: "the server computed a different MAC: the TSIG secret does not match the server's copy of the key",
  BADKEY: "the server does not know this key name with this algorithm: check tsigKeyName and tsigAlgorithm against the server's key statement",
  BADTIME: "the clocks of gitcert and the server differ by more than 300 s",
  REFUSED: "the server does not allow this update: check allow-update / update-policy for this key and zone, and that the server is the zone's primary",
  NOTAUTH: "the server is not authoritative for the zone (wrong nameserver or zone?)",
  NOTZONE: "the record's name is not inside the zone given",
  SERVFAIL: "the server failed to apply the update: see its log",
  FORMERR: "the server could not parse the update",
  NOTIMP: "the server does not implement DNS UPDATE",
};

function refusal(rcode: string, tsigError: string | undefined): string {
  const code = tsigError ? `${rcode} (TSIG error ${tsigError})` : rcode;
  const hint = HINTS[tsigError ?? rcode];
  return hint ? `${code}: ${hint}` : code;
}

async function change(action: "add" | "delete", record: Dns01Record, ctx: Dns01Context<Rfc2136Config>, timeoutMs: number): Promise<void> {
  const { server, protocol, tsig } = ctx.config;
  const fqdn = canonicalName(record.fqdn);
  const where = formatServer(server);

  const zone = ctx.config.zone ?? (await findZone(fqdn, server, { recursionDesired: false, timeoutMs, protocol }));
  if (!isInZone(fqdn, zone)) {
    throw new GitcertError("Dns01InvalidConfig", `rfc2136: ${fqdn} is not inside zone ${zone}`);
  }
  const key: TsigKey | undefined = tsig
    ? { name: tsig.keyName, algorithm: tsig.algorithm, secret: await readTsigSecret(ctx, tsig.secretRef) }
    : undefined;

  const rr: WireRecord =
    action === "add"
      ? { name: fqdn, type: TYPE_TXT, class: CLASS_IN, ttl: TXT_TTL, rdata: txtRdata(record.value) }
      : { name: fqdn, type: TYPE_TXT, class: CLASS_NONE, ttl: 0, rdata: txtRdata(record.value) };
  const unsigned = buildUpdate(zone, rr);
  const { signed, mac } = key ? signMessage(unsigned, key) : { signed: unsigned, mac: undefined };
  const what = `RFC 2136 update (${action} TXT ${fqdn} in zone ${zone}) at ${where}`;

  let response: Buffer;
  try {
    response = await exchange(server, signed, protocol, timeoutMs);
  } catch (err) {
    throw new GitcertError("Dns01UpdateFailed", `${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const rcode = rcodeName(rcodeOf(response));
  if (rcode !== "NOERROR") {
    let tsigError: string | undefined;
    try {
      const t = readTsig(response);
      if (t && t.error !== 0) tsigError = rcodeName(t.error);
    } catch {
      // A malformed TSIG on a refusal changes nothing about the refusal.
    }
    throw new GitcertError("Dns01UpdateRefused", `${what} was refused: ${refusal(rcode, tsigError)}`);
  }
  if (key && mac) {
    try {
      verifyResponse(response, mac, key);
    } catch (err) {
      throw new GitcertError(
        "Dns01UpdateUnverified",
        `${what}: the server answered NOERROR but ${err instanceof Error ? err.message : String(err)}; the change may or may not have been applied`,
      );
    }
  }
}

export interface Rfc2136Options {
  /** Per request: each SOA lookup and the update itself. */
  timeoutMs?: number;
}

export function createRfc2136Provider(options: Rfc2136Options = {}): Dns01Provider<Rfc2136Config> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: "rfc2136",
    schema: rfc2136Schema,
    secrets: (config) => (config.tsig ? [{ ref: config.tsig.secretRef, purpose: "TSIG secret", field: "tsigSecretSecretRef" }] : []),
    present: (record, ctx) => change("add", record, ctx, timeoutMs),
    cleanUp: (record, ctx) => change("delete", record, ctx, timeoutMs),
  };
}

export const rfc2136Provider = createRfc2136Provider();
