// The sops MAC: SHA-512 over the canonical bytes of every value, in document
// order across all documents, keys and comments excluded; uppercase hex.
// With mac_only_encrypted only encrypted values count, and the hash is first
// fed sha256("sops") so the two modes can never produce the same MAC.
import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";

const MAC_ONLY_ENCRYPTED_INIT = createHash("sha256").update("sops").digest();

export class MacHasher {
  private readonly hash: Hash = createHash("sha512");

  private readonly macOnlyEncrypted: boolean;

  constructor(macOnlyEncrypted: boolean) {
    this.macOnlyEncrypted = macOnlyEncrypted;
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }

  add(bytes: Uint8Array, encrypted: boolean): void {
    if (!this.macOnlyEncrypted || encrypted) this.hash.update(bytes);
  }

  /** Go `fmt.Sprintf("%X", sum)`. */
  hex(): string {
    return this.hash.digest("hex").toUpperCase();
  }
}
