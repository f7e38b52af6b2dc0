// cert-manager's failure backoff (trigger_controller.go
// shouldBackoffReissuingOnFailure): 1h doubling per failed attempt, capped at
// 32h, and none once the Certificate's request or its issuer's spec changed
// since the failure. Only failures at the CA are recorded (Diagnostic.atCA).

export interface FailureRecord {
  attempts: number;
  lastFailureTime: Date;
  /** Request hash of the spec that failed. */
  requestHash: string;
  /** Hash of the issuer's spec it failed with ("" in logs written before it was kept: no backoff). */
  issuerHash: string;
  message: string;
  /** The server's own Retry-After (rate limits): never retried before it. */
  notBefore?: Date;
}

const HOUR = 3600_000;
const MAX_DELAY = 32 * HOUR;

export function backoffDelayMs(attempts: number): number {
  if (attempts < 1) return 0;
  return Math.min(HOUR * 2 ** (attempts - 1), MAX_DELAY);
}

/** What a new attempt would ask for: a change to either starts over. */
export interface AttemptSpec {
  requestHash: string;
  issuerHash: string;
}

/** The time before which no new attempt should be made, or undefined. */
export function backoffUntil(failure: FailureRecord | undefined, attempt: AttemptSpec): Date | undefined {
  if (!failure || failure.requestHash !== attempt.requestHash || failure.issuerHash !== attempt.issuerHash) return undefined;
  const backoff = failure.lastFailureTime.getTime() + backoffDelayMs(failure.attempts);
  return new Date(Math.max(backoff, failure.notBefore?.getTime() ?? 0));
}
