import assert from "node:assert/strict";
import { test } from "node:test";
import { liveness, readiness } from "../../src/daemon/health.ts";
import { ReconcileLoop, type RunContext, type RunRequest } from "../../src/daemon/loop.ts";

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A loop whose runs block until the test releases them. */
function controlledLoop() {
  const runs: Array<{ request: RunRequest; context: RunContext; release: (value: string) => void }> = [];
  let active = 0;
  let maxActive = 0;
  const started: Array<() => void> = [];
  const loop = new ReconcileLoop<string>({
    run: (request, context) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const gate = deferred<string>();
      runs.push({ request, context, release: gate.resolve });
      started.shift()?.();
      return gate.promise.finally(() => active--);
    },
  });
  const nextStart = () => new Promise<void>((resolve) => started.push(resolve));
  return { loop, runs, nextStart, maxActive: () => maxActive };
}

test("one reconcile at a time: triggers during a run queue exactly one more, and all wait for it", async () => {
  const { loop, runs, nextStart, maxActive } = controlledLoop();
  const starting = nextStart();
  const first = loop.request("start")!;
  await starting;
  const during = [loop.request("webhook")!, loop.request("schedule")!, loop.request("webhook")!, loop.request("api")!];
  assert.equal(runs.length, 1);
  assert.equal(loop.status().queued, true);
  const secondStarts = nextStart();
  runs[0]!.release("first");
  assert.deepEqual(await first, { status: "done", result: "first" });
  await secondStarts;
  assert.equal(runs.length, 2);
  assert.deepEqual(runs[1]!.request.triggers, ["webhook", "schedule", "api"]);
  runs[1]!.release("second");
  for (const outcome of await Promise.all(during)) assert.deepEqual(outcome, { status: "done", result: "second" });
  assert.equal(runs.length, 2);
  assert.equal(maxActive(), 1);
});

test("renew requests queued during a run are merged; `all` covers every name", async () => {
  const { loop, runs, nextStart } = controlledLoop();
  const starting = nextStart();
  void loop.request("schedule");
  await starting;
  void loop.request("renew", new Set(["web/site"]));
  void loop.request("renew", new Set(["api/edge", "web/site"]));
  let second = nextStart();
  runs[0]!.release("");
  await second;
  assert.deepEqual([...(runs[1]!.request.forceRenew as Set<string>)].sort(), ["api/edge", "web/site"]);
  void loop.request("renew", new Set(["web/site"]));
  void loop.request("renew", "all");
  second = nextStart();
  runs[1]!.release("");
  await second;
  assert.equal(runs[2]!.request.forceRenew, "all");
  runs[2]!.release("");
});

test("a failed run is reported and the loop carries on", async () => {
  let calls = 0;
  const loop = new ReconcileLoop<number>({
    run: async () => {
      calls++;
      if (calls === 1) throw new Error("remote unreachable");
      return calls;
    },
  });
  const failed = await loop.request("start")!;
  assert.equal(failed.status, "failed");
  assert.equal((failed as { error: Error }).error.message, "remote unreachable");
  assert.deepEqual(await loop.request("schedule")!, { status: "done", result: 2 });
  assert.equal(loop.status().last?.status, "done");
});

test("stop: the run in flight finishes within the grace period; queued work is dropped; no new work is taken", async () => {
  const { loop, runs, nextStart } = controlledLoop();
  const starting = nextStart();
  const inFlight = loop.request("start")!;
  await starting;
  const queued = loop.request("webhook")!;
  const stopping = loop.stop(10_000);
  assert.equal(loop.request("api"), undefined);
  assert.deepEqual(await queued, { status: "cancelled", reason: "gitcert is shutting down" });
  runs[0]!.release("finished");
  assert.deepEqual(await stopping, { abandoned: false });
  assert.deepEqual(await inFlight, { status: "done", result: "finished" });
  assert.equal(runs[0]!.context.signal.aborted, false);
  assert.equal(runs.length, 1);
});

test("stop: past the grace period the run's signal aborts, saying why, and the run winds down", async () => {
  let sawReason = "";
  const loop = new ReconcileLoop<string>({
    run: (_request, { signal }) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          sawReason = (signal.reason as Error).message;
          reject(signal.reason);
        });
      }),
  });
  const inFlight = loop.request("start")!;
  assert.deepEqual(await loop.stop(50), { abandoned: true });
  assert.match(sawReason, /shutdown grace period \(0 s\) is over/);
  assert.equal((await inFlight).status, "failed");
});

