// Signing through the real Vault API (OpenBao dev server): cert-manager's
// request, the chain laid out as cert-manager lays it out, and each way a
// signature can be refused named plainly.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseCertificate } from "../../src/pki/index.ts";
import { VaultClient, VaultError, type VaultServer } from "../../src/vault/index.ts";
import { csrFor, opensslVerify, pemCertificates } from "../fixtures/csr.ts";
import { createToken, setupPki, startOpenBao, type OpenBao, type PkiSetup } from "../peers/openbao.ts";
import { freePorts } from "../peers/pebble.ts";

describe("vault: signing against OpenBao", () => {
  let bao: OpenBao;
  let pki: PkiSetup;
  let token: string;
  let server: VaultServer;

  before(async () => {
    bao = await startOpenBao();
    pki = await setupPki(bao);
    token = await createToken(bao, [pki.policy]);
    server = { url: bao.url };
  });
  after(() => bao?.stop());

  const client = (overrides: Partial<{ token: string; server: VaultServer }> = {}) =>
    new VaultClient({ server: overrides.server ?? server, auth: { method: "token", token: overrides.token ?? token } });

  it("returns the leaf and intermediate as tls.crt and the root as ca.crt, and openssl verifies the chain", async () => {
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test", "www.example.test"], ipAddresses: ["10.0.0.7"], uris: ["spiffe://example.test/web"] });
    const bundle = await client().sign({ path: pki.signPath, csrPem, durationSeconds: 24 * 3600 });

    const chain = pemCertificates(bundle.chainPem);
    assert.equal(chain.length, 2, "leaf + intermediate");
    assert.equal(new X509Certificate(chain[1]!).fingerprint256, new X509Certificate(pki.intermediatePem).fingerprint256);
    assert.equal(new X509Certificate(bundle.caPem!).fingerprint256, new X509Certificate(pki.rootPem).fingerprint256, "ca.crt is the root");
    assert.match(opensslVerify(bundle.chainPem, bundle.caPem!), /leaf\.pem: OK/);

    const leaf = parseCertificate(chain[0]!);
    assert.equal(leaf.commonName, "web.example.test");
    assert.deepEqual(leaf.dnsNames.sort(), ["web.example.test", "www.example.test"]);
    assert.deepEqual(leaf.ipAddresses, ["10.0.0.7"]);
    assert.deepEqual(leaf.uris, ["spiffe://example.test/web"]);
    const lifetimeHours = (leaf.notAfter.getTime() - Date.now()) / 3600_000;
    assert.ok(lifetimeHours > 23 && lifetimeHours <= 24.1, `the requested 24h ttl was applied (got ${lifetimeHours.toFixed(2)} h)`);
  });

  it("without the root in Vault's chain, ca.crt is the topmost certificate, as cert-manager has it", async () => {
    const bare = await setupPki(bao, { prefix: "bare", importRoot: false });
    const bareToken = await createToken(bao, [bare.policy]);
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const bundle = await client({ token: bareToken }).sign({ path: bare.signPath, csrPem, durationSeconds: 3600 });
    assert.equal(pemCertificates(bundle.chainPem).length, 2, "leaf + intermediate");
    assert.equal(new X509Certificate(bundle.caPem!).fingerprint256, new X509Certificate(bare.intermediatePem).fingerprint256);
  });

  it("signs ECDSA and Ed25519 keys (role key_type any) with the public key of the CSR", async () => {
    for (const privateKey of [
      { algorithm: "ECDSA", size: 384, encoding: "PKCS1", rotationPolicy: "Always" },
      { algorithm: "Ed25519", size: 0, encoding: "PKCS8", rotationPolicy: "Always" },
    ] as const) {
      const { csrPem, key } = await csrFor({ dnsNames: ["api.example.test"], privateKey });
      const bundle = await client().sign({ path: pki.signPath, csrPem, durationSeconds: 3600 });
      const leaf = new X509Certificate(pemCertificates(bundle.chainPem)[0]!);
      assert.ok(leaf.checkPrivateKey(key), `${privateKey.algorithm}: the certificate is for the CSR's key`);
    }
  });

  it("names the role's refusal when it does not allow a name, and says which call failed", async () => {
    const { csrPem } = await csrFor({ dnsNames: ["www.not-allowed.test"] });
    const err = await client().sign({ path: pki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.code, "VaultSignFailed");
    assert.equal(err.status, 400);
    assert.equal(err.atCA, true);
    assert.match(err.message, new RegExp(`POST /v1/${pki.signPath} answered 400`));
    assert.match(err.message, /not-allowed\.test/);
  });

  it("a token without the policy is refused with Vault's answer, and the token is not in the message", async () => {
    const stranger = await createToken(bao, ["default"]);
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const err = await client({ token: stranger }).sign({ path: pki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.status, 403);
    assert.match(err.message, /permission denied/);
    assert.ok(!err.message.includes(stranger));
  });

  it("a wrong token is refused the same way", async () => {
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const wrong = `hvs.${"x".repeat(24)}`;
    const err = await client({ token: wrong }).sign({ path: pki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.code, "VaultSignFailed");
    assert.equal(err.status, 403);
    assert.ok(!err.message.includes(wrong));
  });

  it("an unreachable server is a CA failure that names the server", async () => {
    const [port] = await freePorts(1);
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const err = await client({ server: { url: `http://127.0.0.1:${port}`, timeoutMs: 3000 } })
      .sign({ path: pki.signPath, csrPem, durationSeconds: 3600 })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.code, "VaultUnreachable");
    assert.equal(err.atCA, true);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: no answer: .*ECONNREFUSED`));
  });

  it("a sealed server: sys/health and signing both say sealed; unsealed, it signs again", async () => {
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    const health = await client().health();
    assert.equal(health.status, 200);
    assert.equal(health.details.sealed, false);
    await bao.seal();
    try {
      const healthErr = await client().health().then(() => undefined, (e: unknown) => e);
      assert.ok(healthErr instanceof VaultError, String(healthErr));
      assert.equal(healthErr.code, "VaultSealed");
      assert.match(healthErr.message, /is sealed/);
      const signErr = await client().sign({ path: pki.signPath, csrPem, durationSeconds: 3600 }).then(() => undefined, (e: unknown) => e);
      assert.ok(signErr instanceof VaultError, String(signErr));
      assert.equal(signErr.code, "VaultSealed");
      assert.equal(signErr.atCA, true);
      assert.match(signErr.message, /answered 503: .*sealed/);
    } finally {
      await bao.unseal();
    }
    const bundle = await client().sign({ path: pki.signPath, csrPem, durationSeconds: 3600 });
    assert.equal(pemCertificates(bundle.chainPem).length, 2);
  });
});
