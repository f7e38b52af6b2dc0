// Vault failures say which call failed and what Vault answered. `atCA`
// separates the server's own failures (an error answer, sealed, unreachable)
// from ours, which no amount of waiting fixes.
import { GitcertError } from "../diagnostics.ts";

export const VaultErrorCode = {
  /** No answer: refused, timed out, TLS handshake failed. */
  Unreachable: "VaultUnreachable",
  Sealed: "VaultSealed",
  Uninitialized: "VaultUninitialized",
  /** A login was refused, or answered without a token. */
  LoginFailed: "VaultLoginFailed",
  /** The sign call was refused (role, policy, names, TTL). */
  SignFailed: "VaultSignFailed",
  /** A 2xx answer without what it should hold. */
  InvalidResponse: "VaultInvalidResponse",
  /** Local material that cannot be used (a CSR we cannot read, a JWT source that failed). */
  InvalidRequest: "VaultInvalidRequest",
} as const;
export type VaultErrorCode = (typeof VaultErrorCode)[keyof typeof VaultErrorCode];

export class VaultError extends GitcertError {
  /** The failure is the server's (or the way to it), not our configuration. */
  readonly atCA: boolean;
  /** HTTP status of the answer, when there was one. */
  readonly status?: number;

  constructor(code: VaultErrorCode, message: string, options: { atCA: boolean; status?: number }) {
    super(code, message);
    this.name = "VaultError";
    this.atCA = options.atCA;
    if (options.status !== undefined) this.status = options.status;
  }
}
