// Per-account rate limits. Once the server answers `rateLimited`, nothing
// more is sent on that account until its Retry-After has passed: every
// other certificate of the run fails fast with the same reason instead of
// adding to the count the limit is about.
import { GitcertError } from "../diagnostics.ts";
import { describeProblem, type AcmeProblem } from "./problem.ts";

/** When the server gives no Retry-After: cert-manager's first backoff step. */
export const DEFAULT_RATE_LIMIT_MS = 3600_000;

export class RateLimitGate {
  private until?: Date;
  private problem?: AcmeProblem;

  /** `server`: the directory URL, naming the account's server in messages. */
  private readonly server: string;

  constructor(server: string) {
    this.server = server;
  }

  /** Throws AcmeRateLimited while the account is limited. */
  check(now: Date): void {
    if (!this.until || this.until <= now) return;
    throw this.error();
  }

  /** Remembers a rateLimited answer; returns the error to throw. */
  record(problem: AcmeProblem, retryAfter: Date | undefined, now: Date): GitcertError {
    const until = retryAfter && retryAfter > now ? retryAfter : new Date(now.getTime() + DEFAULT_RATE_LIMIT_MS);
    if (!this.until || until > this.until) {
      this.until = until;
      this.problem = problem;
    }
    return this.error();
  }

  limitedUntil(now: Date): Date | undefined {
    return this.until && this.until > now ? this.until : undefined;
  }

  private error(): GitcertError {
    return new GitcertError(
      "AcmeRateLimited",
      `the ACME server ${this.server} rate-limited this account (${describeProblem(this.problem!)}); no request is sent on this account before ${this.until!.toISOString()}`,
      {},
      { retryAfter: this.until, atCA: true },
    );
  }
}
