// A standby's way to pass a trigger (a push webhook, POST /reconcile, a
// renew request) to the leader without new rights or a network path to the
// leader's pod: it records the request on the leader-election Lease, in one
// annotation, with an optimistic-concurrency update that leaves the Lease's
// spec (holder, renewals) alone. The leader reads the Lease anyway to renew
// it; it takes the request by removing the annotation in its next renewal,
// so a request is taken exactly once, by whoever holds the Lease then.
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Lease } from "@kubernetes/client-node";
import { isNotFound, KubeApiError, type Cluster } from "./client.ts";

export const HANDOFF_ANNOTATION = "gitcert.dev/reconcile-requested";

/** What a standby asks the leader for. */
export interface HandOffRequest {
  /** Why: webhook, api, renew (the daemon's trigger names). */
  triggers: readonly string[];
  /** `namespace/name` of Certificates to renew now, or all. */
  forceRenew?: readonly string[] | "all";
}

/** A request pending on the Lease: when it was first asked for, and everything asked since. */
export interface PendingHandOff extends HandOffRequest {
  at: string;
}

/** Requests pile up only until the leader's next look (seconds); this bounds a flood of renew names. */
export const MAX_PENDING_NAMES = 1000;

/** Writers on one Lease: the leader every retry period, and each standby (one write at a time per replica). */
const ATTEMPTS = 10;

export function pendingHandOff(lease: V1Lease): PendingHandOff | undefined {
  const text = lease.metadata?.annotations?.[HANDOFF_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { at?: unknown; triggers?: unknown; forceRenew?: unknown };
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
    const forceRenew = parsed.forceRenew === "all" ? "all" : Array.isArray(parsed.forceRenew) ? strings(parsed.forceRenew) : undefined;
    return { at: typeof parsed.at === "string" ? parsed.at : "", triggers: strings(parsed.triggers), ...(forceRenew ? { forceRenew } : {}) };
  } catch {
    // Written by hand or by another program: still a request to reconcile.
    return { at: "", triggers: ["api"] };
  }
}

/**
 * Removes a pending request from `lease` (the leader's copy it is about to
 * write back) and returns it; the caller acts on it only once the write
 * succeeded, since a conflict means someone wrote in between.
 */
export function takeHandOff(lease: V1Lease): PendingHandOff | undefined {
  const pending = pendingHandOff(lease);
  if (pending) {
    const { [HANDOFF_ANNOTATION]: _taken, ...rest } = lease.metadata!.annotations!;
    lease.metadata = { ...lease.metadata, annotations: rest };
  }
  return pending;
}

export function mergeHandOff(pending: PendingHandOff | undefined, request: HandOffRequest, now: Date): PendingHandOff {
  const triggers = [...new Set([...(pending?.triggers ?? []), ...request.triggers])];
  let forceRenew: readonly string[] | "all" | undefined;
  if (pending?.forceRenew === "all" || request.forceRenew === "all") forceRenew = "all";
  else if (pending?.forceRenew || request.forceRenew) forceRenew = [...new Set([...(pending?.forceRenew ?? []), ...(request.forceRenew ?? [])])];
  return { at: pending?.at || now.toISOString(), triggers, ...(forceRenew ? { forceRenew } : {}) };
}

/**
 * Records `request` on the Lease, merged with one still pending. Retries on
 * a conflict (the leader renewed, or another standby wrote, in between) with
 * a fresh read. Resolves to the Lease's holder at that moment ("" when none).
 */
export async function handOffThroughLease(cluster: Cluster, lease: { namespace: string; name: string }, request: HandOffRequest, now: () => Date = () => new Date()): Promise<{ holder: string }> {
  const { namespace, name } = lease;
  for (let attempt = 1; ; attempt++) {
    let current: V1Lease;
    try {
      current = await cluster.call(`get Lease ${namespace}/${name}`, () => cluster.coordination.readNamespacedLease({ namespace, name }));
    } catch (err) {
      if (isNotFound(err)) throw new Error(`no gitcert has taken the Lease ${namespace}/${name} yet`);
      throw err;
    }
    const merged = mergeHandOff(pendingHandOff(current), request, now());
    if (merged.forceRenew !== "all" && (merged.forceRenew?.length ?? 0) > MAX_PENDING_NAMES) {
      throw new Error(`more than ${MAX_PENDING_NAMES} certificates are already waiting for the leader to renew them`);
    }
    current.metadata = { ...current.metadata, annotations: { ...current.metadata?.annotations, [HANDOFF_ANNOTATION]: JSON.stringify(merged) } };
    try {
      // resourceVersion from the read: fails with 409 if anyone wrote since, so a renewal is never undone.
      await cluster.call(`update Lease ${namespace}/${name}`, () => cluster.coordination.replaceNamespacedLease({ namespace, name, body: current }));
      return { holder: current.spec?.holderIdentity ?? "" };
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409) || attempt >= ATTEMPTS) throw err;
    }
    // Another writer won: let it finish before reading again, spread (and longer each time) so standbys do not collide again.
    await sleep((50 + Math.random() * 100) * attempt);
  }
}
