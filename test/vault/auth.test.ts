// Logging in the ways cert-manager does, against OpenBao: AppRole (token
// kept until its lease ends), Kubernetes (TokenReview answered by a small
// stand-in for the API server), and a Vault namespace.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TokenCache, VaultClient, VaultError } from "../../src/vault/index.ts";
import { csrFor, opensslVerify } from "../fixtures/csr.ts";
import {
  createNamespace,
  createToken,
  enableAppRole,
  enableKubernetesAuth,
  setupPki,
  startOpenBao,
  startTokenReviewer,
  type OpenBao,
  type PkiSetup,
  type TokenReviewer,
} from "../peers/openbao.ts";

describe("vault: auth methods against OpenBao", () => {
  let bao: OpenBao;
  let pki: PkiSetup;
  let reviewer: TokenReviewer;

  before(async () => {
    bao = await startOpenBao();
    pki = await setupPki(bao);
    reviewer = await startTokenReviewer();
  });
  after(async () => {
    await reviewer?.close();
    await bao?.stop();
  });

  it("AppRole logs in once and reuses the token until its lease runs out", async () => {
    // A secret_id good for one login: a second login would be refused.
    const { roleId, secretId } = await enableAppRole(bao, [pki.policy], { tokenTtl: "1h", secretIdUses: 1 });
    let clock = new Date();
    const tokens = new TokenCache();
    const client = new VaultClient({ server: { url: bao.url }, auth: { method: "appRole", path: "approle", roleId, secretId }, tokens, now: () => clock });
    for (const name of ["a.example.test", "b.example.test"]) {
      const { csrPem } = await csrFor({ dnsNames: [name] });
      const bundle = await client.sign({ path: pki.signPath, csrPem, durationSeconds: 3600 });
      opensslVerify(bundle.chainPem, bundle.caPem!);
    }
    assert.equal(tokens.size, 1);

    clock = new Date(clock.getTime() + 2 * 3600_000);
    const { csrPem } = await csrFor({ dnsNames: ["c.example.test"] });
    const err = await client.sign({ path: pki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, "past the lease it logs in again, and the used-up secret_id is refused");
    assert.equal(err.code, "VaultLoginFailed");
    assert.match(err.message, /Vault appRole login: Vault POST \/v1\/auth\/approle\/login answered 400: invalid role or secret ID/);
    assert.ok(!err.message.includes(secretId), "the secret_id is not in the message");
  });

  it("AppRole at a custom mount path", async () => {
    const { roleId, secretId } = await enableAppRole(bao, [pki.policy], { path: "ci-approle" });
    const client = new VaultClient({ server: { url: bao.url }, auth: { method: "appRole", path: "ci-approle", roleId, secretId } });
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    opensslVerify((await client.sign({ path: pki.signPath, csrPem, durationSeconds: 3600 })).chainPem, pki.rootPem);
  });

  it("Kubernetes auth: Vault reviews the service account token and issues a Vault token", async () => {
    await enableKubernetesAuth(bao, reviewer, { role: "gitcert", serviceAccount: "gitcert", namespace: "cert-manager", policies: [pki.policy] });
    const jwt = reviewer.serviceAccountToken("cert-manager", "gitcert");
    const before = reviewer.reviews();
    const client = new VaultClient({ server: { url: bao.url }, auth: { method: "kubernetes", mountPath: "/v1/auth/kubernetes", role: "gitcert", jwt: async () => jwt } });
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const bundle = await client.sign({ path: pki.signPath, csrPem, durationSeconds: 3600 });
    opensslVerify(bundle.chainPem, bundle.caPem!);
    assert.equal(reviewer.reviews(), before + 1, "Vault asked the API server once");
  });

  it("Kubernetes auth with a service account the role does not bind is refused, JWT redacted", async () => {
    const jwt = reviewer.serviceAccountToken("default", "intruder");
    const client = new VaultClient({ server: { url: bao.url }, auth: { method: "kubernetes", mountPath: "/v1/auth/kubernetes", role: "gitcert", jwt: async () => jwt } });
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const err = await client.sign({ path: pki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.code, "VaultLoginFailed");
    assert.match(err.message, /POST \/v1\/auth\/kubernetes\/login answered 403: .*not authorized/);
    assert.ok(!err.message.includes(jwt));
  });

  it("a namespace: login and sign go to the namespace, sys/health does not", async () => {
    await createNamespace(bao, "team1");
    const teamPki = await setupPki(bao, { prefix: "team", namespace: "team1" });
    const { roleId, secretId } = await enableAppRole(bao, [teamPki.policy], { namespace: "team1" });
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });

    const inTeam = new VaultClient({ server: { url: bao.url, namespace: "team1" }, auth: { method: "appRole", path: "approle", roleId, secretId } });
    const bundle = await inTeam.sign({ path: teamPki.signPath, csrPem, durationSeconds: 3600 });
    opensslVerify(bundle.chainPem, teamPki.rootPem);
    assert.equal((await inTeam.health()).status, 200, "sys/health is root-only and answers without the namespace");

    const rootToken = await createToken(bao, [pki.policy]);
    const outside = new VaultClient({ server: { url: bao.url }, auth: { method: "token", token: rootToken } });
    const err = await outside.sign({ path: teamPki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, "the namespace's mount is not visible from the root namespace");
  });
});
