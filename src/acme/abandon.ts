// A challenge's wait (propagation, the self-check, the CA's verdict) given
// up the moment the reconcile is abandoned — SIGTERM past serve's grace
// period, leadership lost — so the solver's cleanup runs before the process
// exits instead of leaving records and routes for the next leader's sweep.

import { untilAborted } from "../abort.ts";

/** `work`, or the signal's reason as soon as it aborts (the work is left to end on its own); not started when already aborted. */
export async function unlessAbandoned(work: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  return untilAborted(work(), signal);
}
