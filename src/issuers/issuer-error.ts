// Failures of an issuer that talks to a CA, named after the issuer: the
// diagnostic belongs to the Certificate being issued (execute attaches it),
// and its message says which Issuer, defined where, failed how. The code,
// atCA and Retry-After are kept, so backoff reads it as before.
import { GitcertError } from "../diagnostics.ts";
import type { IssuerResource } from "../manifests/types.ts";
import { issuerLabel } from "./read.ts";
import type { IssuerReadiness } from "./types.ts";

export function namedAfterIssuer(resource: IssuerResource, err: unknown): unknown {
  if (!(err instanceof GitcertError)) return err;
  return new GitcertError(err.code, `${issuerLabel(resource)}: ${err.message}`, err.where, {
    atCA: err.atCA,
    ...(err.retryAfter ? { retryAfter: err.retryAfter } : {}),
  });
}

/** Runs `work`, rethrowing its failure named after the issuer. */
export async function asIssuer<T>(resource: IssuerResource, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw namedAfterIssuer(resource, err);
  }
}

/** An Issuer's readiness from a live check: its message when it passes, the failure's when it throws. */
export async function checkReadiness(check: () => Promise<string>): Promise<IssuerReadiness> {
  try {
    return { ready: true, message: await check() };
  } catch (err) {
    return { ready: false, message: err instanceof Error ? err.message : String(err) };
  }
}