test("the work gate: runs wait to lead, losing the lease aborts the run at once, the next run waits again", async () => {
  let leadership = new AbortController();
  let granted = deferred();
  let asked = 0;
  const signals: AbortSignal[] = [];
  const loop = new ReconcileLoop<string>({
    gate: async () => {
      asked++;
      await granted.promise;
      return leadership.signal;
    },
    run: (_request, { signal }) => {
      signals.push(signal);
      return new Promise((resolve, reject) => {
        if (signals.length > 1) return resolve("second");
        signal.addEventListener("abort", () => reject(signal.reason));
      });
    },
  });
  const first = loop.request("start")!;
  await new Promise((r) => setImmediate(r));
  assert.equal(signals.length, 0, "no work before leading");
  granted.resolve();
  await new Promise((r) => setImmediate(r));
  assert.equal(signals.length, 1);
  leadership.abort(new Error("lost leadership: the Lease is now held by gitcert-1"));
  const lost = await first;
  assert.equal(lost.status, "failed");
  assert.match(((lost as { error: Error }).error).message, /lost leadership/);

  leadership = new AbortController();
  granted = deferred();
  const second = loop.request("schedule")!;
  await new Promise((r) => setImmediate(r));
  assert.equal(asked, 2);
  assert.equal(signals.length, 1, "waits for the lease again");
  granted.resolve();
  assert.deepEqual(await second, { status: "done", result: "second" });
});

test("a stop while waiting for the lease cancels the waiting run", async () => {
  const loop = new ReconcileLoop<string>({
    gate: (stop) => new Promise((_resolve, reject) => stop.addEventListener("abort", () => reject(stop.reason))),
    run: async () => "never",
  });
  const waiting = loop.request("start")!;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(await loop.stop(1000), { abandoned: false });
  assert.deepEqual(await waiting, { status: "cancelled", reason: "gitcert is shutting down" });
});

test("liveness: a long run that reports progress is alive; a silent one is stuck", () => {
  const status = { running: { triggers: ["start" as const], startedAt: 0, lastProgressAt: 50_000, waiting: false }, queued: false, stopping: false };
  assert.equal(liveness(status, 60_000, 30_000).ok, true);
  const stuck = liveness(status, 90_000, 30_000);
  assert.equal(stuck.ok, false);
  assert.equal(stuck.detail, "the reconcile started 90 s ago has made no progress for 40 s");
  assert.equal(liveness({ queued: false, stopping: false }, 1e9, 30_000).ok, true);
});

test("liveness: a standby waiting hours for the Lease is alive; the clock of its run starts when it leads", async () => {
  const clock = { now: 0 };
  const granted = deferred();
  const loop = new ReconcileLoop<string>({
    clock: () => clock.now,
    gate: async () => {
      await granted.promise;
      return new AbortController().signal;
    },
    run: () => new Promise(() => undefined),
  });
  void loop.request("start");
  await new Promise((r) => setImmediate(r));
  clock.now = 5 * 3600_000;
  assert.deepEqual(liveness(loop.status(), clock.now, 900_000), { ok: true, detail: "standby: waiting for the Lease" });
  granted.resolve();
  await new Promise((r) => setImmediate(r));
  clock.now += 60_000;
  const leading = liveness(loop.status(), clock.now, 900_000);
  assert.deepEqual(leading, { ok: true, detail: "reconciling for 60 s" });
  clock.now += 900_001;
  assert.equal(liveness(loop.status(), clock.now, 900_000).ok, false, "once leading, a silent run is stuck again");
});

test("readiness: after a finished reconcile that reached the remote; on a standby too; never while stopping", () => {
  const finished = { queued: false, stopping: false, last: { endedAt: 1000, status: "done" as const } };
  assert.deepEqual(readiness({ status: { queued: false, stopping: false }, now: 0 }), { ok: false, detail: "no reconcile has finished yet" });
  assert.equal(readiness({ status: finished, now: 3000, remote: { reachable: true } }).detail, "the last reconcile ended 2 s ago (done)");
  assert.equal(readiness({ status: finished, now: 3000, remote: { reachable: false, detail: "could not resolve host" } }).ok, false);
  // A standby answers HTTP-01 and must not hold up a rolling update: ready, and says why.
  const standby = readiness({ status: { queued: false, stopping: false }, now: 3000, leading: false });
  assert.equal(standby.ok, true);
  assert.match(standby.detail, /^standby: another replica holds the Lease/);
  assert.equal(readiness({ status: { queued: false, stopping: true }, now: 3000, leading: false }).ok, false, "a standby shutting down is not");
  assert.equal(readiness({ status: { ...finished, stopping: true }, now: 3000, remote: { reachable: true } }).ok, false);
});
