// Failed issuance attempts, kept in Git so that backoff survives the pod:
// `.gitcert/issuance-failures`, JSON, one entry per Certificate whose
// last attempt failed at the CA. Not a Kubernetes manifest and not named *.yaml/*.json, so neither
// gitcert's scan nor kustomize's autodetection picks it up.
import type { AttemptSpec, FailureRecord } from "./backoff.ts";

export const FAILURE_LOG = ".gitcert/issuance-failures";

export function parseFailureLog(text: string | undefined): Map<string, FailureRecord> {
  const out = new Map<string, FailureRecord>();
  if (!text) return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return out; // a damaged log only costs the backoff, never the reconcile
  }
  if (raw === null || typeof raw !== "object") return out;
  for (const [key, value] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    const time = new Date(String(value?.lastFailureTime));
    if (typeof value?.attempts !== "number" || Number.isNaN(time.getTime())) continue;
    const notBefore = typeof value.notBefore === "string" ? new Date(value.notBefore) : undefined;
    out.set(key, {
      attempts: value.attempts,
      lastFailureTime: time,
      requestHash: String(value.requestHash ?? ""),
      issuerHash: String(value.issuerHash ?? ""),
      message: String(value.message ?? ""),
      ...(notBefore && !Number.isNaN(notBefore.getTime()) ? { notBefore } : {}),
    });
  }
  return out;
}

/** Stable text: same records, same bytes, so an unchanged log makes no commit. */
export function renderFailureLog(failures: ReadonlyMap<string, FailureRecord>): string {
  if (failures.size === 0) return "";
  const sorted = [...failures].sort(([a], [b]) => (a < b ? -1 : 1));
  const obj = Object.fromEntries(
    sorted.map(([k, f]) => [
      k,
      { attempts: f.attempts, lastFailureTime: f.lastFailureTime.toISOString(), requestHash: f.requestHash, issuerHash: f.issuerHash, message: f.message, notBefore: f.notBefore?.toISOString() },
    ]),
  );
  return JSON.stringify(obj, null, 2) + "\n";
}

/** An attempt that reached the CA: it succeeded, or the CA refused or could not be reached. */
export interface AttemptResult extends AttemptSpec {
  key: string;
  ok: boolean;
  message?: string;
  /** The server's Retry-After for this failure, if it gave one. */
  retryAfter?: Date;
}

/**
 * The log after a run: a failure adds one attempt (or starts over when the
 * request or the issuer changed), a success clears the entry, and entries
 * of Certificates that no longer exist are dropped.
 */
export function nextFailureLog(
  previous: ReadonlyMap<string, FailureRecord>,
  attempts: readonly AttemptResult[],
  existing: ReadonlySet<string>,
  now: Date,
): Map<string, FailureRecord> {
  const next = new Map([...previous].filter(([key]) => existing.has(key)));
  for (const a of attempts) {
    if (a.ok) {
      next.delete(a.key);
      continue;
    }
    const before = next.get(a.key);
    const sameSpec = before && before.requestHash === a.requestHash && before.issuerHash === a.issuerHash;
    next.set(a.key, {
      attempts: (sameSpec ? before.attempts : 0) + 1,
      lastFailureTime: now,
      requestHash: a.requestHash,
      issuerHash: a.issuerHash,
      message: a.message ?? "failed",
      ...(a.retryAfter ? { notBefore: a.retryAfter } : {}),
    });
  }
  return next;
}
