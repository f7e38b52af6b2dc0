// age identities the way sops finds them: SOPS_AGE_KEY holds keys inline,
// SOPS_AGE_KEY_FILE names a keys.txt; one AGE-SECRET-KEY- per line, `#`
// comments allowed (age-keygen writes "# created:" and "# public key:").
import { readFile } from "node:fs/promises";
import { generateX25519, parseX25519Identity } from "./age-x25519.ts";
import { secretsError } from "./errors.ts";

/**
 * X25519 identities are read here; other kinds (post-quantum) by the
 * age-encryption package, loaded only when one shows up.
 */
async function toRecipient(identity: string): Promise<string> {
  const x25519 = parseX25519Identity(identity);
  if (x25519) return x25519.recipient;
  const { identityToRecipient } = await import("age-encryption");
  return identityToRecipient(identity);
}

/** Identities in a keys.txt-style text. Lines are reported by number, never by content. */
export function parseAgeIdentities(text: string): string[] {
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!line.startsWith("AGE-SECRET-KEY-")) {
      throw secretsError("SopsInvalidIdentity", `line ${i + 1} is not an age identity (expected AGE-SECRET-KEY-…)`);
    }
    identities.push(line);
  }
  return identities;
}

/** The recipient (public key) of an identity. */
export async function recipientOf(identity: string): Promise<string> {
  try {
    return await toRecipient(identity);
  } catch {
    throw secretsError("SopsInvalidIdentity", "not a valid age identity (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)");
  }
}

async function validated(identities: string[], origin: string): Promise<string[]> {
  for (const [i, id] of identities.entries()) {
    try {
      await toRecipient(id);
    } catch {
      throw secretsError("SopsInvalidIdentity", `${origin}: identity #${i + 1} is not a valid age identity`);
    }
  }
  return identities;
}

/**
 * Identities from SOPS_AGE_KEY and SOPS_AGE_KEY_FILE, both when both are
 * set, duplicates dropped. Unlike sops there is no fallback to
 * ~/.config/sops/age/keys.txt: a sidecar gets its key from its environment.
 */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv): Promise<string[]> {
  const found: string[] = [];
  const inline = env["SOPS_AGE_KEY"];
  if (inline) found.push(...(await validated(parseAgeIdentities(inline), "SOPS_AGE_KEY")));
  const file = env["SOPS_AGE_KEY_FILE"];
  if (file) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw secretsError("SopsAgeKeyFileUnreadable", `cannot read SOPS_AGE_KEY_FILE ${file}: ${code}`);
    }
    found.push(...(await validated(parseAgeIdentities(text), `SOPS_AGE_KEY_FILE ${file}`)));
  }
  return [...new Set(found)];
}

/**
 * A new X25519 identity. Not the post-quantum kind: sops reads `age1pq1…`
 * recipients only from 3.13 on, and Flux releases vendor older sops.
 */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  return generateX25519();
}
