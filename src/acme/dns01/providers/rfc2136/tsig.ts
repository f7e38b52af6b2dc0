// TSIG (RFC 8945): sign a request and check the server's signature on the
// response. No npm package does this, and dns-packet treats the TSIG RR as
// opaque bytes, so the digest layout (§4.3.3) is built here byte by byte.
import { createHmac, timingSafeEqual } from "node:crypto";
import {
  CLASS_ANY,
  TYPE_TSIG,
  canonicalName,
  encodeName,
  encodeRecord,
  rcodeName,
  readHeader,
  readName,
  recordOffsets,
} from "../../wire.ts";

/** cert-manager's `tsigAlgorithm` names → wire name and node:crypto hash. */
export const TSIG_ALGORITHMS: Readonly<Record<string, { wireName: string; hash: string }>> = {
  HMACMD5: { wireName: "hmac-md5.sig-alg.reg.int.", hash: "md5" },
  HMACSHA1: { wireName: "hmac-sha1.", hash: "sha1" },
  HMACSHA256: { wireName: "hmac-sha256.", hash: "sha256" },
  HMACSHA512: { wireName: "hmac-sha512.", hash: "sha512" },
};

/** RFC 8945 §10 recommends 300 s; BIND and cert-manager use the same. */
const FUDGE_SECONDS = 300;

export interface TsigKey {
  /** The key's name as the server knows it, e.g. `gitcert-key.` */
  name: string;
  /** A key of TSIG_ALGORITHMS. */
  algorithm: string;
  secret: Buffer;
}

export interface TsigRecord {
  /** Offset of the TSIG RR in the message it was read from. */
  start: number;
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  /** 0, or a TSIG error such as 16 BADSIG, 17 BADKEY, 18 BADTIME. */
  error: number;
  otherData: Buffer;
}

function algorithmOf(key: TsigKey): { wireName: string; hash: string } {
  const alg = TSIG_ALGORITHMS[key.algorithm.toUpperCase()];
  if (!alg) throw new Error(`TSIG algorithm ${key.algorithm} is not supported`);
  return alg;
}

function uint48(value: number): Buffer {
  const buf = Buffer.alloc(6);
  buf.writeUIntBE(value, 0, 6);
  return buf;
}

function uint16(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(value, 0);
  return buf;
}

/** The "TSIG variables" of §4.3.3, digested after the message. */
function tsigVariables(keyName: string, algWireName: string, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS_ANY, 0);
  classTtl.writeUInt32BE(0, 2);
  return Buffer.concat([
    encodeName(keyName, true),
    classTtl,
    encodeName(algWireName, true),
    uint48(timeSigned),
    uint16(fudge),
    uint16(error),
    uint16(other.length),
    other,
  ]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const mac = createHmac(algorithmOf(key).hash, key.secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Appends a TSIG RR to `message` (which must not carry one) and returns the
 * signed message plus its MAC, which the response's MAC covers in turn.
 */
export function signMessage(message: Buffer, key: TsigKey, nowMs = Date.now()): { signed: Buffer; mac: Buffer } {
  const alg = algorithmOf(key);
  const timeSigned = Math.floor(nowMs / 1000);
  const mac = hmac(key, message, tsigVariables(key.name, alg.wireName, timeSigned, FUDGE_SECONDS, 0, Buffer.alloc(0)));
  const header = readHeader(message);
  const rdata = Buffer.concat([
    encodeName(alg.wireName, true),
    uint48(timeSigned),
    uint16(FUDGE_SECONDS),
    uint16(mac.length),
    mac,
    uint16(header.id),
    uint16(0),
    uint16(0),
  ]);
  const rr = encodeRecord({ name: canonicalName(key.name), type: TYPE_TSIG, class: CLASS_ANY, ttl: 0, rdata });
  const signed = Buffer.concat([message, rr]);
  signed.writeUInt16BE(header.arcount + 1, 10);
  return { signed, mac };
}

/** The TSIG RR of a message: the last additional record, when it is one. */
export function readTsig(message: Buffer): TsigRecord | undefined {
  const header = readHeader(message);
  if (header.arcount === 0) return undefined;
  const offsets = recordOffsets(message);
  const start = offsets[offsets.length - 1];
  if (start === undefined) return undefined;
  const owner = readName(message, start);
  if (message.readUInt16BE(owner.next) !== TYPE_TSIG) return undefined;
  let pos = owner.next + 10;
  const alg = readName(message, pos);
  pos = alg.next;
  const timeSigned = message.readUIntBE(pos, 6);
  const fudge = message.readUInt16BE(pos + 6);
  const macSize = message.readUInt16BE(pos + 8);
  pos += 10;
  const mac = message.subarray(pos, pos + macSize);
  pos += macSize;
  const originalId = message.readUInt16BE(pos);
  const error = message.readUInt16BE(pos + 2);
  const otherLen = message.readUInt16BE(pos + 4);
  const otherData = message.subarray(pos + 6, pos + 6 + otherLen);
  return { start, keyName: owner.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, otherData };
}

/**
 * Checks the server's TSIG on a response to a request signed with
 * `requestMac` (§5.3.2 on the client side). Throws with a reason naming the
 * failed check; never with key material.
 */
export function verifyResponse(response: Buffer, requestMac: Buffer, key: TsigKey, nowMs = Date.now()): void {
  const tsig = readTsig(response);
  if (!tsig) throw new Error("the response carries no TSIG record although the request was signed");
  if (tsig.error !== 0) throw new Error(`the server reported TSIG error ${rcodeName(tsig.error)}`);
  const alg = algorithmOf(key);
  if (canonicalName(tsig.keyName) !== canonicalName(key.name)) {
    throw new Error(`the response is signed with key ${tsig.keyName}, not ${canonicalName(key.name)}`);
  }
  if (canonicalName(tsig.algorithm) !== canonicalName(alg.wireName)) {
    throw new Error(`the response is signed with ${tsig.algorithm}, not ${alg.wireName}`);
  }
  const stripped = Buffer.from(response.subarray(0, tsig.start));
  stripped.writeUInt16BE(tsig.originalId, 0);
  stripped.writeUInt16BE(readHeader(response).arcount - 1, 10);
  const expected = hmac(
    key,
    uint16(requestMac.length),
    requestMac,
    stripped,
    tsigVariables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.otherData),
  );
  if (tsig.mac.length !== expected.length || !timingSafeEqual(tsig.mac, expected)) {
    throw new Error("the response's TSIG MAC does not verify (BADSIG)");
  }
  const skew = Math.abs(Math.floor(nowMs / 1000) - tsig.timeSigned);
  if (skew > tsig.fudge) throw new Error(`the response was signed ${skew} s away from this clock (BADTIME)`);
}
