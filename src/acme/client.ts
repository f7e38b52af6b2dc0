// One ACME account on one server: acme-client 5.4.0 signs (JWS), handles
// nonces and badNonce retries, registers the account and speaks the order
// endpoints; gitcert's Transport carries its requests. Safe for concurrent
// orders: registration happens once, nonces are taken from one pool, and a
// rate limit stops every order on the account at once.
import type { Authorization, Client, Order } from "acme-client";
import { setTimeout as sleep } from "node:timers/promises";
import { AT_CA, GitcertError } from "../diagnostics.ts";
import { AcmeProblemError, describeProblem, ProblemType } from "./problem.ts";
import { RateLimitGate } from "./rate-limit.ts";
import type { HttpResponse, Transport } from "./transport.ts";

export type { Authorization, Order };

export interface Challenge {
  type: string;
  url: string;
  status: string;
  token: string;
  error?: unknown;
}

export interface Directory {
  newOrder: string;
  renewalInfo?: string;
  meta?: { profiles?: Record<string, string>; externalAccountRequired?: boolean };
  [key: string]: unknown;
}

export interface ConnectionOptions {
  directoryUrl: string;
  accountKeyPem: string;
  /** kid and the base64url HMAC key, used only when registering. */
  eab?: { kid: string; hmacKey: string };
  email?: string;
  transport: Transport;
  now?: () => Date;
}

export interface AccountInfo {
  url: string;
  /** False when the server already knew this key (an account kept in Git). */
  created: boolean;
}

/** acme-client's internals this module relies on (5.4.0; pinned in package-lock). */
interface HttpInternals {
  request(url: string, method: string, opts?: { data?: unknown; headers?: Record<string, string> }): Promise<HttpResponse>;
  getNonce(): Promise<string>;
  getDirectory(): Promise<Directory>;
  maxBadNonceRetries: number;
}
interface ApiInternals {
  apiRequest(url: string, payload: unknown, validStatusCodes: number[]): Promise<HttpResponse>;
  createAccount(data: object): Promise<HttpResponse>;
  getAccountUrl(): string;
}

/** Waiting this long for a Retry-After happens in place; longer fails the order. */
const MAX_INLINE_WAIT_MS = 10_000;
const NONCE_TTL_MS = 60_000;
const NONCE_POOL_MAX = 64;
/** 50% rejected nonces (Pebble's stress setting) fail 21 tries in a row once in two million. */
const BAD_NONCE_RETRIES = 20;
const FAILED_REGISTRATION_TTL_MS = 60_000;

/** acme-client's Client with the internals this module drives. */
interface Library {
  client: Client;
  http: HttpInternals;
  api: ApiInternals;
}

export class AcmeConnection {
  readonly gate: RateLimitGate;
  /**
   * acme-client, with axios and node-forge behind it, is ~10 MB of heap:
   * loaded at this account's first request, so a process whose ACME
   * Issuers have nothing to order (a `gitcert serve` between renewals, or
   * one with no ACME Issuer) never holds it.
   */
  private library?: Promise<Library>;
  private readonly now: () => Date;
  private nonces: Array<{ value: string; at: number }> = [];
  private registration?: { promise: Promise<AccountInfo>; failedAt?: number };

