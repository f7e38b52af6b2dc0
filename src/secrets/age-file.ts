// The age v1 file format (c2sp.org/age, "Encrypted file format"): a text
// header that wraps a 16-byte file key once per recipient and ends in an
// HMAC, then the payload in 64 KiB ChaCha20-Poly1305 chunks (STREAM). The
// recipient types themselves live beside this (age-x25519.ts).
import { timingSafeEqual } from "node:crypto";
import { aeadOpen, aeadSeal, hkdf, hmac, rawBase64, rawBase64Decode } from "./age-primitives.ts";
import type { Stanza } from "./age-x25519.ts";
import { freshRandomBytes } from "./random-pool.ts";

const VERSION_LINE = "age-encryption.org/v1";
const FILE_KEY_BYTES = 16;
const NONCE_BYTES = 16;
const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const COLUMNS = 64;
const MAC_BYTES = 32;

export class AgeFormatError extends Error {}

function stanzaText(stanza: Stanza): string {
  const b64 = rawBase64(stanza.body);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  // The body ends with a line shorter than 64 columns, empty if need be.
  if (b64.length % COLUMNS === 0) lines.push("");
  return `-> ${stanza.args.join(" ")}\n${lines.join("\n")}\n`;
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** An age file of `payload`, its file key wrapped by `wrap` (one stanza per recipient). */
export function encryptAgeFile(payload: Uint8Array, wrap: (fileKey: Buffer) => Stanza[]): Buffer {
  const fileKey = freshRandomBytes(FILE_KEY_BYTES);
  try {
    const stanzas = wrap(fileKey);
    if (stanzas.length === 0) throw new AgeFormatError("an age file needs at least one recipient");
    const head = Buffer.from(`${VERSION_LINE}\n${stanzas.map(stanzaText).join("")}---`, "latin1");
    const mac = hmac(hkdf(fileKey, Buffer.alloc(0), "header"), head);
    const nonce = freshRandomBytes(NONCE_BYTES);
    const key = hkdf(fileKey, nonce, "payload");
    const parts: Buffer[] = [head, Buffer.from(` ${rawBase64(mac)}\n`, "latin1"), nonce];
    const chunks = Math.max(1, Math.ceil(payload.length / CHUNK_BYTES));
    for (let i = 0; i < chunks; i++) {
      parts.push(aeadSeal(key, payload.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES), chunkNonce(i, i === chunks - 1)));
    }
    return Buffer.concat(parts);
  } finally {
    fileKey.fill(0);
  }
}

interface Header {
  stanzas: Stanza[];
  /** The header up to and including `---`: what the MAC covers. */
  authenticated: Buffer;
  mac: Buffer;
  payloadOffset: number;
}

const ARGUMENT = /^[\x21-\x7e]+$/;

function parseHeader(file: Buffer): Header {
  let pos = 0;
  const line = (): string => {
    const end = file.indexOf(0x0a, pos);
    if (end < 0) throw new AgeFormatError("the age header is cut short");
    const text = file.toString("latin1", pos, end);
    pos = end + 1;
    return text;
  };
  if (line() !== VERSION_LINE) throw new AgeFormatError("not an age v1 file");
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = pos;
    const text = line();
    if (text.startsWith("--- ")) {
      const mac = rawBase64Decode(text.slice(4));
      if (!mac || mac.length !== MAC_BYTES) throw new AgeFormatError("malformed age header MAC");
      if (stanzas.length === 0) throw new AgeFormatError("the age header has no recipient stanza");
      return { stanzas, authenticated: file.subarray(0, start + 3), mac, payloadOffset: pos };
    }
    if (!text.startsWith("-> ")) throw new AgeFormatError("malformed age header line");
    const args = text.slice(3).split(" ");
    if (!args.every((a) => ARGUMENT.test(a))) throw new AgeFormatError("malformed age stanza arguments");
    let b64 = "";
    for (;;) {
      const bodyLine = line();
      if (bodyLine.length > COLUMNS) throw new AgeFormatError("malformed age stanza body");
      b64 += bodyLine;
      if (bodyLine.length < COLUMNS) break;
    }
    const body = rawBase64Decode(b64);
    if (!body) throw new AgeFormatError("malformed age stanza body");
    stanzas.push({ args, body });
  }
}

function decryptPayload(file: Buffer, offset: number, fileKey: Buffer): Buffer {
  const nonce = file.subarray(offset, offset + NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new AgeFormatError("the age payload is cut short");
  const key = hkdf(fileKey, nonce, "payload");
  const out: Buffer[] = [];
  let pos = offset + NONCE_BYTES;
  for (let counter = 0; ; counter++) {
    const last = file.length - pos <= CHUNK_BYTES + TAG_BYTES;
    const end = last ? file.length : pos + CHUNK_BYTES + TAG_BYTES;
    const chunk = aeadOpen(key, file.subarray(pos, end), chunkNonce(counter, last));
    if (!chunk) throw new AgeFormatError("the age payload does not authenticate");
    if (last && chunk.length === 0 && counter > 0) throw new AgeFormatError("the age payload ends in an empty chunk");
    out.push(chunk);
    if (last) return Buffer.concat(out);
    pos = end;
  }
}

/**
 * The payload, or undefined when `unwrap` finds no stanza it can open. A
 * file key that opens a stanza but not the header MAC, or a payload that
 * does not authenticate, is an error: the file was tampered with.
 */
export function decryptAgeFile(file: Buffer, unwrap: (stanzas: readonly Stanza[]) => Buffer | undefined): Buffer | undefined {
  const header = parseHeader(file);
  const fileKey = unwrap(header.stanzas);
  if (!fileKey) return undefined;
  try {
    if (fileKey.length !== FILE_KEY_BYTES) throw new AgeFormatError("the file key is not 16 bytes");
    const expected = hmac(hkdf(fileKey, Buffer.alloc(0), "header"), header.authenticated);
    if (!timingSafeEqual(expected, header.mac)) throw new AgeFormatError("the age header MAC does not match");
    return decryptPayload(file, header.payloadOffset, fileKey);
  } finally {
    fileKey.fill(0);
  }
}
