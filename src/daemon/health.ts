// What /healthz and /readyz answer. Liveness: the process answers and its
// reconcile loop is not stuck — a run may be long (hundreds of orders), but
// not silent: it must report progress within `stuckAfterMs`, or the kubelet
// restarts the pod; a standby waiting for the Lease is alive and not stuck.
// Readiness: the last reconcile finished and reached the Git remote; a
// standby replica (not the leader) is ready: it answers HTTP-01 from the
// cluster like the leader, and a rolling update must not wait for it to lead.
import type { Check } from "../server/index.ts";
import type { LoopStatus } from "./loop.ts";

export function liveness(status: LoopStatus, now: number, stuckAfterMs: number): Check {
  const running = status.running;
  if (running?.waiting) return { ok: true, detail: status.stopping ? "shutting down" : "standby: waiting for the Lease" };
  if (running && now - running.lastProgressAt > stuckAfterMs) {
    const quiet = Math.round((now - running.lastProgressAt) / 1000);
    return { ok: false, detail: `the reconcile started ${Math.round((now - running.startedAt) / 1000)} s ago has made no progress for ${quiet} s` };
  }
  if (running) return { ok: true, detail: `reconciling for ${Math.round((now - running.startedAt) / 1000)} s` };
  return { ok: true, detail: status.stopping ? "shutting down" : "idle" };
}

export interface ReadinessInput {
  status: LoopStatus;
  now: number;
  /** Whether the last finished reconcile reached the Git remote, and what went wrong if not. */
  remote?: { reachable: boolean; detail?: string };
  /** With leader election: whether this replica leads. */
  leading?: boolean;
}

export function readiness({ status, now, remote, leading }: ReadinessInput): Check {
  if (status.stopping) return { ok: false, detail: "shutting down" };
  if (leading === false) return { ok: true, detail: "standby: another replica holds the Lease; this one answers HTTP-01 and takes over when it ends" };
  if (!status.last || !remote) return { ok: false, detail: status.running ? "the first reconcile is running" : "no reconcile has finished yet" };
  if (!remote.reachable) return { ok: false, detail: `the Git remote was not reachable in the last reconcile${remote.detail ? `: ${remote.detail}` : ""}` };
  return { ok: true, detail: `the last reconcile ended ${Math.round((now - status.last.endedAt) / 1000)} s ago (${status.last.status})` };
}
