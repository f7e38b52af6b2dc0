// Vault failures say which call failed and what Vault answered.
import { CaApiError } from "../http/index.ts";

export const VaultErrorCode = {
  /** No answer: refused, reset, timed out. */
  Unreachable: "VaultUnreachable",
  /** The TLS handshake failed: the server's certificate is not trusted or not for serverName (local configuration). */
  Untrusted: "VaultServerUntrusted",
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

export class VaultError extends CaApiError {
  constructor(code: VaultErrorCode, message: string, options: { atCA: boolean; status?: number }) {
    super(code, message, options);
    this.name = "VaultError";
  }
}
