// The Venafi test double speaks Venafi's dialect: Venafi's own client,
// vcert v5.13.9 (built by scripts/peers.sh), enrolls against it for TPP and
// for Cloud, polls its "pending" answers, and reads its failure modes as
// the failures they stand for. This validates the double against the real
// client; it says nothing about a real TPP or Cloud beyond that.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import { csrFor, opensslVerify, pemCertificates } from "../fixtures/csr.ts";
import { tempDir } from "../helpers.ts";
import { peer } from "../peers/tools.ts";
import { startVenafiDouble, type VenafiDouble } from "../peers/venafi-double.ts";

const run = promisify(execFile);

describe("venafi double: the real vcert client enrolls against it", () => {
  let double: VenafiDouble;
  before(async () => {
    double = await startVenafiDouble();
  });
  after(() => double?.close());

  // vcert runs as its own process: the double in this process must keep answering meanwhile.
  async function vcert(t: TestContext, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    const home = tempDir(t, "gitcert-vcert-");
    try {
      const { stdout, stderr } = await run(peer("vcert"), [...args, "--trust-bundle", double.tlsCaFile, "--no-prompt"], { env: { PATH: process.env.PATH ?? "", HOME: home }, timeout: 60_000 });
      return { ok: true, stdout, stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }

  async function enrollArgs(t: TestContext, names: { commonName: string; dnsNames: string[] }, key: { algorithm: "RSA" | "ECDSA"; size: number } = { algorithm: "RSA", size: 2048 }) {
    const dir = tempDir(t, "gitcert-vcert-csr-");
    const { csrPem } = await csrFor({ ...names, privateKey: { ...key, encoding: "PKCS1", rotationPolicy: "Always" } });
    writeFileSync(join(dir, "req.csr"), csrPem);
    const certFile = join(dir, "cert.pem");
    return { csrPem, certFile, args: ["--csr", `file:${join(dir, "req.csr")}`, "--cert-file", certFile, "--chain", "root-last", "--timeout", "30"] };
  }

  it("TPP with an access token: checkpolicy, request, retrieve, and a chain that verifies", async (t) => {
    double.configure({});
    double.requests.length = 0;
    const { csrPem, certFile, args } = await enrollArgs(t, { commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const result = await vcert(t, ["enroll", "-u", double.url, "-t", double.tpp.accessToken, "-z", "Certificates\\Web", ...args]);
    assert.ok(result.ok, result.stderr);
    const chain = readFileSync(certFile, "utf8");
    assert.equal(pemCertificates(chain).length, 3, "leaf, intermediate, root");
    assert.match(opensslVerify(chain, double.rootPem), /OK/);
    const paths = double.requests.map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.includes("POST /vedsdk/certificates/checkpolicy"));
    const request = double.requests.find((r) => r.path === "/vedsdk/certificates/request")?.body as Record<string, unknown>;
    assert.equal(request.PKCS10, csrPem);
    assert.equal(request.PolicyDN, "\\VED\\Policy\\Certificates\\Web");
    assert.ok(paths.includes("POST /vedsdk/certificates/retrieve"));
  });

  it("TPP: vcert waits through the double's 202 answers", async (t) => {
    double.configure({ pendingPolls: 1 });
    double.requests.length = 0;
    const { args } = await enrollArgs(t, { commonName: "slow.example.test", dnsNames: ["slow.example.test"] });
    const result = await vcert(t, ["enroll", "-u", double.url, "-t", double.tpp.accessToken, "-z", "Certificates\\Web", ...args]);
    assert.ok(result.ok, result.stderr);
    assert.equal(double.requests.filter((r) => r.path === "/vedsdk/certificates/retrieve").length, 2);
  });

  it("TPP username/password: vcert getcred gets an OAuth token from the double, and enrolls with it", async (t) => {
    double.configure({});
    const cred = await vcert(t, ["getcred", "-u", double.url, "--username", double.tpp.username, "--password", double.tpp.password, "--client-id", "cert-manager.io", "--scope", "certificate:manage", "--format", "json"]);
    assert.ok(cred.ok, cred.stderr);
    const token = (JSON.parse(cred.stdout) as { access_token: string }).access_token;
    assert.ok(token && token !== double.tpp.accessToken);
    const { args } = await enrollArgs(t, { commonName: "oauth.example.test", dnsNames: ["oauth.example.test"] });
    const result = await vcert(t, ["enroll", "-u", double.url, "-t", token, "-z", "Certificates\\Web", ...args]);
    assert.ok(result.ok, result.stderr);
  });

  it("TPP: vcert reads the double's locked RSA 4096 and raises its own 2048-bit request to it", async (t) => {
    double.configure({ tppZones: { "Certificates\\Strict": { KeyPair: { KeyAlgorithm: { Locked: true, Value: "RSA" }, KeySize: { Locked: true, Value: 4096 } } } } });
    const dir = tempDir(t, "gitcert-vcert-local-");
    const certFile = join(dir, "cert.pem");
    const result = await vcert(t, ["enroll", "-u", double.url, "-t", double.tpp.accessToken, "-z", "Certificates\\Strict", "--cn", "strict.example.test", "--key-size", "2048", "--key-file", join(dir, "key.pem"), "--cert-file", certFile, "--timeout", "30"]);
    assert.ok(result.ok, result.stderr);
    const leaf = new X509Certificate(pemCertificates(readFileSync(certFile, "utf8"))[0]!);
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
  });

  it("Cloud with an API key: application and template lookup, request, poll, chain", async (t) => {
    double.configure({ pendingPolls: 1 });
    double.requests.length = 0;
    const { csrPem, certFile, args } = await enrollArgs(t, { commonName: "cloud.example.test", dnsNames: ["cloud.example.test"] }, { algorithm: "ECDSA", size: 256 });
    const result = await vcert(t, ["enroll", "-k", double.cloudApiKey, "-u", double.url, "-z", "Web\\Default", ...args]);
    assert.ok(result.ok, result.stderr);
    assert.match(opensslVerify(readFileSync(certFile, "utf8"), double.rootPem), /OK/);
    const paths = double.requests.map((r) => `${r.method} ${r.path}`);
    for (const p of ["GET /v1/useraccounts", "GET /outagedetection/v1/applications/name/Web", "GET /outagedetection/v1/applications/Web/certificateissuingtemplates/Default", "POST /outagedetection/v1/certificaterequests"]) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(", ")}`);
    }
    const request = double.requests.find((r) => r.path === "/outagedetection/v1/certificaterequests")?.body as Record<string, unknown>;
    assert.equal(request.certificateSigningRequest, csrPem);
    assert.equal(paths.filter((p) => p.startsWith("GET /outagedetection/v1/certificaterequests/")).length, 2, "one PENDING, then ISSUED");
  });

  it("Cloud: a request the CA fails is reported by vcert as failed", async (t) => {
    double.configure({ cloudFailIssuance: "CA refused: domain not validated" });
    const { args } = await enrollArgs(t, { commonName: "refused.example.test", dnsNames: ["refused.example.test"] });
    const result = await vcert(t, ["enroll", "-k", double.cloudApiKey, "-u", double.url, "-z", "Web\\Default", ...args]);
    assert.equal(result.ok, false);
    assert.match(result.stderr, /FAILED/);
    assert.match(result.stderr, /domain not validated/);
  });

  it("Cloud: a wrong API key is refused", async (t) => {
    double.configure({});
    const { args } = await enrollArgs(t, { commonName: "web.example.test", dnsNames: ["web.example.test"] });
    const result = await vcert(t, ["enroll", "-k", "00000000-0000-0000-0000-000000000000", "-u", double.url, "-z", "Web\\Default", ...args]);
    assert.equal(result.ok, false);
    assert.match(result.stderr, /401/);
  });
});
