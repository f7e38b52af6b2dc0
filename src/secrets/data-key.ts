// The data key, wrapped once per recipient (age/keysource.go): one armored
// age file per recipient, never one file for several, so that sops can list
// and rotate recipients independently. X25519 keys, the common case, go
// through our own age (age-file.ts, age-x25519.ts) on node:crypto; other
// recipient types (post-quantum, tagged) through the age-encryption package.
import type { Decrypter } from "age-encryption";
import { ArmorError, armorDecode, armorEncode } from "./age-armor.ts";
import { decryptAgeFile, encryptAgeFile } from "./age-file.ts";
import { recipientOf } from "./age-identities.ts";
import { parseX25519Identity, parseX25519Recipient, unwrapX25519, wrapForX25519 } from "./age-x25519.ts";
import type { X25519Identity } from "./age-x25519.ts";
import { secretsError } from "./errors.ts";

export const DATA_KEY_BYTES = 32;

export interface AgeKeyEntry {
  recipient: string;
  /** Armored age file holding the data key. */
  enc: string;
}

export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<AgeKeyEntry> {
  if (recipient.startsWith("ssh-")) {
    throw secretsError("SopsInvalidRecipient", `SSH recipients are not supported, only age1… (${recipient.split(" ")[0]})`);
  }
  const x25519 = parseX25519Recipient(recipient);
  if (x25519) return { recipient, enc: armorEncode(encryptAgeFile(dataKey, (fileKey) => [wrapForX25519(fileKey, x25519)])) };
  const { Encrypter } = await import("age-encryption");
  const encrypter = new Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch {
    // An identity pasted where its recipient belongs must not be echoed into a log line.
    if (/SECRET-KEY/i.test(recipient)) throw secretsError("SopsInvalidRecipient", "an age identity (a secret key) is listed as a recipient; list its public age1… recipient instead");
    throw secretsError("SopsInvalidRecipient", `${JSON.stringify(recipient)} is not an age recipient this encrypter supports`);
  }
  return { recipient, enc: armorEncode(await encrypter.encrypt(dataKey)) };
}

/** The data key from one age file, with X25519 identities; undefined when none opens it. */
function openWithX25519(file: Buffer, identities: readonly X25519Identity[]): Uint8Array | undefined {
  return decryptAgeFile(file, (stanzas) => {
    for (const stanza of stanzas) {
      for (const identity of identities) {
        const fileKey = unwrapX25519(stanza, identity);
        if (fileKey) return fileKey;
      }
    }
    return undefined;
  });
}

// Identities are parsed once per process, not once per file.
const x25519Identities = new Map<string, X25519Identity | undefined>();

function x25519Identity(identity: string): X25519Identity | undefined {
  if (!x25519Identities.has(identity)) {
    if (x25519Identities.size >= 64) x25519Identities.clear();
    x25519Identities.set(identity, parseX25519Identity(identity));
  }
  return x25519Identities.get(identity);
}

/**
 * The data key, from the first age entry one of the identities opens. Entries
 * whose recipient is one of our own are tried first; the rest are still
 * tried, since a recipient string may be written differently from the
 * identity's canonical one.
 */
export async function unwrapDataKey(entries: readonly AgeKeyEntry[], identities: readonly string[]): Promise<Uint8Array> {
  if (entries.length === 0) {
    throw secretsError("SopsDataKeyUnavailable", "the file has no age recipients (only other key types, which gitcert does not read)");
  }
  if (identities.length === 0) {
    throw secretsError("SopsDataKeyUnavailable", "no age identity was given to decrypt the data key");
  }
  const x25519: X25519Identity[] = [];
  let decrypter: Decrypter | undefined;
  let others = 0;
  const own = new Set<string>();
  for (const [i, identity] of identities.entries()) {
    const parsed = x25519Identity(identity);
    if (parsed) {
      x25519.push(parsed);
      own.add(parsed.recipient);
      continue;
    }
    try {
      decrypter ??= new (await import("age-encryption")).Decrypter();
      decrypter.addIdentity(identity);
      own.add(await recipientOf(identity));
      others++;
    } catch {
      throw secretsError("SopsInvalidIdentity", `age identity #${i + 1} is not a valid age identity`);
    }
  }
  const ordered = [...entries.filter((e) => own.has(e.recipient)), ...entries.filter((e) => !own.has(e.recipient))];
  let malformed = 0;
  for (const entry of ordered) {
    let file: Buffer;
    try {
      file = armorDecode(entry.enc);
    } catch (err) {
      if (!(err instanceof ArmorError)) throw err;
      malformed++;
      continue;
    }
    let key: Uint8Array | undefined;
    try {
      key = x25519.length > 0 ? openWithX25519(file, x25519) : undefined;
    } catch {
      // Addressed to one of our identities but tampered with, or not an age file at all.
      malformed++;
      continue;
    }
    if (!key && others > 0) key = await decrypter!.decrypt(file).catch(() => undefined);
    if (!key) continue;
    if (key.length === DATA_KEY_BYTES) return key;
    malformed++;
  }
  const recipients = entries.map((e) => e.recipient).join(", ");
  const extra = malformed > 0 ? ` (${malformed} entr${malformed === 1 ? "y is" : "ies are"} malformed)` : "";
  throw secretsError(
    "SopsDataKeyUnavailable",
    `none of the ${identities.length} age identit${identities.length === 1 ? "y" : "ies"} given can decrypt the data key; the file is encrypted for ${recipients}${extra}`,
  );
}
