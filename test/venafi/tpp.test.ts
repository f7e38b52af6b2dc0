// gitcert's TPP client against the Venafi double (whose dialect vcert
// validates in vcert.test.ts): cert-manager's call sequence, polling, the
// zone policy checked before anything is sent, and each failure named.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { TokenCache } from "../../src/http/index.ts";
import { venafiClient, VenafiError, type TppConnection, type VenafiConnection } from "../../src/venafi/index.ts";
import { csrFor, opensslVerify, pemCertificates } from "../fixtures/csr.ts";
import { freePorts } from "../peers/pebble.ts";
import { startVenafiDouble, type VenafiDouble } from "../peers/venafi-double.ts";

describe("venafi TPP client against the double", () => {
  let double: VenafiDouble;
  before(async () => {
    double = await startVenafiDouble();
  });
  after(() => double?.close());

  const tpp = (overrides: Partial<TppConnection & VenafiConnection> = {}): TppConnection & VenafiConnection => ({
    platform: "tpp",
    url: `${double.url}/vedsdk`,
    zone: "Certificates\\Web",
    credentials: { accessToken: double.tpp.accessToken },
    caPem: double.tlsCaPem,
    pollIntervalMs: 20,
    ...overrides,
  });
  const failure = (p: Promise<unknown>) => p.then(() => assert.fail("expected a failure"), (e: unknown) => e);
  const paths = () => double.requests.map((r) => r.path);

  it("issues with an access token in cert-manager's call order, chain to the root", async () => {
    double.configure({});
    double.requests.length = 0;
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test", "www.example.test"] });
    const issued = await venafiClient(tpp()).issue({ csrPem, durationSeconds: 30 * 86400, customFields: [{ name: "Cost Center", value: "42" }, { name: "Cost Center", value: "43" }] });

    assert.equal(pemCertificates(issued.chain.chainPem).length, 2, "leaf + intermediate");
    assert.equal(new X509Certificate(issued.chain.caPem!).fingerprint256, new X509Certificate(double.rootPem).fingerprint256, "ca.crt is the root");
    opensslVerify(issued.chain.chainPem, issued.chain.caPem!);
    assert.equal(issued.pickupId, "\\VED\\Policy\\Certificates\\Web\\web.example.test");
    assert.deepEqual(issued.overrides, []);
    assert.deepEqual(paths(), [
      "/vedauth/authorize/verify",
      "/vedsdk/certificates/checkpolicy",
      "/vedsdk/certificates/reset",
      "/vedsdk/certificates/request",
      "/vedsdk/metadata/get",
      "/vedsdk/certificates/retrieve",
    ]);
    const request = double.requests.find((r) => r.path === "/vedsdk/certificates/request")!.body as Record<string, unknown>;
    assert.equal(request.Origin, "cert-manager");
    assert.equal(request.ObjectName, "web.example.test");
    assert.equal(request.PKCS10, csrPem);
    assert.deepEqual(request.CustomFields, [{ Name: "Cost Center", Values: ["42", "43"] }]);
    const attributes = request.CASpecificAttributes as Array<{ Name: string; Value: string }>;
    const end = Date.parse(attributes.find((a) => a.Name === "Specific End Date")!.Value);
    assert.ok(Math.abs(end - (Date.now() + 30 * 86400_000)) < 60_000, "the Certificate's duration is asked for as an end date");
    const leaf = new X509Certificate(pemCertificates(issued.chain.chainPem)[0]!);
    assert.ok(Math.abs(Date.parse(leaf.validTo) - end) < 2 * 86400_000, "and the double honoured it");
  });

  it("username/password: one OAuth exchange (client_id cert-manager.io), the token reused", async () => {
    double.configure({});
    double.requests.length = 0;
    const client = venafiClient(tpp({ credentials: { username: double.tpp.username, password: double.tpp.password } }), { tokens: new TokenCache() });
    for (const name of ["a.example.test", "b.example.test"]) {
      const { csrPem } = await csrFor({ commonName: name, dnsNames: [name] });
      await client.issue({ csrPem, durationSeconds: 86400 });
    }
    const oauth = double.requests.filter((r) => r.path === "/vedauth/authorize/oauth");
    assert.equal(oauth.length, 1);
    assert.deepEqual(oauth[0]!.body, { client_id: "cert-manager.io", username: double.tpp.username, password: double.tpp.password, scope: "certificate:manage" });
    assert.equal(paths().filter((p) => p === "/vedsdk/Identity/Self").length, 1);
  });

  it("a wrong password is refused with TPP's answer and the password is not in the message", async () => {
    double.configure({});
    const wrong = "not-the-password-1234";
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp({ credentials: { username: double.tpp.username, password: wrong } })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiAuthFailed");
    assert.match(err.message, /POST \/vedauth\/authorize\/oauth answered 400: Username\/password combination not valid/);
    assert.ok(!err.message.includes(wrong));
  });

  it("a wrong access token is refused", async () => {
    double.configure({});
    const wrong = "d3JvbmctdG9rZW4tdmFsdWU=";
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp({ credentials: { accessToken: wrong } })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiAuthFailed");
    assert.equal(err.status, 401);
    assert.ok(!err.message.includes(wrong));
  });

  it("waits through 202 answers, and gives up with the pickup ID when the wait runs out", async () => {
    double.configure({ pendingPolls: 2 });
    double.requests.length = 0;
    const { csrPem } = await csrFor({ commonName: "slow.example.test", dnsNames: ["slow.example.test"] });
    await venafiClient(tpp()).issue({ csrPem, durationSeconds: 86400 });
    assert.equal(paths().filter((p) => p === "/vedsdk/certificates/retrieve").length, 3);

    double.configure({ pendingPolls: 1_000_000 });
    const stuck = await csrFor({ commonName: "stuck.example.test", dnsNames: ["stuck.example.test"] });
    const err = await failure(venafiClient(tpp({ maxWaitMs: 200 })).issue({ csrPem: stuck.csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiPending");
    assert.equal(err.atCA, true);
    assert.match(err.message, /has not issued \\VED\\Policy\\Certificates\\Web\\stuck\.example\.test yet \(status "Post CSR", stage 500\)/);
  });

  it("a zone that locks RSA 4096 stops a 2048-bit request before anything is sent", async () => {
    double.configure({ tppZones: { "Certificates\\Strict": { KeyPair: { KeyAlgorithm: { Locked: true, Value: "RSA" }, KeySize: { Locked: true, Value: 4096 } } } } });
    double.requests.length = 0;
    const { csrPem } = await csrFor({ commonName: "weak.example.test", dnsNames: ["weak.example.test"] });
    const err = await failure(venafiClient(tpp({ zone: "Certificates\\Strict" })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiPolicyViolation");
    assert.equal(err.atCA, false, "the Certificate asks for what the zone forbids: a configuration problem");
    assert.match(err.message, /key RSA 2048 is not allowed \(zone allows RSA 4096\/8192\)/);
    assert.ok(!paths().includes("/vedsdk/certificates/request"));
  });

  it("a zone restricted to other domains refuses the names, listing them", async () => {
    double.configure({ tppZones: { "Certificates\\Corp": { WhitelistedDomains: ["corp.test"], SubjAltNameDnsAllowed: true } } });
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp({ zone: "Certificates\\Corp" })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.match(err.message, /common name "web\.example\.test" is not allowed/);
    assert.match(err.message, /DNS names web\.example\.test are not allowed/);
  });

  it("a request TPP rejects is a CA failure quoting TPP's Error", async () => {
    double.configure({ tppRejectRequest: "The CA template does not allow this subject" });
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp()).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiRequestRejected");
    assert.equal(err.atCA, true);
    assert.match(err.message, /POST \/vedsdk\/certificates\/request answered 400: The CA template does not allow this subject/);
  });

  it("a zone that does not exist is named", async () => {
    double.configure({});
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp({ zone: "Nowhere" })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiZoneNotFound");
    assert.match(err.message, /no policy folder \\VED\\Policy\\Nowhere/);
  });

  it("subject fields the CA filled in are reported as overrides", async () => {
    double.configure({ forcedSubject: { O: "Acme Corp", C: "NL" } });
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const issued = await venafiClient(tpp()).issue({ csrPem, durationSeconds: 86400 });
    assert.deepEqual(issued.overrides, ['organization: requested none, issued "Acme Corp"', 'country: requested none, issued "NL"']);
  });

  it("without the listener's CA the server is not trusted: a local failure (no backoff), and caBundle is named", async () => {
    double.configure({});
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp({ caPem: undefined })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiServerUntrusted");
    assert.equal(err.atCA, false);
    assert.match(err.message, /TLS with the server failed: .*caBundle/);
  });

  it("an unreachable server is a CA failure naming the address", async () => {
    const [port] = await freePorts(1);
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(tpp({ url: `https://127.0.0.1:${port}` })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiUnreachable");
    assert.equal(err.atCA, true);
    assert.match(err.message, new RegExp(`at https://127\\.0\\.0\\.1:${port}: no answer: .*ECONNREFUSED`));
  });
});
