// PEM armour (RFC 7468): one block per BEGIN/END pair, text outside blocks
// ignored, so `openssl x509 -text` output and chains with comments both read.
// Normalizing means re-encoding the decoded bytes: LF line ends, 64-column
// base64, a trailing newline, exactly what Go's pem.Encode and openssl write.
import { pkiError, PkiErrorCode } from "./errors.ts";

export interface PemBlock {
  label: string;
  /** RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED`, kept as written. */
  headers: string[];
  der: Buffer;
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----\s*$/;
const END = /^-----END (.*)-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodePem(text: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]!.trim());
    if (!begin) continue;
    const label = begin[1] ?? "";
    const headers: string[] = [];
    let body = "";
    let j = i + 1;
    let inHeaders = true;
    for (; j < lines.length; j++) {
      const line = lines[j]!.trim();
      const end = END.exec(line);
      if (end) {
        if (end[1] !== label) {
          throw pkiError(PkiErrorCode.InvalidPEM, `PEM block "${label}" ends with "END ${end[1]}"`);
        }
        break;
      }
      if (BEGIN.test(line)) {
        throw pkiError(PkiErrorCode.InvalidPEM, `PEM block "${label}" has no END line`);
      }
      if (inHeaders && line.includes(":")) {
        headers.push(line);
        continue;
      }
      inHeaders = false;
      body += line;
    }
    if (j >= lines.length) {
      throw pkiError(PkiErrorCode.InvalidPEM, `PEM block "${label}" has no END line`);
    }
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) {
      throw pkiError(PkiErrorCode.InvalidPEM, `PEM block "${label}" is not valid base64`);
    }
    blocks.push({ label, headers, der: Buffer.from(body, "base64") });
    i = j;
  }
  return blocks;
}

export function encodePem(label: string, der: Uint8Array, headers: string[] = []): string {
  const b64 = Buffer.from(der).toString("base64");
  const body = b64.match(/.{1,64}/g)?.join("\n") ?? "";
  const head = headers.length > 0 ? `${headers.join("\n")}\n\n` : "";
  return `-----BEGIN ${label}-----\n${head}${body}\n-----END ${label}-----\n`;
}

/** Every PEM block in `text`, each normalized and ending in a newline. */
export function splitPem(text: string): string[] {
  return decodePem(text).map((b) => encodePem(b.label, b.der, b.headers));
}
