// The data key, wrapped once per recipient (age/keysource.go): one armored
// age file per recipient, never one file for several, so that sops can list
// and rotate recipients independently.
import { Decrypter, Encrypter, armor } from "age-encryption";
import { secretsError } from "./errors.ts";
import { recipientOf } from "./age-identities.ts";

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
  const encrypter = new Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch {
    throw secretsError("SopsInvalidRecipient", `${JSON.stringify(recipient)} is not an age recipient this encrypter supports`);
  }
  return { recipient, enc: armor.encode(await encrypter.encrypt(dataKey)) };
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
  const decrypter = new Decrypter();
  const own = new Set<string>();
  for (const [i, identity] of identities.entries()) {
    try {
      decrypter.addIdentity(identity);
      own.add(await recipientOf(identity));
    } catch {
      throw secretsError("SopsInvalidIdentity", `age identity #${i + 1} is not a valid age identity`);
    }
  }
  const ordered = [...entries.filter((e) => own.has(e.recipient)), ...entries.filter((e) => !own.has(e.recipient))];
  let malformed = 0;
  for (const entry of ordered) {
    let file: Uint8Array;
    try {
      file = armor.decode(entry.enc);
    } catch {
      malformed++;
      continue;
    }
    let key: Uint8Array;
    try {
      key = await decrypter.decrypt(file);
    } catch {
      continue;
    }
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
