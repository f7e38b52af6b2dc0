// Leader election with a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it (the one cert-manager uses): a candidate
// takes the Lease when it is free or its holder has not renewed it for the
// lease duration (measured on this process's own monotonic clock from when
// it last saw the record change, so clock skew between nodes does not
// matter); the leader renews it every retry period and gives up leadership
// when it could not renew within the renew deadline, or sees another holder.
// Leadership is an AbortSignal: work started as leader stops when it aborts.
// The leader also takes what standbys asked of it through the Lease
// (lease-handoff.ts): it looks for such a request every couple of seconds
// and takes it with an early renewal.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { GitcertError } from "../diagnostics.ts";
import { isNotFound, KubeApiError, type Cluster } from "./client.ts";
import { pendingHandOff, takeHandOff, type PendingHandOff } from "./lease-handoff.ts";

export interface LeaseSettings {
  namespace: string;
  name: string;
  /** Unique per process: `<pod or host name>_<uuid>`. */
  identity: string;
  /** How long a holder's claim lasts without renewal (cert-manager: 60 s). */
  leaseDurationSeconds: number;
  /** How long the leader keeps trying to renew before it stops leading (cert-manager: 40 s). */
  renewDeadlineSeconds: number;
  /** Time between attempts to acquire or renew (cert-manager: 15 s). */
  retryPeriodSeconds: number;
}

/** cert-manager's defaults (internal/apis/config/shared/v1alpha1/defaults.go). */
export const LEASE_DEFAULTS = { leaseDurationSeconds: 60, renewDeadlineSeconds: 40, retryPeriodSeconds: 15 } as const;

/** How often the leader looks between renewals for a standby's request: a push handed over waits at most this long. */
export const HANDOFF_CHECK_MS = 2_000;

/** A renewal that lost a race to a standby's annotation write is retried at once, this many times. */
const CONFLICT_RETRIES = 3;

