// Waiting given up when a signal aborts: leadership lost, a shutdown's grace
// period over. The work is left to end on its own (it checks the signal
// between its steps); only the wait stops.

/**
 * `work`, unless `signal` aborts first: then its reason is thrown at once and
 * the caller stops waiting (the work itself checks the signal between steps).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    // Handled even when the signal had aborted already: a failure of work nobody waits for is no unhandled rejection.
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
    if (signal.aborted) stop();
  });
}
