// Leader election as the loop's work gate. The elector (src/kube) hands out
// a leadership signal once this replica holds the Lease; the gate keeps it
// for as long as it lasts, so runs do not re-elect each time, and asks again
// once it has aborted.
import type { WorkGate } from "./loop.ts";

export interface Leadership {
  gate: WorkGate;
  /** Whether this replica leads now (readiness reads it). */
  leading(): boolean;
}

export function leadershipGate(acquire: (stop: AbortSignal) => Promise<AbortSignal>): Leadership {
  let current: AbortSignal | undefined;
  return {
    gate: async (stop) => {
      if (!current || current.aborted) current = await acquire(stop);
      return current;
    },
    leading: () => current !== undefined && !current.aborted,
  };
}