export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.POD_NAME || hostname()}_${randomUUID()}`;
}

export interface LeaderEvents {
  /** Another candidate holds the Lease; called once per change of holder. */
  waiting?(holder: string): void;
  /** An attempt to take the Lease failed (the API server did not answer); another follows. */
  retrying?(error: Error): void;
  leading?(): void;
  /** Leadership ended; `reason` says why. */
  stopped?(reason: string): void;
  /** Whether to take what standbys leave on the Lease now (default: yes); a stopping leader leaves it for the next. */
  takesRequests?(): boolean;
  /** As leader (or on becoming it), took a request a standby left on the Lease. */
  requested?(request: PendingHandOff): void;
}

export class LeaderElector {
  private readonly cluster: Cluster;
  private readonly settings: LeaseSettings;
  private readonly events: LeaderEvents;
  /** The last record seen and when (monotonic ms) it was first seen. */
  private observed: { record: string; at: number; holder: string } | undefined;
  private leadership: AbortController | undefined;
  private renewing: Promise<void> | undefined;

  constructor(cluster: Cluster, settings: LeaseSettings, events: LeaderEvents = {}) {
    if (!(settings.leaseDurationSeconds > settings.renewDeadlineSeconds && settings.renewDeadlineSeconds > settings.retryPeriodSeconds * 1.2)) {
      throw new Error("leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod (as client-go)");
    }
    this.cluster = cluster;
    this.settings = settings;
    this.events = events;
  }

  /**
   * Waits until this process holds the Lease, then keeps renewing it.
   * Returns the leadership signal, aborted when leadership is lost or
   * released. Rejects when `signal` aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<AbortSignal> {
    let lastHolder: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      const attempt = await this.tryAcquireOrRenew().catch((err: unknown) => {
        // Waiting cannot mend missing rights: say so instead of waiting forever.
        if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) {
          throw new GitcertError("Configuration", `leader election: ${err.message} (gitcert needs create, get and update on Leases there: deploy/controller/rbac.yaml)`);
        }
        this.events.retrying?.(err as Error);
        return { ok: false as const, holder: undefined };
      });
      if (attempt.ok) break;
      if (attempt.holder && attempt.holder !== lastHolder) {
        lastHolder = attempt.holder;
        this.events.waiting?.(attempt.holder);
      }
      await sleep(jittered(this.settings.retryPeriodSeconds), undefined, { signal });
    }
    const leadership = new AbortController();
    this.leadership = leadership;
    this.events.leading?.();
    this.renewing = this.renewLoop(leadership);
    return leadership.signal;
  }

  /** Stops leading and frees the Lease at once for the next candidate (client-go's ReleaseOnCancel). */
  async release(): Promise<void> {
    const leadership = this.leadership;
    if (!leadership) return;
    this.leadership = undefined;
    if (!leadership.signal.aborted) leadership.abort(new Error("leadership released"));
    await this.renewing;
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      try {
        const lease = await this.get();
        if (lease?.spec?.holderIdentity !== this.settings.identity) return;
        const now = new V1MicroTime();
        // A request a standby left stays on the Lease for the next leader.
        lease.spec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
        await this.replace(lease);
        return;
      } catch (err) {
        // A standby wrote in between: read again. Otherwise not freed: the others take over after the lease duration, as after a crash.
        if (!(err instanceof KubeApiError && err.status === 409)) return;
      }
    }
  }

  private async renewLoop(leadership: AbortController): Promise<void> {
    const { renewDeadlineSeconds, retryPeriodSeconds } = this.settings;
    let renewed = performance.now();
    while (!leadership.signal.aborted) {
      await this.untilRenewalDue(retryPeriodSeconds * 1000, leadership.signal);
      if (leadership.signal.aborted) return;
      let attempt = await this.renewAttempt();
      // A standby's annotation write between our read and our write: read again and renew now.
      for (let i = 0; i < CONFLICT_RETRIES && "conflict" in attempt && !leadership.signal.aborted; i++) attempt = await this.renewAttempt();
      if (attempt.ok) {
        renewed = performance.now();
        continue;
      }
      let reason: string | undefined;
      if (attempt.holder && attempt.holder !== this.settings.identity) reason = `the Lease is now held by ${attempt.holder}`;
      else if (performance.now() - renewed >= renewDeadlineSeconds * 1000) {
        reason = `could not renew the Lease within ${renewDeadlineSeconds} s${"error" in attempt ? ` (${(attempt.error as Error).message})` : ""}`;
      }
      if (reason) {
        leadership.abort(new Error(`lost leadership: ${reason}`));
        this.events.stopped?.(reason);
        return;
      }
    }
  }

  private renewAttempt(): Promise<{ ok: boolean; holder: string | undefined; conflict?: true } | { ok: false; holder: undefined; error: unknown }> {
    return this.tryAcquireOrRenew().catch((err: unknown) => ({ ok: false as const, holder: undefined, error: err }));
  }

  /**
   * Sleeps a retry period, but looks at the Lease every HANDOFF_CHECK_MS
   * meanwhile and returns early when a standby left a request there, so the
   * renewal that takes it comes within seconds. A failed look just waits on.
   */
  private async untilRenewalDue(periodMs: number, signal: AbortSignal): Promise<void> {
    const due = performance.now() + periodMs;
    for (;;) {
      const left = due - performance.now();
      if (left <= 0 || signal.aborted) return;
      await sleep(Math.min(left, HANDOFF_CHECK_MS), undefined, { signal }).catch(() => undefined);
      if (signal.aborted || performance.now() >= due) return;
      const lease = await this.get().catch(() => undefined);
      if (lease && pendingHandOff(lease) && this.events.takesRequests?.() !== false) return;
    }
  }

  /** One step of client-go's tryAcquireOrRenew: ok when this process holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<{ ok: boolean; holder: string | undefined; conflict?: true }> {
    const { identity, leaseDurationSeconds } = this.settings;
    const now = new V1MicroTime();
    const lease = await this.get();
    if (!lease) {
      await this.create({ holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 });
      this.observe({ holderIdentity: identity, renewTime: now });
      return { ok: true, holder: identity };
    }
    const spec = lease.spec ?? {};
    this.observe(spec);
    const holder = spec.holderIdentity ?? "";
    const expired = performance.now() > this.observed!.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && !expired) return { ok: false, holder };
    const mine = holder === identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : now,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    // The holder takes what standbys asked for; the write below makes it its own.
    const requested = this.events.takesRequests?.() === false ? undefined : takeHandOff(lease);
    try {
      await this.replace(lease); // resourceVersion makes this fail if someone else wrote first
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return { ok: false, holder: undefined, conflict: true };
      throw err;
    }
    this.observe(lease.spec);
    if (requested) this.events.requested?.(requested);
    return { ok: true, holder: identity };
  }

  private observe(spec: NonNullable<V1Lease["spec"]>): void {
    const record = JSON.stringify([spec.holderIdentity ?? "", String(spec.renewTime ?? ""), spec.leaseTransitions ?? 0]);
    if (this.observed?.record !== record) this.observed = { record, at: performance.now(), holder: spec.holderIdentity ?? "" };
  }

  private async get(): Promise<V1Lease | undefined> {
    const { namespace, name } = this.settings;
    try {
      return await this.cluster.call(`get Lease ${namespace}/${name}`, () => this.cluster.coordination.readNamespacedLease({ namespace, name }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async create(spec: NonNullable<V1Lease["spec"]>): Promise<void> {
    const { namespace, name } = this.settings;
    await this.cluster.call(`create Lease ${namespace}/${name}`, () =>
      this.cluster.coordination.createNamespacedLease({ namespace, body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec } }),
    );
  }

  private async replace(lease: V1Lease): Promise<void> {
    const { namespace, name } = this.settings;
    await this.cluster.call(`update Lease ${namespace}/${name}`, () => this.cluster.coordination.replaceNamespacedLease({ namespace, name, body: lease }));
  }
}

/** client-go's wait.Jitter(retryPeriod, 1.2): spread candidates' attempts. */
function jittered(seconds: number): number {
  return seconds * 1000 * (1 + Math.random() * 1.2);
}
