// A cluster that cannot help is a warning, never a stop: issuance that
// needs no cluster goes on when the API server cannot be reached or the
// cert-manager.io CRDs are not installed.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startKube, uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { freePorts } from "../peers/pebble.ts";
import { gitcert, gitopsRepo } from "./helpers.ts";

let kube: KubePeer;
before(async () => {
  kube = await useKube();
});
after(() => kube?.release());

const SELF_SIGNED = (ns: string) => ({
  "apps/issuer.yaml": `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: selfsigned, namespace: ${ns}}\nspec:\n  selfSigned: {}\n`,
  "apps/certificate.yaml": `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: ${ns}}\nspec:\n  secretName: web-tls\n  dnsNames: [web.example.test]\n  issuerRef: {name: selfsigned}\n`,
});

test("an API server that cannot be reached: a warning, and the certificate is issued and committed", async (t) => {
  const ns = uniqueName("offline");
  const repo = await gitopsRepo(t, SELF_SIGNED(ns));
  const [port] = (await freePorts(1)) as [number];
  const kubeconfig = join(repo.dir, "gone.kubeconfig");
  writeFileSync(kubeconfig, readFileSync(kube.kubeconfig, "utf8").replace(/server: "[^"]+"/, `server: "https://127.0.0.1:${port}"`));
  const run = await gitcert(["run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, "work"), "--kubeconfig", kubeconfig], { HOME: repo.dir, SOPS_AGE_KEY: repo.identity, GITCERT_LOG_LEVEL: "error" });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`${ns}/web .* Issued`));
  assert.match(run.stdout, /committed [0-9a-f]{12}/);
  assert.match(run.stdout, new RegExp(`warning: get the server version: cannot reach https://127.0.0.1:${port} \\(ECONNREFUSED\\); going on without the cluster`));

  // An Issuer whose Secret may be in that cluster is not called "missing": the diagnostic says the cluster could not be asked.
  repo.push({ "apps/ca.yaml": `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca, namespace: ${ns}}\nspec:\n  ca: {secretName: ca-key-pair}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: api, namespace: ${ns}}\nspec:\n  secretName: api-tls\n  dnsNames: [api.example.test]\n  issuerRef: {name: ca}\n` }, "a CA issuer");
  const plan = await gitcert(["plan", "--repo", repo.remote, "--workdir", join(repo.dir, "plan"), "--kubeconfig", kubeconfig], { HOME: repo.dir, GITCERT_LOG_LEVEL: "error" });
  assert.match(plan.stdout, new RegExp(`Secret ${ns}/ca-key-pair \\(CA key pair, spec\\.ca\\.secretName\\): not found in the repository \\(the cluster, https://127\\.0\\.0\\.1:${port}, could not be reached\\)`), plan.stdout + plan.stderr);
});

test("a cluster without the cert-manager.io CRDs: a warning naming deploy/crds, and the certificate is issued and committed", async (t) => {
  const bare = await startKube(); // a cluster of its own: the shared one has the CRDs
  t.after(() => bare.release());
  const ns = uniqueName("nocrds");
  const repo = await gitopsRepo(t, SELF_SIGNED(ns));
  const run = await gitcert(["run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, "work"), "--kubeconfig", bare.kubeconfig], { HOME: repo.dir, SOPS_AGE_KEY: repo.identity, GITCERT_LOG_LEVEL: "error" });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`${ns}/web .* Issued`));
  assert.match(run.stdout, /committed [0-9a-f]{12}/);
  assert.match(run.stdout, /warning: .*does not serve cert-manager.io\/v1 Certificates: install deploy\/crds \(or cert-manager's CRDs\)/);
  // Leader election needs no CRD: the Lease was taken and given back.
  assert.equal(JSON.parse(bare.kubectl(["get", "lease", "gitcert", "-n", "default", "-o", "json"])).spec.holderIdentity, "");
});
