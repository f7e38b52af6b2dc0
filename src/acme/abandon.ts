// A challenge's wait (propagation, the self-check, the CA's verdict) given
// up the moment the reconcile is abandoned — SIGTERM past serve's grace
// period, leadership lost — so the solver's cleanup runs before the process
// exits instead of leaving records and routes for the next leader's sweep.

/** `work`, or the signal's reason as soon as it aborts (the work is left to end on its own). */
export async function unlessAbandoned(work: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return work();
  signal.throwIfAborted();
  let stop!: () => void;
  const abandoned = new Promise<never>((_resolve, reject) => {
    stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
  });
  const running = work();
  running.catch(() => undefined); // its failure after an abort is nobody's concern
  try {
    await Promise.race([running, abandoned]);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
