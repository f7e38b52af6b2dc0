// Vault over HTTPS (OpenBao's -dev-tls listener, with its own CA): the
// issuer's caBundle and serverName decide whom we trust, and cert auth logs
// in with a client certificate, given for the login or for every call.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { VaultClient, VaultError, type VaultAuth, type VaultServer } from "../../src/vault/index.ts";
import { csrFor, opensslVerify } from "../fixtures/csr.ts";
import { createToken, enableCertAuth, setupPki, startOpenBao, type OpenBao, type PkiSetup } from "../peers/openbao.ts";
import { TestCa } from "../peers/test-ca.ts";

describe("vault: TLS, caBundle, serverName and cert auth against OpenBao -dev-tls", () => {
  let bao: OpenBao;
  let pki: PkiSetup;
  let token: string;
  let clients: TestCa;

  before(async () => {
    bao = await startOpenBao({ tls: true });
    pki = await setupPki(bao);
    token = await createToken(bao, [pki.policy]);
    clients = new TestCa("gitcert test client CA");
    await enableCertAuth(bao, { name: "gitcert", caPem: clients.caPem, policies: [pki.policy] });
  });
  after(async () => {
    clients?.cleanup();
    await bao?.stop();
  });

  const sign = async (server: VaultServer, auth: VaultAuth = { method: "token", token }) => {
    const { csrPem } = await csrFor({ dnsNames: ["web.example.test"] });
    return new VaultClient({ server, auth }).sign({ path: pki.signPath, csrPem, durationSeconds: 3600 });
  };
  const failure = (p: Promise<unknown>) => p.then(() => assert.fail("expected a failure"), (e: unknown) => e);

  it("trusts the server through caBundle", async () => {
    const bundle = await sign({ url: bao.url, tls: { caPem: bao.caPem! } });
    opensslVerify(bundle.chainPem, bundle.caPem!);
  });

  it("without caBundle the server is not trusted: a local failure (no backoff) whose message points at caBundle", async () => {
    const err = await failure(sign({ url: bao.url }));
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.code, "VaultServerUntrusted");
    assert.equal(err.atCA, false);
    assert.match(err.message, /spec\.vault\.caBundle/);
  });

  it("serverName is the name the server certificate must carry", async () => {
    await sign({ url: bao.url, tls: { caPem: bao.caPem!, serverName: "localhost" } });
    const err = await failure(sign({ url: bao.url, tls: { caPem: bao.caPem!, serverName: "vault.elsewhere.test" } }));
    assert.ok(err instanceof VaultError, String(err));
    assert.equal(err.code, "VaultServerUntrusted");
    assert.match(err.message, /vault\.elsewhere\.test/);
  });

  it("cert auth with the certificate of auth.clientCertificate.secretName", async () => {
    const pair = clients.client("gitcert");
    const bundle = await sign({ url: bao.url, tls: { caPem: bao.caPem! } }, { method: "clientCertificate", mountPath: "/v1/auth/cert", name: "gitcert", certPem: pair.certPem, keyPem: pair.keyPem });
    opensslVerify(bundle.chainPem, bundle.caPem!);
  });

  it("cert auth with the mTLS certificate of clientCertSecretRef / clientKeySecretRef", async () => {
    const pair = clients.client("gitcert-mtls");
    await sign({ url: bao.url, tls: { caPem: bao.caPem!, certPem: pair.certPem, keyPem: pair.keyPem } }, { method: "clientCertificate", mountPath: "/v1/auth/cert", name: "" });
  });

  it("cert auth with a certificate from another CA is refused, the key not quoted", async () => {
    const stranger = new TestCa("not trusted by vault");
    try {
      const pair = stranger.client("gitcert");
      const err = await failure(sign({ url: bao.url, tls: { caPem: bao.caPem! } }, { method: "clientCertificate", mountPath: "/v1/auth/cert", name: "gitcert", certPem: pair.certPem, keyPem: pair.keyPem }));
      assert.ok(err instanceof VaultError, String(err));
      assert.equal(err.code, "VaultLoginFailed");
      assert.match(err.message, /POST \/v1\/auth\/cert\/login answered/);
      assert.ok(!err.message.includes("PRIVATE" + " KEY"));
    } finally {
      stranger.cleanup();
    }
  });
});
