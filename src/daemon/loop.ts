// The one place reconciles start in a long-running gitcert. One at a time:
// a trigger while a reconcile runs queues exactly one more (later triggers
// join it, and their renew requests are merged), so an overrunning reconcile
// is never started twice and a burst of pushes costs one extra run. Work may
// need permission first (the leader-election gate), and every run gets a
// signal that aborts when leadership is lost or the grace period of a
// shutdown is over.
import { setTimeout as sleep } from "node:timers/promises";

export type Trigger = "start" | "schedule" | "webhook" | "api" | "renew";

export interface RunRequest {
  triggers: Trigger[];
  /** `namespace/name` of Certificates to renew now, or all. */
  forceRenew?: ReadonlySet<string> | "all";
}

export interface RunContext {
  /** Aborts when leadership is lost or a shutdown's grace period is over: stop and leave things clean. */
  signal: AbortSignal;
  /** Call as work advances (a certificate done): /healthz tells a slow run from a stuck one by it. */
  progress(): void;
}

export type Settled<R> = { status: "done"; result: R } | { status: "failed"; error: unknown } | { status: "cancelled"; reason: string };

/**
 * Waits until this process may work and returns a signal that aborts when it
 * no longer may (leadership lost). Rejects when `stop` aborts first.
 */
export type WorkGate = (stop: AbortSignal) => Promise<AbortSignal>;

export interface LoopOptions<R> {
  run(request: RunRequest, context: RunContext): Promise<R>;
  gate?: WorkGate;
  /** Told about every run that ended, for metrics and logs. */
  settled?(request: RunRequest, outcome: Settled<R>, seconds: number): void;
  /** Monotonic milliseconds (tests pass their own). */
  clock?: () => number;
}

interface Batch<R> {
  request: RunRequest;
  waiters: Array<(outcome: Settled<R>) => void>;
}

interface Running<R> extends Batch<R> {
  waiting: boolean;
  startedAt: number;
  lastProgressAt: number;
  abort: AbortController;
  finished: Promise<void>;
}

export interface LoopStatus {
  /** `waiting`: the run waits at the gate (a standby for the Lease), not stuck. */
  running?: { triggers: Trigger[]; startedAt: number; lastProgressAt: number; waiting: boolean };
  queued: boolean;
  stopping: boolean;
  /** The last run that ended: when, and whether it did its work. */
  last?: { endedAt: number; status: Settled<unknown>["status"] };
}

export class ReconcileLoop<R> {
  readonly #options: LoopOptions<R>;
  readonly #clock: () => number;
  readonly #stop = new AbortController();
  #running: Running<R> | undefined;
  #queued: Batch<R> | undefined;
  #last: LoopStatus["last"];
  #lastResult: Settled<R> | undefined;

  constructor(options: LoopOptions<R>) {
    this.#options = options;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /**
   * Asks for a reconcile. Resolves when the run that covers this request has
   * ended; undefined once the loop is stopping (no new work is taken).
   */
  request(trigger: Trigger, forceRenew?: ReadonlySet<string> | "all"): Promise<Settled<R>> | undefined {
    if (this.#stop.signal.aborted) return undefined;
    return new Promise((resolve) => {
      if (this.#queued) {
        this.#queued.request = merge(this.#queued.request, trigger, forceRenew);
        this.#queued.waiters.push(resolve);
        return;
      }
      this.#queued = { request: merge({ triggers: [] }, trigger, forceRenew), waiters: [resolve] };
      if (!this.#running) this.#startQueued();
    });
  }

  status(): LoopStatus {
    const r = this.#running;
    return {
      running: r && { triggers: r.request.triggers, startedAt: r.startedAt, lastProgressAt: r.lastProgressAt, waiting: r.waiting },
      queued: this.#queued !== undefined,
      stopping: this.#stop.signal.aborted,
      last: this.#last,
    };
  }

  /** What the last run that ended returned (readiness reads it). */
  lastOutcome(): Settled<R> | undefined {
    return this.#lastResult;
  }

  /**
   * Takes no new work, drops the queued run, lets the running one finish
   * within `graceMs`, then aborts it and waits up to `abandonMs` for it to
   * clean up. Resolves to whether the running work had to be abandoned.
   */
  async stop(graceMs: number, abandonMs = 5_000): Promise<{ abandoned: boolean }> {
    this.#stop.abort(new Error("gitcert is shutting down"));
    const queued = this.#queued;
    this.#queued = undefined;
    for (const resolve of queued?.waiters ?? []) resolve({ status: "cancelled", reason: "gitcert is shutting down" });
    const running = this.#running;
    if (!running) return { abandoned: false };
    if (await finishesWithin(running.finished, graceMs)) return { abandoned: false };
    running.abort.abort(new Error(`the shutdown grace period (${Math.round(graceMs / 1000)} s) is over`));
    await finishesWithin(running.finished, abandonMs);
    return { abandoned: true };
  }

  #startQueued(): void {
    const batch = this.#queued;
    if (!batch || this.#stop.signal.aborted) return;
    this.#queued = undefined;
    const now = this.#clock();
    const abort = new AbortController();
    const running: Running<R> = { ...batch, waiting: this.#options.gate !== undefined, startedAt: now, lastProgressAt: now, abort, finished: Promise.resolve() };
    this.#running = running;
    running.finished = this.#execute(running).then((outcome) => {
      const seconds = (this.#clock() - running.startedAt) / 1000;
      this.#running = undefined;
      if (outcome.status !== "cancelled") {
        this.#last = { endedAt: this.#clock(), status: outcome.status };
        this.#lastResult = outcome;
      }
      try {
        this.#options.settled?.(running.request, outcome, seconds);
      } finally {
        for (const resolve of running.waiters) resolve(outcome);
        this.#startQueued();
      }
    });
  }

  async #execute(running: Running<R>): Promise<Settled<R>> {
    let leadership: AbortSignal | undefined;
    try {
      if (this.#options.gate) leadership = await this.#options.gate(this.#stop.signal);
    } catch (error) {
      if (this.#stop.signal.aborted) return { status: "cancelled", reason: "gitcert is shutting down" };
      return { status: "failed", error };
    }
    if (this.#stop.signal.aborted) return { status: "cancelled", reason: "gitcert is shutting down" };
    // The run starts now: however long the gate kept it (a standby waits for hours), it was not stuck.
    running.waiting = false;
    running.startedAt = running.lastProgressAt = this.#clock();
    // Shutdown aborts a run only after its grace period (stop() does that), not at once.
    const signal = leadership ? AbortSignal.any([running.abort.signal, leadership]) : running.abort.signal;
    const progress = () => {
      running.lastProgressAt = this.#clock();
    };
    try {
      return { status: "done", result: await this.#options.run(running.request, { signal, progress }) };
    } catch (error) {
      return { status: "failed", error };
    }
  }
}

function merge(request: RunRequest, trigger: Trigger, forceRenew: ReadonlySet<string> | "all" | undefined): RunRequest {
  const triggers = request.triggers.includes(trigger) ? request.triggers : [...request.triggers, trigger];
  let force = request.forceRenew;
  if (forceRenew === "all" || force === "all") force = "all";
  else if (forceRenew) force = new Set([...(force ?? []), ...forceRenew]);
  return { triggers, forceRenew: force };
}

async function finishesWithin(work: Promise<void>, ms: number): Promise<boolean> {
  const timeout = new AbortController();
  const timer = sleep(ms, false, { signal: timeout.signal }).catch(() => false);
  const done = await Promise.race([work.then(() => true), timer]);
  timeout.abort();
  return done;
}
