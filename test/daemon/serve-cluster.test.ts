// `gitcert serve` replicas against a real kube-apiserver, as processes with
// real leader election (a 3 s Lease): exactly one reconciles while both are
// Ready; both answer an HTTP-01 challenge the leader presented (the standby
// from its record in the cluster); when the leader is killed, the standby
// takes the Lease, sweeps what the dead leader left of its challenges before
// its first reconcile, and never committed anything while it stood by; a
// leader stopped with SIGTERM hands over to the next standby. A standby hands
// the pushes and API requests it receives to the leader through the Lease.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { http01Routes, Http01Server, type Http01RouteContext } from "../../src/acme/http01/index.ts";
import { Cluster, ClusterHttp01, clusterTarget } from "../../src/kube/index.ts";
import { certificateSpec } from "../fixtures/certificate-spec.ts";
import { getJson, gitcert, gitopsRepo, installCrds } from "../kube/helpers.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { startServe, type ServeProcess } from "./helpers.ts";

let kube: KubePeer;
before(async () => {
  kube = await useKube();
  installCrds(kube);
});
after(() => kube?.release());

const TOKEN = "serve-cluster-token-0123456789abcdefXYZ";
const API_TOKEN = "api-token-for-serve-cluster-tests";

function get(address: string, path: string, host?: string): Promise<{ status: number; body: string }> {
  const [hostname, port] = address.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), path, headers: host ? { host } : {}, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const message = (text: string) => (l: Record<string, unknown>) => l.msg === text;

/** A serve replica and where it listens: probes, hooks, HTTP-01. */
async function replica(t: TestContext, env: Record<string, string>, name: string) {
  const serve = startServe(t, { ...env, POD_NAME: name, GITCERT_WORKDIR: join(env.HOME!, `work-${name}`) });
  const http01 = await serve.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("answering HTTP-01 on every replica"));
  const started = await serve.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("gitcert serve: reconciling now"));
  const listeners = started.listeners as string[];
  const on = (route: string) => listeners.find((l) => l.includes(route))!.split(" ")[0]!;
  return { serve, name, probes: on("health"), hooks: on("webhook"), http01: http01.address as string };
}

function reconcileNow(hooks: string): Promise<number> {
  return fetch(`http://${hooks}/reconcile`, { method: "POST", headers: { authorization: `Bearer ${API_TOKEN}` } }).then((r) => r.status);
}

const selfSignedIssuer = (ns: string) => `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: selfsigned, namespace: ${ns}}\nspec: {selfSigned: {}}\n`;

/** A Certificate `name` for `name.<ns>.example.test` in Secret `name-tls`, from the self-signed Issuer. */
const certificate = (ns: string, name: string) =>
  `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  secretName: ${name}-tls\n  dnsNames: [${name}.${ns}.example.test]\n  issuerRef: {name: selfsigned}\n`;

/** What every replica in these tests shares: the repository, the cluster, a 3 s Lease in `ns`, listeners on free loopback ports. */
function replicaEnv(repo: { dir: string; identity: string; remote: string }, ns: string, instance: string): Record<string, string> {
  return {
    HOME: repo.dir,
    SOPS_AGE_KEY: repo.identity,
    GITCERT_REPO: repo.remote,
    GITCERT_LOG_LEVEL: "info",
    GITCERT_INSTANCE: instance,
    KUBECONFIG: kube.kubeconfig,
    GITCERT_LEADER_ELECTION_NAMESPACE: ns,
    GITCERT_LEADER_ELECTION_LEASE_DURATION_SECONDS: "3",
    GITCERT_LEADER_ELECTION_RENEW_DEADLINE_SECONDS: "2",
    GITCERT_LEADER_ELECTION_RETRY_PERIOD_SECONDS: "1",
    GITCERT_SERVE_SCHEDULE: "0 0 1 1 *", // once a year: only a trigger explains a reconcile during a test
    GITCERT_SERVE_TOKEN: API_TOKEN,
    GITCERT_SERVE_ADDRESS: "127.0.0.1",
    GITCERT_SERVE_PORT: "0",
    GITCERT_SERVE_METRICS_ADDRESS: "127.0.0.1",
    GITCERT_SERVE_METRICS_PORT: "0",
    GITCERT_ACME_HTTP01_ADDRESS: "127.0.0.1",
    GITCERT_ACME_HTTP01_PORT: "0",
  };
}

