// Triggers handed from standbys to the leader through the leader-election
// Lease, against a real kube-apiserver: the leader takes a request between
// its renewals, each request exactly once, and standbys writing while the
// leader renews every second never cost it the Lease.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Cluster, clusterTarget, HANDOFF_ANNOTATION, handOffThroughLease, LeaderElector, pendingHandOff, type LeaseSettings, type PendingHandOff } from "../../src/kube/index.ts";
import { mergeHandOff } from "../../src/kube/lease-handoff.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { getJson } from "./helpers.ts";

let kube: KubePeer;
before(async () => {
  kube = await useKube();
});
after(() => kube?.release());

interface LeaseObject {
  metadata: { annotations?: Record<string, string> };
  spec: { holderIdentity?: string; renewTime?: string; leaseTransitions?: number };
}

type Timing = Pick<LeaseSettings, "leaseDurationSeconds" | "renewDeadlineSeconds" | "retryPeriodSeconds">;

function setup(timing: Timing, options: { takes?: () => boolean } = {}) {
  const namespace = uniqueName("handoff");
  kube.kubectl(["create", "namespace", namespace]);
  const cluster = new Cluster(clusterTarget({ kubeconfig: kube.kubeconfig, context: "" }, {})!);
  const lease = { namespace, name: "gitcert" };
  const taken: PendingHandOff[] = [];
  const listeners: Array<() => void> = [];
  const stopped: string[] = [];
  const elector = (identity: string) =>
    new LeaderElector(cluster, { ...lease, identity, ...timing }, {
      takesRequests: options.takes,
      requested: (request) => {
        taken.push(request);
        for (const l of listeners) l();
      },
      stopped: (reason) => stopped.push(reason),
    });
  /** Resolves once `done` holds of what the leader took. */
  const takenUntil = (done: () => boolean) => new Promise<void>((resolve) => (done() ? resolve() : listeners.push(() => done() && resolve())));
  const read = () => getJson<LeaseObject>(kube, ["lease", "gitcert", "-n", namespace]);
  return { namespace, cluster, lease, elector: elector(`leader_${namespace}`), next: elector(`next_${namespace}`), taken, takenUntil, stopped, read };
}

test("a leader renewing every 10 minutes takes a standby's request between renewals; the annotation goes, the Lease stays its own", { timeout: 120_000 }, async (t) => {
  const s = setup({ leaseDurationSeconds: 1800, renewDeadlineSeconds: 1200, retryPeriodSeconds: 600 });
  const leadership = await s.elector.acquire();
  t.after(() => s.elector.release());
  const before = s.read();

  const sent = await handOffThroughLease(s.cluster, s.lease, { triggers: ["renew"], forceRenew: [`${s.namespace}/web`] });
  assert.equal(sent.holder, `leader_${s.namespace}`);
  // Only the look between renewals can explain this: the next renewal is 10 minutes away.
  await s.takenUntil(() => s.taken.length === 1);
  assert.deepEqual({ ...s.taken[0], at: undefined }, { triggers: ["renew"], forceRenew: [`${s.namespace}/web`], at: undefined });
  assert.ok(!Number.isNaN(Date.parse(s.taken[0]!.at)));

  const afterwards = s.read();
  assert.equal(afterwards.metadata.annotations?.[HANDOFF_ANNOTATION], undefined);
  assert.equal(afterwards.spec.holderIdentity, before.spec.holderIdentity);
  assert.equal(afterwards.spec.leaseTransitions, before.spec.leaseTransitions);
  assert.equal(leadership.aborted, false);
});

test("three standbys handing over requests while the leader renews every second: each is taken exactly once and the leader never loses the Lease", { timeout: 120_000 }, async (t) => {
  const s = setup({ leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 1 });
  const leadership = await s.elector.acquire();
  t.after(() => s.elector.release());
  const before = s.read();

  const names = (standby: number) => Array.from({ length: 20 }, (_, i) => `${s.namespace}/cert-${standby}-${i}`);
  const standby = async (n: number) => {
    for (const name of names(n)) await handOffThroughLease(s.cluster, s.lease, { triggers: ["renew"], forceRenew: [name] });
  };
  await Promise.all([0, 1, 2].map(standby));
  const all = [0, 1, 2].flatMap(names);
  const takenNames = () => s.taken.flatMap((r) => (r.forceRenew === "all" ? [] : (r.forceRenew ?? [])));
  await s.takenUntil(() => all.every((name) => takenNames().includes(name)));
  assert.deepEqual(takenNames().sort(), all.sort(), "every request once, none twice");

  assert.deepEqual(s.stopped, []);
  assert.equal(leadership.aborted, false);
  const afterwards = s.read();
  assert.equal(afterwards.spec.holderIdentity, before.spec.holderIdentity);
  assert.equal(afterwards.spec.leaseTransitions, before.spec.leaseTransitions);
  assert.notEqual(afterwards.spec.renewTime, before.spec.renewTime);
});

test("requests pending on the Lease merge: triggers and names once each, `all` covers any list, the first request's time is kept", () => {
  const first = mergeHandOff(undefined, { triggers: ["webhook"] }, new Date("2026-01-01T00:00:00Z"));
  const second = mergeHandOff(first, { triggers: ["renew", "webhook"], forceRenew: ["a/x", "a/y"] }, new Date("2026-01-01T00:00:05Z"));
  const third = mergeHandOff(second, { triggers: ["renew"], forceRenew: ["a/y", "b/z"] }, new Date("2026-01-01T00:00:09Z"));
  assert.deepEqual(third, { at: "2026-01-01T00:00:00.000Z", triggers: ["webhook", "renew"], forceRenew: ["a/x", "a/y", "b/z"] });
  assert.equal(mergeHandOff(third, { triggers: ["renew"], forceRenew: "all" }, new Date()).forceRenew, "all");
  assert.equal(mergeHandOff({ ...third, forceRenew: "all" }, { triggers: ["renew"], forceRenew: ["c/w"] }, new Date()).forceRenew, "all");
  // An annotation written by hand still asks for a reconcile.
  assert.deepEqual(pendingHandOff({ metadata: { annotations: { [HANDOFF_ANNOTATION]: "now please" } } }), { at: "", triggers: ["api"] });
  assert.equal(pendingHandOff({ metadata: {} }), undefined);
});

test("a stopping leader takes no more requests: one left on the Lease survives its renewals and its release, and the next leader takes it", { timeout: 120_000 }, async () => {
  let taking = false;
  const s = setup({ leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 1 }, { takes: () => taking });
  await s.elector.acquire();
  await handOffThroughLease(s.cluster, s.lease, { triggers: ["renew"], forceRenew: [`${s.namespace}/web`] });
  const pendingAt = s.read().spec.renewTime;
  // Renewals go on (renewTime moves), the request stays.
  while (s.read().spec.renewTime === pendingAt) await sleep(200);
  assert.ok(pendingHandOff({ metadata: s.read().metadata }), "still pending after a renewal");
  assert.equal(s.taken.length, 0);

  await s.elector.release();
  assert.ok(pendingHandOff({ metadata: s.read().metadata }), "still pending after the release");
  taking = true;
  await s.next.acquire();
  try {
    await s.takenUntil(() => s.taken.length === 1);
    assert.deepEqual(s.taken[0]!.forceRenew, [`${s.namespace}/web`]);
    assert.equal(s.read().metadata.annotations?.[HANDOFF_ANNOTATION], undefined);
    assert.match(s.read().spec.holderIdentity!, /^next_/);
  } finally {
    await s.next.release();
  }
});
