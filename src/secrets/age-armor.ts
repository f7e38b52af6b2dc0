// age's ASCII armor (c2sp.org/age, "ASCII armor"): strict PEM, label
// "AGE ENCRYPTED FILE", padded standard base64 in 64-column lines. Strict on
// the way in, as Go's armor reader is: an armored file is malleable unless
// everything but surrounding whitespace is refused.

const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const END = "-----END AGE ENCRYPTED FILE-----";
const COLUMNS = 64;
const LINE = /^[A-Za-z0-9+/]*={0,2}$/;

export class ArmorError extends Error {}

export function armorEncode(file: Uint8Array): string {
  const b64 = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString("base64");
  const lines: string[] = [BEGIN];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  lines.push(END);
  return lines.join("\n") + "\n";
}

export function armorDecode(text: string): Buffer {
  const lines = text.trim().split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.length < 3 || lines[0] !== BEGIN || lines.at(-1) !== END) throw new ArmorError("not an armored age file");
  const body = lines.slice(1, -1);
  for (const [i, line] of body.entries()) {
    const last = i === body.length - 1;
    if (!LINE.test(line) || line.length === 0 || line.length > COLUMNS || (!last && (line.length !== COLUMNS || line.includes("=")))) {
      throw new ArmorError("malformed armor line");
    }
  }
  const b64 = body.join("");
  if (b64.length % 4 !== 0) throw new ArmorError("armor is not padded base64");
  const bytes = Buffer.from(b64, "base64");
  // Non-canonical base64 (stray bits in the last character) decodes too: refuse it.
  if (bytes.toString("base64") !== b64) throw new ArmorError("armor is not canonical base64");
  return bytes;
}
