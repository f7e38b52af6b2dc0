// Leader election as the loop's work gate. The elector (src/kube) hands out
// a leadership signal once this replica holds the Lease; the gate keeps it
// for as long as it lasts, so runs do not re-elect each time, and asks again
// once it has aborted. A standby does not keep the triggers it receives
// (the Service sends pushes and API calls to any replica): it hands them to
// the leader, which runs them at once.
import type { Trigger, WorkGate } from "./loop.ts";

/** A trigger passed between replicas (its names are checked on arrival: another version may have sent it). */
export interface HandOff {
  triggers: readonly string[];
  forceRenew?: readonly string[] | "all";
}

export interface HandOffs {
  /** Resolves to the leader's identity ("" when none holds the Lease; the next one takes it). */
  send(request: HandOff): Promise<{ leader: string }>;
  /** Where what this replica takes as leader goes; undefined: take nothing more (stopping). */
  receive(listener: ((request: HandOff) => void) | undefined): void;
}

export interface Leadership {
  gate: WorkGate;
  /** Whether this replica leads now (readiness reads it). */
  leading(): boolean;
  handOffs?: HandOffs;
}

export function leadershipGate(acquire: (stop: AbortSignal) => Promise<AbortSignal>, handOffs?: HandOffs): Leadership {
  let current: AbortSignal | undefined;
  return {
    gate: async (stop) => {
      if (!current || current.aborted) current = await acquire(stop);
      return current;
    },
    leading: () => current !== undefined && !current.aborted,
    handOffs,
  };
}

const TRIGGERS: ReadonlySet<string> = new Set<Trigger>(["webhook", "api", "renew"]);

/** The loop's triggers in a hand-off; an unknown or missing one counts as an API request. */
export function handedTriggers(request: HandOff): Trigger[] {
  const known = request.triggers.filter((t): t is Trigger => TRIGGERS.has(t));
  return known.length > 0 ? known : ["api"];
}
