// A Vault issuer's connection: log in (once per token lifetime), sign, and
// report readiness. Tokens never leave this object except as a request
// header; every message is redacted of every credential the issuer holds.
import type { ChainBundle } from "../pki/index.ts";
import { answerError, callLabel, joinPath, vaultRequest, type VaultCall } from "./api.ts";
import { authIdentity, authSecrets, login } from "./auth.ts";
import { VaultErrorCode } from "./errors.ts";
import { checkHealth, type VaultHealth } from "./health.ts";
import { chainFromSignResponse, signRequestBody } from "./sign.ts";
import { TokenCache } from "../http/index.ts";
import type { VaultAuth, VaultServer } from "./types.ts";

export interface VaultClientOptions {
  server: VaultServer;
  auth: VaultAuth;
  /** Shared across reconciles so a token outlives one run; a fresh one otherwise. */
  tokens?: TokenCache;
  now?: () => Date;
}

export interface SignInput {
  /** spec.vault.path as written: `pki_int/sign/web`. */
  path: string;
  csrPem: string;
  /** The Certificate's duration, sent as Go prints a duration (`2160h0m0s`). */
  durationSeconds: number;
}

export class VaultClient {
  private readonly server: VaultServer;
  private readonly auth: VaultAuth;
  private readonly tokens: TokenCache;
  private readonly now: () => Date;
  private readonly cacheKey: string;

  constructor(options: VaultClientOptions) {
    this.server = options.server;
    this.auth = options.auth;
    this.tokens = options.tokens ?? new TokenCache();
    this.now = options.now ?? (() => new Date());
    this.cacheKey = TokenCache.key([options.server.url, options.server.namespace ?? "", ...authIdentity(options.auth)]);
  }

  health(): Promise<VaultHealth> {
    return checkHealth(this.server);
  }

  /**
   * Logs in (or finds the cached token), as cert-manager's issuer setup
   * does. A token from tokenSecretRef is used as it is, unchecked until a
   * signature, as there too.
   */
  async authenticate(): Promise<void> {
    await this.token();
  }

  async sign(input: SignInput): Promise<ChainBundle> {
    const body = signRequestBody(input.csrPem, input.durationSeconds);
    const path = joinPath("/v1", input.path);
    let { token, cached } = await this.token();
    let call = this.signCall(path, body, token);
    let res = await vaultRequest(this.server, call);
    // A cached token may have been revoked since: log in afresh once.
    if (res.status === 403 && cached) {
      this.tokens.delete(this.cacheKey);
      ({ token, cached } = await this.token());
      call = this.signCall(path, body, token);
      res = await vaultRequest(this.server, call);
    }
    if (res.status < 200 || res.status >= 300) throw answerError(VaultErrorCode.SignFailed, call, res, "Vault refused to sign");
    return chainFromSignResponse(res.json, callLabel(call));
  }

  private signCall(path: string, body: Record<string, string>, token: string): VaultCall {
    return { method: "POST", path, body, token, namespaced: true, secrets: [token, ...authSecrets(this.auth)] };
  }

  private async token(): Promise<{ token: string; cached: boolean }> {
    if (this.auth.method === "token") return { token: this.auth.token.trim(), cached: false };
    const hit = this.tokens.get(this.cacheKey, this.now());
    if (hit) return { token: hit, cached: true };
    const result = await login(this.server, this.auth);
    this.tokens.set(this.cacheKey, result.token, result.leaseSeconds, this.now());
    return { token: result.token, cached: false };
  }
}
