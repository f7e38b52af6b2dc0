// Tokens from a login (Vault, Venafi TPP OAuth), kept until shortly before
// they expire so that a reconcile with fifty Certificates logs in once, not
// fifty times.
// Held in memory only; the key is a hash, so the cache never holds a
// credential other than the token itself.
import { createHash } from "node:crypto";

interface Entry {
  token: string;
  /** Undefined: the token does not expire (lease_duration 0). */
  expiresAt?: number;
}

// Renew at 90% of the lease, so a token is not used in its last seconds.
const LEASE_FRACTION = 0.9;

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  static key(parts: readonly string[]): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
  }

  get(key: string, now: Date): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && now.getTime() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /** `leaseSeconds` 0: the token does not expire. */
  set(key: string, token: string, leaseSeconds: number, now: Date): void {
    const expiresAt = leaseSeconds > 0 ? now.getTime() + leaseSeconds * 1000 * LEASE_FRACTION : undefined;
    this.entries.set(key, expiresAt === undefined ? { token } : { token, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
