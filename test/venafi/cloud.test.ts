// gitcert's Cloud client against the Venafi double (dialect validated by
// vcert in vcert.test.ts): zone lookup, request, polling until ISSUED, and
// every way it can fail named.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { validityPeriod } from "../../src/venafi/cloud.ts";
import { venafiClient, VenafiError, type CloudConnection, type VenafiConnection } from "../../src/venafi/index.ts";
import { csrFor, opensslVerify, pemCertificates } from "../fixtures/csr.ts";
import { startVenafiDouble, type VenafiDouble } from "../peers/venafi-double.ts";

describe("venafi Cloud client against the double", () => {
  let double: VenafiDouble;
  before(async () => {
    double = await startVenafiDouble();
  });
  after(() => double?.close());

  const cloud = (overrides: Partial<CloudConnection & VenafiConnection> = {}): CloudConnection & VenafiConnection => ({
    platform: "cloud",
    url: double.url,
    zone: "Web\\Default",
    apiKey: double.cloudApiKey,
    caPem: double.tlsCaPem,
    pollIntervalMs: 20,
    ...overrides,
  });
  const failure = (p: Promise<unknown>) => p.then(() => assert.fail("expected a failure"), (e: unknown) => e);
  const paths = () => double.requests.map((r) => `${r.method} ${r.path}`);

  it("issues: application and template by name, request, ISSUED, the chain leaf first", async () => {
    double.configure({ pendingPolls: 2 });
    double.requests.length = 0;
    const { csrPem } = await csrFor({ commonName: "cloud.example.test", dnsNames: ["cloud.example.test"], privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS1", rotationPolicy: "Always" } });
    const issued = await venafiClient(cloud()).issue({ csrPem, durationSeconds: 30 * 86400 });
    opensslVerify(issued.chain.chainPem, issued.chain.caPem!);
    assert.equal(pemCertificates(issued.chain.chainPem).length, 2);
    assert.equal(new X509Certificate(issued.chain.caPem!).fingerprint256, new X509Certificate(double.rootPem).fingerprint256);
    assert.deepEqual(issued.overrides, []);
    const request = double.requests.find((r) => r.path === "/outagedetection/v1/certificaterequests")!.body as Record<string, unknown>;
    assert.equal(request.certificateSigningRequest, csrPem);
    assert.equal(request.validityPeriod, "P30D");
    assert.equal((request.apiClientInformation as { type: string }).type, "cert-manager");
    assert.equal(paths().filter((p) => p.startsWith("GET /outagedetection/v1/certificaterequests/")).length, 3, "PENDING twice, then ISSUED");
    assert.ok(paths().some((p) => /^GET \/outagedetection\/v1\/certificates\/.+\/contents$/.test(p)));
  });

  it("validityPeriod is written as vcert writes it", () => {
    assert.equal(validityPeriod(90 * 86400), "P90D");
    assert.equal(validityPeriod(36 * 3600), "P1DT12H0M0S");
    assert.equal(validityPeriod(1800), "PT30M0S");
  });

  it("a request the CA fails is a CA failure with the CA's reason", async () => {
    double.configure({ cloudFailIssuance: "CA refused: domain not validated" });
    const { csrPem } = await csrFor({ commonName: "refused.example.test", dnsNames: ["refused.example.test"] });
    const err = await failure(venafiClient(cloud()).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiIssuanceFailed");
    assert.equal(err.atCA, true);
    assert.match(err.message, /FAILED: CA refused: domain not validated/);
  });

  it("a wrong API key is refused, and the key is not in the message", async () => {
    double.configure({});
    const wrong = "11111111-2222-3333-4444-555555555555";
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const err = await failure(venafiClient(cloud({ apiKey: wrong })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiAuthFailed");
    assert.match(err.message, /GET \/v1\/useraccounts answered 401: Invalid or missing API key/);
    assert.ok(!err.message.includes(wrong));
  });

  it("a template that allows only RSA stops an ECDSA request before anything is sent", async () => {
    double.configure({ cloudApps: { Web: { RsaOnly: { subjectCNRegexes: [".*"], subjectORegexes: [".*"], subjectOURegexes: [".*"], subjectLRegexes: [".*"], subjectSTRegexes: [".*"], subjectCValues: [".*"], sanRegexes: [".*"], keyTypes: [{ keyType: "RSA", keyLengths: [2048, 4096] }] } } } });
    double.requests.length = 0;
    const { csrPem } = await csrFor({ commonName: "ec.example.test", dnsNames: ["ec.example.test"], privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS1", rotationPolicy: "Always" } });
    const err = await failure(venafiClient(cloud({ zone: "Web\\RsaOnly" })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(err instanceof VenafiError, String(err));
    assert.equal(err.code, "VenafiPolicyViolation");
    assert.match(err.message, /key ECDSA P384 is not allowed \(zone allows RSA 2048\/4096\)/);
    assert.ok(!paths().includes("POST /outagedetection/v1/certificaterequests"));
  });

  it("an unknown application or template alias is named", async () => {
    double.configure({});
    const { csrPem } = await csrFor({ commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const noApp = await failure(venafiClient(cloud({ zone: "Payroll\\Default" })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(noApp instanceof VenafiError && noApp.code === "VenafiZoneNotFound", String(noApp));
    assert.match(noApp.message, /no application "Payroll"/);
    const noAlias = await failure(venafiClient(cloud({ zone: "Web\\Gold" })).issue({ csrPem, durationSeconds: 86400 }));
    assert.ok(noAlias instanceof VenafiError && noAlias.code === "VenafiZoneNotFound", String(noAlias));
    assert.match(noAlias.message, /no issuing template alias "Gold"/);
  });
});
