// Leader election between real gitcert processes against one API server.
// The leader is kept busy inside its reconcile by an ACME server that
// accepts requests and never answers, so the test sees exactly who works:
// each request that reaches it is one replica issuing.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { listenOnLoopback } from "../peers/loopback.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { CLI, getJson, gitcert, gitopsRepo, installCrds } from "./helpers.ts";

let kube: KubePeer;
before(async () => {
  kube = await useKube();
  installCrds(kube);
});
after(() => kube?.release());

const LEASE = { duration: 3, renew: 2, retry: 1 };

interface Lease {
  spec: { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

/** An ACME "server" that takes every request and answers none; `requests` counts them. */
async function silentAcme(t: TestContext) {
  const requests: IncomingMessage[] = [];
  const listening = await listenOnLoopback(createServer((req) => requests.push(req)));
  t.after(() => listening.close());
  return { url: `${listening.url}/dir`, requests };
}

async function setup(t: TestContext) {
  const ns = uniqueName("leader");
  kube.kubectl(["create", "namespace", ns]);
  const acme = await silentAcme(t);
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: acme, namespace: ${ns}}\nspec:\n  acme:\n    server: ${acme.url}\n    privateKeySecretRef: {name: account}\n    solvers: [{http01: {ingress: {}}}]\n`,
    "apps/certificate.yaml": `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: ${ns}}\nspec:\n  secretName: web-tls\n  dnsNames: [web.example.test]\n  issuerRef: {name: acme}\n`,
  });
  const children: ChildProcess[] = [];
  t.after(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL")));
  /** One gitcert replica: `run --once`, leader election in this test's namespace. */
  const replica = (name: string) => {
    const child = spawn(
      process.execPath,
      [CLI, "run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, `work-${name}`), "--kubeconfig", kube.kubeconfig,
        "--leader-election-namespace", ns, "--leader-election-lease-duration-seconds", String(LEASE.duration),
        "--leader-election-renew-deadline-seconds", String(LEASE.renew), "--leader-election-retry-period-seconds", String(LEASE.retry)],
      { env: { PATH: process.env.PATH!, HOME: repo.dir, SOPS_AGE_KEY: repo.identity, POD_NAME: name, GITCERT_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    children.push(child);
    return { child, exited, output: () => output };
  };
  const lease = () => getJson<Lease>(kube, ["lease", "gitcert", "-n", ns]);
  return { ns, acme, replica, lease };
}

async function until(what: string, check: () => boolean, detail: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not happen in 60 s\n${detail()}`);
}

test("two replicas: one issues, the other waits; the leader is killed and the other takes over once its lease ran out", async (t) => {
  const { acme, replica, lease } = await setup(t);
  const a = replica("replica-a");
  await until("replica a's first request to the CA", () => acme.requests.length === 1, a.output);
  assert.match(lease().spec.holderIdentity ?? "", /^replica-a_/);

  const b = replica("replica-b");
  await until("replica b waiting for the Lease", () => /another gitcert leads; waiting for the Lease/.test(b.output()), b.output);
  await sleep(LEASE.duration * 1000 + 500); // longer than a lease: a renews, b keeps waiting
  assert.equal(acme.requests.length, 1, "only the leader reached the CA");
  assert.match(lease().spec.holderIdentity ?? "", /^replica-a_/);

  a.child.kill("SIGKILL");
  await a.exited;
  const last = lease().spec; // a can renew no more: this is its last word
  await until("replica b's request to the CA", () => acme.requests.length === 2, b.output);
  const taken = lease().spec;
  assert.match(taken.holderIdentity ?? "", /^replica-b_/);
  assert.equal(taken.leaseTransitions, (last.leaseTransitions ?? 0) + 1);
  // b waited for a's lease to run out on its own clock, never less (no two leaders).
  const waited = new Date(taken.acquireTime!).getTime() - new Date(last.renewTime!).getTime();
  assert.ok(waited >= LEASE.duration * 1000 - 50, `b took over ${waited} ms after a's last renewal, before its ${LEASE.duration} s lease ran out`);
  t.diagnostic(`takeover ${waited} ms after the dead leader's last renewal (lease ${LEASE.duration} s, retry ${LEASE.retry} s)`);
  assert.match(b.output(), /leading: this replica reconciles/);
});

test("a leader that loses the Lease stops at once, mid-issuance", async (t) => {
  const { acme, replica, lease } = await setup(t);
  const a = replica("replica-a");
  await until("the leader's request to the CA", () => acme.requests.length === 1, a.output);
  // Someone else holds the Lease now (an administrator, a partitioned leader's successor).
  for (let attempt = 1; ; attempt++) {
    const stolen = lease();
    stolen.spec = { ...stolen.spec, holderIdentity: "thief", renewTime: new Date().toISOString().replace("Z", "000Z") };
    try {
      kube.kubectl(["replace", "-f", "-"], { input: JSON.stringify(stolen) });
      break;
    } catch (err) {
      if (attempt > 5 || !/Conflict|modified/.test(String(err))) throw err; // the leader renewed in between
    }
  }
  const code = await a.exited;
  assert.equal(code, 1, a.output());
  assert.match(a.output(), /lost leadership: the Lease is now held by thief/);
  assert.doesNotMatch(a.output(), /committed/);
  assert.equal(lease().spec.holderIdentity, "thief", "the loser does not touch the Lease on its way out");
});

test("no right to the Lease is a configuration error naming the RBAC, not an endless wait (exit 2)", async (t) => {
  const ns = uniqueName("norights");
  kube.kubectl(["create", "namespace", ns]);
  kube.kubectl(["create", "serviceaccount", "gitcert", "-n", ns]);
  const repo = await gitopsRepo(t, {});
  const account = kube.serviceAccountKubeconfig(ns, "gitcert", repo.dir);
  const run = await gitcert(["run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, "work"), "--kubeconfig", account], { HOME: repo.dir, SOPS_AGE_KEY: repo.identity, GITCERT_LOG_LEVEL: "error" });
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, new RegExp(`leader election: get Lease ${ns}/gitcert: leases.coordination.k8s.io "gitcert" is forbidden: .*deploy/controller/rbac.yaml`));
});