/** The index of the first line matching, or -1. */
function lineOf(serve: ServeProcess, match: (l: Record<string, unknown>) => boolean): number {
  return serve.lines.findIndex(match);
}

test("two serve replicas: one reconciles, both are Ready and answer the leader's HTTP-01 challenge; the leader killed, the standby sweeps its leftovers, then takes over", async (t) => {
  const ns = uniqueName("serve");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, { "apps/issuer.yaml": selfSignedIssuer(ns), "apps/certificate.yaml": certificate(ns, "web") });
  const instance = uniqueName("serve");
  const env = replicaEnv(repo, ns, instance);
  const commits = () => Number(execFileSync("git", ["--git-dir", join(repo.dir, "remote.git"), "rev-list", "--count", "main"], { encoding: "utf8" }));

  const a = await replica(t, env, "replica-a");
  await a.serve.waitFor(message("leading: this replica reconciles"));
  await a.serve.waitFor(message("reconcile finished"));
  const issued = commits();
  assert.ok(issued >= 2, "the leader issued and pushed the Certificate's Secret");

  const b = await replica(t, env, "replica-b");
  await b.serve.waitFor(message("another gitcert leads; waiting for the Lease"));
  // Both Ready: the leader after its reconcile, the standby as a standby (a rolling update does not wait for it to lead).
  assert.deepEqual(await get(a.probes, "/readyz").then((r) => r.status), 200);
  const standby = await get(b.probes, "/readyz");
  assert.equal(standby.status, 200, standby.body);
  assert.match(standby.body, /standby/);
  assert.match((await get(b.probes, "/healthz")).body, /^ok: standby: waiting for the Lease/);

  // Asked to reconcile, both accept; only the leader works.
  assert.equal(await reconcileNow(b.hooks), 202);
  assert.equal(await reconcileNow(a.hooks), 202);
  await a.serve.waitFor((l) => l.msg === "reconcile finished" && a.serve.lines.filter(message("reconcile finished")).length === 2);
  assert.equal(lineOf(b.serve, message("reconcile finished")), -1, "the standby did not reconcile");

  // The leader's session presents an HTTP-01 challenge, as its ACME issuer does: the backend Service with the record, the Ingress.
  const host = `web.${ns}.example.test`;
  const keyAuthorization = `${TOKEN}.thumbprint-of-the-account-key`;
  const leaderCluster = new ClusterHttp01(new Cluster(clusterTarget({ kubeconfig: kube.kubeconfig, context: "" }, {})!), instance, {
    backend: "externalName",
    externalName: "localhost",
    externalNamePort: 80,
    listenerPort: 0,
  });
  const context: Http01RouteContext = {
    solver: { ingress: {} },
    certificate: { name: "web", namespace: ns, labels: {}, spec: certificateSpec(), source: { file: "apps/certificate.yaml", line: 1 } },
    issuer: { kind: "Issuer", name: "acme", namespace: ns, spec: {}, source: { file: "apps/issuer.yaml", line: 1 } },
  };
  const leaderListener = new Http01Server({ port: 0, mounted: true });
  for (const route of http01Routes({ listener: leaderListener, cluster: leaderCluster })) await route.present({ identifier: host, token: TOKEN, keyAuthorization }, context);
  const solverObjects = () => kube.kubectl(["get", "ingresses,services", "-n", ns, "-l", "gitcert.dev/purpose=http01-solver", "-o", "name"]).trim().split("\n").filter(Boolean);
  assert.equal(solverObjects().length, 2, "a challenge Ingress and its backend Service");

  // Whichever replica the solver Service picks answers the CA.
  for (const r of [b, a]) {
    assert.deepEqual(await get(r.http01, `/.well-known/acme-challenge/${TOKEN}`, host), { status: 200, body: keyAuthorization }, `${r.name} answers the leader's challenge`);
    assert.equal((await get(r.http01, `/.well-known/acme-challenge/${TOKEN}`, `other.${ns}.example.test`)).status, 404, `${r.name}: only for the challenge's host`);
    assert.equal((await get(r.http01, "/.well-known/acme-challenge/unknown-token-0123456789abcdef", host)).status, 404, `${r.name}: an unknown token`);
  }

  // The leader dies mid-challenge: its objects stay behind until the next leader sweeps them.
  a.serve.kill("SIGKILL");
  await a.serve.exited;
  const leading = await b.serve.waitFor(message("leading: this replica reconciles"));
  const finished = await b.serve.waitFor(message("reconcile finished"));
  const swept = b.serve.lines.find(message("removed what an earlier gitcert left of its HTTP-01 challenges"));
  assert.ok(swept, JSON.stringify(b.serve.lines.slice(-10)));
  const removed = swept.removed as string[];
  assert.ok(removed.some((r) => r.startsWith(`Ingress ${ns}/cm-acme-http-solver-`)), removed.join("; "));
  assert.ok(removed.some((r) => r.startsWith(`Service ${ns}/cm-acme-http-solver-`)), removed.join("; "));
  assert.ok(b.serve.lines.indexOf(leading) < b.serve.lines.indexOf(swept) && b.serve.lines.indexOf(swept) < b.serve.lines.indexOf(finished), "swept once leading, before its first reconcile");
  assert.deepEqual(solverObjects(), []);
  assert.equal(lineOf(b.serve, message("reconcile finished")), b.serve.lines.indexOf(finished), "no reconcile before it led");
  assert.equal(commits(), issued, "nothing was due: the new leader made no commit");
  assert.equal((await get(b.http01, `/.well-known/acme-challenge/${TOKEN}`, host)).status, 404, "the swept challenge is answered no more");
  assert.equal((await get(b.probes, "/readyz")).status, 200);

  // A leader stopped with SIGTERM (a rolling update) hands over to the next standby.
  const c = await replica(t, env, "replica-c");
  await c.serve.waitFor(message("another gitcert leads; waiting for the Lease"));
  assert.equal((await get(c.probes, "/readyz")).status, 200);
  b.serve.kill("SIGTERM");
  assert.equal(await b.serve.exited, 0);
  await assert.rejects(get(b.http01, `/.well-known/acme-challenge/${TOKEN}`, host), /ECONNREFUSED/, "the responder closed with the process");
  await c.serve.waitFor(message("leading: this replica reconciles"));
  await c.serve.waitFor(message("reconcile finished"));
  assert.equal(commits(), issued, "still nothing due, still no commit");
  c.serve.kill("SIGTERM");
  assert.equal(await c.serve.exited, 0);
});