  private readonly options: ConnectionOptions;

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.gate = new RateLimitGate(options.directoryUrl);
  }

  private loaded(): Promise<Library> {
    // A load that failed (out of file descriptors at that moment) is not
    // kept: this connection lives as long as the process, and Node itself
    // retries a failed import, so the account's next request loads it.
    // acme-client is CommonJS: its exports are the default export, under
    // Node and in the bundle alike (a bundle's lazily loaded part gives a
    // CommonJS module as its default export only).
    this.library ??= import("acme-client")
      .then((acme) => this.connect(acme.default.Client))
      .catch((err: unknown) => {
        this.library = undefined;
        throw err;
      });
    return this.library;
  }

  private connect(ClientClass: typeof Client): Library {
    const options = this.options;
    const client = new ClientClass({
      directoryUrl: options.directoryUrl,
      accountKey: options.accountKeyPem,
      ...(options.eab ? { externalAccountBinding: options.eab } : {}),
    });
    const { http, api } = client as unknown as { http: HttpInternals; api: ApiInternals };
    http.maxBadNonceRetries = BAD_NONCE_RETRIES;

    const transport = options.transport;
    http.request = async (url, method, opts = {}) => {
      const res = await transport.request(url, method, opts.data, { ...(opts.data !== undefined ? { "content-type": "application/jose+json" } : {}) });
      // A HEAD newNonce answer's nonce is returned to acme-client directly.
      if (method.toLowerCase() !== "head") this.keepNonce(res);
      return res;
    };
    // acme-client asks newNonce before every request; every response already
    // carries a fresh one, so most of those round trips are saved.
    const fetchNonce = http.getNonce.bind(http);
    http.getNonce = async () => {
      const cutoff = Date.now() - NONCE_TTL_MS;
      this.nonces = this.nonces.filter((n) => n.at >= cutoff);
      return this.nonces.pop()?.value ?? fetchNonce();
    };
    return { client, http, api };
  }

  get directoryUrl(): string {
    return this.options.directoryUrl;
  }

  directory(): Promise<Directory> {
    return this.call(async () => (await this.loaded()).http.getDirectory(), false);
  }

  /** Registers the account once (or finds it: the key is kept in Git, the account reused). */
  account(): Promise<AccountInfo> {
    const r = this.registration;
    if (r && (r.failedAt === undefined || Date.now() - r.failedAt < FAILED_REGISTRATION_TTL_MS)) return r.promise;
    const entry: { promise: Promise<AccountInfo>; failedAt?: number } = { promise: this.register() };
    entry.promise.catch(() => (entry.failedAt = Date.now()));
    this.registration = entry;
    return entry.promise;
  }

  async newOrder(payload: Record<string, unknown>): Promise<Order> {
    await this.account();
    return this.call(async () => (await this.loaded()).client.createOrder(payload as unknown as Parameters<Client["createOrder"]>[0]));
  }

  async authorizations(order: Order): Promise<Authorization[]> {
    return this.call(async () => (await this.loaded()).client.getAuthorizations(order));
  }

  async completeChallenge(challenge: Challenge): Promise<void> {
    await this.call(async () => (await this.loaded()).client.completeChallenge(challenge as Parameters<Client["completeChallenge"]>[0]));
  }

  async finalize(order: Order, csrPem: string): Promise<Order> {
    return this.call(async () => (await this.loaded()).client.finalizeOrder(order, csrPem));
  }

  /** POST-as-GET, with the response's headers (Retry-After, Link). */
  async fetch(url: string): Promise<HttpResponse> {
    return this.call(async () => (await this.loaded()).api.apiRequest(url, null, [200]));
  }

  /** http-01: token.thumbprint; dns-01: its SHA-256, base64url. */
  async keyAuthorization(challenge: Challenge): Promise<string> {
    return (await this.loaded()).client.getChallengeKeyAuthorization(challenge as Parameters<Client["getChallengeKeyAuthorization"]>[0]);
  }

  private keepNonce(res: HttpResponse): void {
    const nonce = res.headers["replay-nonce"];
    // A badNonce answer's fresh nonce is used by acme-client's own retry.
    const badNonce = (res.data as { type?: string } | undefined)?.type === ProblemType.badNonce;
    if (typeof nonce === "string" && !badNonce && this.nonces.length < NONCE_POOL_MAX) {
      this.nonces.push({ value: nonce, at: Date.now() });
    }
  }

  private async register(): Promise<AccountInfo> {
    const contact = this.options.email ? [`mailto:${this.options.email}`] : undefined;
    const { api } = await this.loaded();
    let res: HttpResponse;
    try {
      res = await this.call(() => api.createAccount({ termsOfServiceAgreed: true, ...(contact ? { contact } : {}) }), false);
    } catch (err) {
      if (err instanceof AcmeProblemError) {
        throw new GitcertError("AcmeAccountFailed", `registering the ACME account at ${this.options.directoryUrl} failed: ${describeProblem(err.problem)}`, {}, AT_CA);
      }
      throw err;
    }
    const url = api.getAccountUrl();
    const created = res.status === 201;
    const known = (res.data as { contact?: string[] } | undefined)?.contact ?? [];
    if (!created && contact && known.join(",") !== contact.join(",")) {
      // As cert-manager: the account follows the issuer's email.
      await this.call(() => api.apiRequest(url, { contact }, [200]), false);
    }
    return { url, created };
  }

  /**
   * Every request on the account: refused while rate-limited; a short
   * Retry-After (overload, a brief limit) is waited out in place, a long
   * one stops the account until then.
   */
  private async call<T>(fn: () => Promise<T>, needsAccount = true): Promise<T> {
    if (needsAccount) await this.account();
    for (let attempt = 0; ; attempt++) {
      this.gate.check(this.now());
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof AcmeProblemError)) throw err;
        const limited = err.problem.type === ProblemType.rateLimited || err.status === 429;
        const overloaded = err.status === 503;
        if (!limited && !overloaded) throw err;
        const now = this.now();
        const wait = err.retryAfter ? err.retryAfter.getTime() - now.getTime() : undefined;
        if (attempt < 2 && (wait === undefined ? overloaded : wait <= MAX_INLINE_WAIT_MS)) {
          await sleep(Math.max(wait ?? 1000 * (attempt + 1), 0));
          continue;
        }
        if (limited) throw this.gate.record(err.problem, err.retryAfter, now);
        throw err;
      }
    }
  }
}