const WEBHOOK_SECRET = "serve-cluster-webhook-secret";

/** A GitHub push webhook for `main`, signed with `secret` (unsigned without one). */
function githubPush(hooks: string, secret?: string): Promise<Response> {
  const body = JSON.stringify({ ref: "refs/heads/main", after: "1".repeat(40) });
  const signature = secret ? { "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` } : {};
  return fetch(`http://${hooks}/webhook`, { method: "POST", headers: { "content-type": "application/json", "x-github-event": "push", ...signature }, body });
}

interface LeaseObject {
  metadata: { annotations?: Record<string, string> };
  spec: { holderIdentity?: string; renewTime?: string; leaseTransitions?: number };
}

test("a leader that loses its Lease runs on as a standby and reports no Certificates: the replica that leads now does", async (t) => {
  const ns = uniqueName("serve");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, { "apps/issuer.yaml": selfSignedIssuer(ns), "apps/certificate.yaml": certificate(ns, "web") });
  const a = await replica(t, replicaEnv(repo, ns, uniqueName("serve")), "replica-a");
  await a.serve.waitFor(message("reconcile finished"));
  const scraped = async () => (await get(a.probes, "/metrics")).body.split("\n");
  const inventory = (lines: string[]) => lines.filter((l) => /^(certmanager_certificate_\w+|certmanager_issuer_ready_status|gitcert_certificates)\{/.test(l));
  const leading = await scraped();
  assert.ok(leading.includes(`certmanager_certificate_ready_status{name="web",namespace="${ns}",issuer_name="selfsigned",issuer_kind="Issuer",issuer_group="cert-manager.io",condition="True"} 1`), inventory(leading).join("\n"));
  assert.ok(inventory(leading).some((l) => l.startsWith("gitcert_certificates{")));

  // Another replica holds the Lease now, as one does once a leader could not renew it in time: a's next renewal finds it taken.
  const lease = kube.kubectl(["get", "leases", "-n", ns, "-o", "name"]).trim();
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  kube.kubectl(["patch", lease, "-n", ns, "--type=merge", "-p", JSON.stringify({ spec: { holderIdentity: "replica-z", leaseDurationSeconds: 3600, renewTime: now } })]);
  await a.serve.waitFor((l) => l.msg === "stopped leading: the Lease is now held by replica-z");

  const standby = await scraped();
  assert.deepEqual(inventory(standby), [], "the standby reports no Certificate, Issuer or plan action of its own");
  // What is true of this process stays: it did finish a reconcile.
  assert.ok(Number(standby.find((l) => l.startsWith("gitcert_last_successful_reconcile_timestamp_seconds "))?.split(" ")[1]) > 0);
  assert.match((await get(a.probes, "/readyz")).body, /standby/);
});

test("a standby hands a push webhook and a renew request to the leader through the Lease: the leader reconciles and pushes at once; an unsigned webhook triggers nothing; the Lease stays the leader's", async (t) => {
  const ns = uniqueName("handoff");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, { "apps/issuer.yaml": selfSignedIssuer(ns), "apps/web.yaml": certificate(ns, "web") });
  const env = { ...replicaEnv(repo, ns, uniqueName("handoff")), GITCERT_WEBHOOK_SECRET: WEBHOOK_SECRET };
  const remoteGit = (...args: string[]) => execFileSync("git", ["--git-dir", join(repo.dir, "remote.git"), ...args], { encoding: "utf8" }).trim();
  const blob = (path: string) => remoteGit("rev-parse", `main:${path}`);
  const lease = () => getJson<LeaseObject>(kube, ["lease", "gitcert", "-n", ns]);
  const finished = (serve: ServeProcess, trigger: string) => serve.lines.filter((l) => l.msg === "reconcile finished" && (l.triggers as string[]).includes(trigger));

  const a = await replica(t, env, "replica-a");
  await a.serve.waitFor(message("leading: this replica reconciles"));
  await a.serve.waitFor(message("reconcile finished"));
  const b = await replica(t, env, "replica-b");
  await b.serve.waitFor(message("another gitcert leads; waiting for the Lease"));
  const before = lease();
  assert.match(before.spec.holderIdentity!, /^replica-a_/);
  const webBefore = blob("apps/web-tls.sops.yaml");

  // Unsigned: refused, nothing written to the Lease, nothing handed over.
  const unsigned = await githubPush(b.hooks);
  assert.equal(unsigned.status, 401);
  assert.equal(lease().metadata.annotations?.["gitcert.dev/reconcile-requested"], undefined);

  // A new Certificate pushed; the forge's webhook lands on the standby.
  repo.push({ "apps/api.yaml": certificate(ns, "api") }, "add the api Certificate");
  const pushed = await githubPush(b.hooks, WEBHOOK_SECRET);
  assert.equal(pushed.status, 202);
  const handed = (await pushed.json()) as { handedOff: boolean; leader: string; message: string };
  assert.equal(handed.handedOff, true);
  assert.equal(handed.leader, before.spec.holderIdentity);
  assert.match(handed.message, /standby.*cannot be awaited here/);
  const took = await a.serve.waitFor(message("took a request a standby handed over through the Lease"));
  assert.deepEqual(took.triggers, ["webhook"]);
  await a.serve.waitFor((l) => finished(a.serve, "webhook").length === 1);
  assert.ok(blob("apps/api-tls.sops.yaml"), "the leader issued the pushed Certificate and pushed its encrypted Secret");
  assert.equal(blob("apps/web-tls.sops.yaml"), webBefore, "nothing else was due");
  assert.equal(lease().metadata.annotations?.["gitcert.dev/reconcile-requested"], undefined, "the leader took the request off the Lease");

  // `gitcert renew NS/NAME` against the standby: the leader renews it.
  const renew = await gitcert(["renew", `${ns}/web`], { PATH: process.env.PATH!, HOME: repo.dir, GITCERT_REPO: repo.remote, GITCERT_SERVE_ADDRESS: "127.0.0.1", GITCERT_SERVE_PORT: b.hooks.split(":")[1]!, GITCERT_SERVE_TOKEN: API_TOKEN });
  assert.equal(renew.code, 0, renew.stderr);
  assert.match(renew.stdout, /standby: it handed the request to the leader, replica-a_/);
  await a.serve.waitFor((l) => finished(a.serve, "renew").length === 1);
  assert.deepEqual(a.serve.lines.filter(message("took a request a standby handed over through the Lease")).map((l) => l.renew), [undefined, [`${ns}/web`]]);
  assert.notEqual(blob("apps/web-tls.sops.yaml"), webBefore, "the leader renewed web and pushed its new Secret");

  // `?wait=true` on a standby: handed over too, and the answer says the result cannot be awaited there.
  const waited = await fetch(`http://${b.hooks}/reconcile?wait=true`, { method: "POST", headers: { authorization: `Bearer ${API_TOKEN}` } });
  assert.equal(waited.status, 202);
  assert.match(((await waited.json()) as { message: string }).message, /cannot be awaited here \(wait=true/);
  await a.serve.waitFor((l) => finished(a.serve, "api").length === 1);

  // The standby only handed over: it never led, never reconciled; the leader kept the Lease throughout.
  assert.equal(b.serve.lines.filter(message("standby: handed the request to the leader through the Lease")).length, 3, "the unsigned webhook handed nothing over");
  assert.equal(lineOf(b.serve, message("leading: this replica reconciles")), -1);
  assert.equal(lineOf(b.serve, message("reconcile finished")), -1);
  assert.equal(lineOf(a.serve, (l) => typeof l.msg === "string" && l.msg.startsWith("stopped leading")), -1);
  assert.equal(a.serve.lines.filter(message("reconcile finished")).length, 4, "start, the handed push, renew and reconcile: nothing else");
  const after = lease();
  assert.equal(after.spec.holderIdentity, before.spec.holderIdentity);
  assert.equal(after.spec.leaseTransitions, before.spec.leaseTransitions);
  assert.notEqual(after.spec.renewTime, before.spec.renewTime, "the leader went on renewing (each hand-off is taken with a renewal)");
  assert.equal((await get(b.probes, "/readyz")).status, 200);

  a.serve.kill("SIGTERM");
  assert.equal(await a.serve.exited, 0);
  b.serve.kill("SIGTERM");
  assert.equal(await b.serve.exited, 0);
});

test("a request a standby cannot hand over is kept there, answered as queued, and run once that replica leads", async (t) => {
  const ns = uniqueName("fallback");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, { "apps/issuer.yaml": selfSignedIssuer(ns), "apps/web.yaml": certificate(ns, "web") });
  const env = replicaEnv(repo, ns, uniqueName("fallback"));
  const blob = (path: string) => execFileSync("git", ["--git-dir", join(repo.dir, "remote.git"), "rev-parse", `main:${path}`], { encoding: "utf8" }).trim();
  const a = await replica(t, env, "replica-a");
  await a.serve.waitFor(message("reconcile finished"));
  const b = await replica(t, env, "replica-b");
  await b.serve.waitFor(message("another gitcert leads; waiting for the Lease"));
  const webBefore = blob("apps/web-tls.sops.yaml");

  // More names than the Lease's annotation takes: the hand-over is refused, so the standby keeps the request.
  const names = [`${ns}/web`, ...Array.from({ length: 1000 }, (_, i) => `${ns}/not-here-${i}`)];
  const res = await fetch(`http://${b.hooks}/renew`, { method: "POST", headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ certificates: names }) });
  assert.equal(res.status, 202);
  const answer = (await res.json()) as { queued: boolean; message: string };
  assert.equal(answer.queued, true);
  assert.match(answer.message, /standby and could not hand the request to the leader \(more than 1000 certificates .*\); it runs it when it leads/);
  await b.serve.waitFor(message("standby: could not hand the request to the leader; keeping it for when this replica leads"));
  assert.equal(getJson<{ metadata: { annotations?: Record<string, string> } }>(kube, ["lease", "gitcert", "-n", ns]).metadata.annotations?.["gitcert.dev/reconcile-requested"], undefined, "nothing half-recorded on the Lease");
  assert.equal(lineOf(a.serve, message("took a request a standby handed over through the Lease")), -1);

  // The leader stops (a rolling update): b leads, and runs what it kept.
  a.serve.kill("SIGTERM");
  assert.equal(await a.serve.exited, 0);
  await b.serve.waitFor(message("leading: this replica reconciles"));
  await b.serve.waitFor((l) => l.msg === "reconcile finished" && (l.triggers as string[]).includes("renew"));
  assert.notEqual(blob("apps/web-tls.sops.yaml"), webBefore, "web, named in the kept request, was renewed by b");
  b.serve.kill("SIGTERM");
  assert.equal(await b.serve.exited, 0);
});
