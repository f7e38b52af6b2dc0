// The whole pipeline with Venafi issuers written as cert-manager documents
// them, against the Venafi test double (TPP and Cloud on one HTTPS
// listener; its dialect is proven by the real vcert client in
// test/venafi/vcert.test.ts — no real TPP or Cloud can run here).
// Certificates land in Git as SOPS Secrets the real sops CLI decrypts and
// openssl verifies; each failure is a diagnostic naming the Issuer and the
// Certificate; the zone's overrides are warnings; the rest of the run
// proceeds.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { formatDiagnostic } from "../src/diagnostics.ts";
import { defaultIssuers } from "../src/issuers/index.ts";
import type { IssuerEnv } from "../src/issuers/types.ts";
import { runDiagnostics } from "../src/reconcile.ts";
import { opensslVerify, pemCertificates } from "./fixtures/csr.ts";
import { certificateManifest, issuerManifest, issuerRepository, lineOf } from "./issuer-repository.ts";
import { startVenafiDouble, type TppServerPolicy, type VenafiDouble } from "./peers/venafi-double.ts";

let double: VenafiDouble;
before(async () => {
  double = await startVenafiDouble();
});
after(() => double?.close());

const b64 = (s: string) => Buffer.from(s).toString("base64");
const BIN = join(import.meta.dirname, "..", "bin", "gitcert.js");
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

const OPEN_ZONE: TppServerPolicy = { WhitelistedDomains: [], SubjAltNameDnsAllowed: true };
const RSA_4096_ONLY: TppServerPolicy = { ...OPEN_ZONE, KeyPair: { KeyAlgorithm: { Locked: true, Value: "RSA" }, KeySize: { Locked: true, Value: 4096 } } };

function issuers(): string {
  const tpp = (credentials: string, trust: string, zone: string) => `  venafi:\n    zone: ${JSON.stringify(zone)}\n    tpp:\n      url: ${double.url}/vedsdk\n      credentialsRef: {name: ${credentials}}\n${trust}`;
  return [
    issuerManifest({ kind: "Issuer", name: "venafi-tpp", namespace: "shop", spec: tpp("tpp-login", `      caBundle: ${b64(double.tlsCaPem)}\n`, "Certificates\\Web") }),
    issuerManifest({ kind: "ClusterIssuer", name: "venafi-strict", spec: tpp("tpp-token", "      caBundleSecretRef: {name: tpp-ca}\n", "Certificates\\Strict") }),
    issuerManifest({ kind: "ClusterIssuer", name: "venafi-cloud", spec: `  venafi:\n    zone: "Web\\\\Default"\n    cloud:\n      url: ${double.url}\n      apiTokenSecretRef: {name: cloud-key}` }),
    issuerManifest({ kind: "ClusterIssuer", name: "venafi-missing", spec: tpp("nowhere", "", "Certificates\\Web") }),
    issuerManifest({ kind: "ClusterIssuer", name: "selfsigned", spec: "  selfSigned: {}" }),
  ].join("");
}

async function repository(t: TestContext, certificates: string, options: { maxWaitMs?: number } = {}) {
  const issuerText = issuers();
  const repo = await issuerRepository(
    t,
    { "platform/issuers.yaml": issuerText, "apps/shop/certificates.yaml": certificates },
    [
      { path: "apps/shop/tpp-login.sops.yaml", namespace: "shop", name: "tpp-login", data: { username: double.tpp.username, password: double.tpp.password } },
      { path: "platform/tpp-token.sops.yaml", namespace: "cert-manager", name: "tpp-token", data: { "access-token": double.tpp.accessToken } },
      { path: "platform/tpp-ca.sops.yaml", namespace: "cert-manager", name: "tpp-ca", data: { "ca.crt": double.tlsCaPem } },
      { path: "platform/cloud-key.sops.yaml", namespace: "cert-manager", name: "cloud-key", data: { "api-key": double.cloudApiKey } },
    ],
    // spec.venafi.cloud has no caBundle: the double's CA is given as gitcert's own setting.
    () => defaultIssuers({ venafi: { cloudCaPem: double.tlsCaPem, pollIntervalMs: 20, maxWaitMs: options.maxWaitMs ?? 10_000 } }),
  );
  const at = (name: string) => `at platform/issuers.yaml:${lineOf(issuerText, `name: ${name}`)}`;
  return { ...repo, at };
}

const ECDSA = "  privateKey: {algorithm: ECDSA, size: 256}";

test("TPP (username/password and access token) and Cloud issue into SOPS Secrets; a key size the zone forbids and missing credentials are named; plan and status show them", async (t) => {
  double.configure({ tppZones: { "Certificates\\Web": OPEN_ZONE, "Certificates\\Strict": RSA_4096_ONLY } });
  double.requests.length = 0;
  const certificates = [
    certificateManifest({ name: "web", namespace: "shop", issuer: "venafi-tpp", kind: "Issuer", dnsNames: ["web.example.test", "www.example.test"], extra: "  commonName: web.example.test" }),
    certificateManifest({ name: "strong", namespace: "shop", issuer: "venafi-strict", dnsNames: ["strong.example.test"], extra: "  commonName: strong.example.test\n  privateKey: {algorithm: RSA, size: 4096}" }),
    certificateManifest({ name: "small-key", namespace: "shop", issuer: "venafi-strict", dnsNames: ["small.example.test"], extra: "  commonName: small.example.test\n  privateKey: {algorithm: RSA, size: 2048}" }),
    certificateManifest({ name: "cloud", namespace: "shop", issuer: "venafi-cloud", dnsNames: ["cloud.example.test"], extra: `  commonName: cloud.example.test\n  duration: 720h\n${ECDSA}` }),
    certificateManifest({ name: "missing", namespace: "shop", issuer: "venafi-missing", dnsNames: ["missing.example.test"] }),
  ].join("");
  const repo = await repository(t, certificates);
  const report = await repo.run();
  const outcome = (name: string) => report.outcomes.find((o) => o.certificate.name === name)!;
  for (const name of ["web", "strong", "cloud"]) assert.equal(outcome(name).kind, "issued", `${name}: ${JSON.stringify(outcome(name).diagnostics)}`);

  // The zone's policy is read first: a 2048-bit key is refused before anything is requested, and it is the Certificate's to fix.
  const small = outcome("small-key");
  assert.ok(small.kind === "failed" && !small.atCA, JSON.stringify(small));
  assert.equal(small.reason, "VenafiPolicyViolation");
  assert.match(
    formatDiagnostic(small.diagnostics[0]!),
    new RegExp(`^apps/shop/certificates\\.yaml:\\d+: Certificate shop/small-key: ClusterIssuer venafi-strict ${repo.at("venafi-strict")}: the Venafi TPP zone "Certificates\\\\Strict" does not allow this certificate: key RSA 2048 is not allowed \\(zone allows RSA 4096/8192\\)$`),
  );
  const requested = double.requests.filter((r) => r.path === "/vedsdk/certificates/request").map((r) => (r.body as { ObjectName: string }).ObjectName);
  assert.deepEqual(requested.sort(), ["strong.example.test", "web.example.test"], "nothing was requested for the key the zone forbids");

  const missing = outcome("missing");
  assert.equal(missing.kind, "blocked");
  assert.match(missing.message, new RegExp(`ClusterIssuer venafi-missing ${repo.at("venafi-missing")} is not ready: Secret cert-manager/nowhere \\(Venafi TPP credentials, spec\\.venafi\\.tpp\\.credentialsRef\\): not found in the repository`));

  const clone = repo.checkout();
  for (const name of ["web", "strong", "cloud"]) {
    const data = repo.secretData(clone, `apps/shop/${name}-tls.sops.yaml`);
    const chain = pemCertificates(data["tls.crt"]!);
    assert.equal(chain.length, 2, `${name}: leaf and intermediate`);
    assert.equal(fingerprint(chain[1]!), fingerprint(double.intermediatePem));
    assert.equal(fingerprint(data["ca.crt"]!), fingerprint(double.rootPem), `${name}: ca.crt is the root`);
    assert.match(opensslVerify(data["tls.crt"]!, data["ca.crt"]!), /leaf\.pem: OK/);
  }
  const cloudLeaf = new X509Certificate(pemCertificates(repo.secretData(clone, "apps/shop/cloud-tls.sops.yaml")["tls.crt"]!)[0]!);
  assert.equal(cloudLeaf.subjectAltName, "DNS:cloud.example.test");
  assert.equal(Math.round((Date.parse(cloudLeaf.validTo) - Date.now()) / 86400_000), 30, "Cloud was asked for the Certificate's 720h (validityPeriod P30D)");
  assert.ok(!existsSync(join(clone, ".gitcert/issuance-failures")), "a policy violation and a missing Secret are not failures at the CA");
  for (const file of ["apps/shop/tpp-login.sops.yaml", "platform/cloud-key.sops.yaml", "apps/shop/web-tls.sops.yaml"]) {
    const text = readFileSync(join(clone, file), "utf8");
    for (const secret of [double.tpp.password, double.cloudApiKey, "PRIVATE KEY"]) assert.ok(!text.includes(secret), `${file} holds no plaintext secret`);
  }

  const env = { HOME: repo.dir, GITCERT_REPO: repo.remote, GITCERT_LOG_LEVEL: "error" };
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { PATH: process.env.PATH!, ...env } }).stdout;
  assert.match(cli(["status", "--workdir", join(repo.dir, "status")]), /shop\/cloud\s+cloud\.example\.test\s+ClusterIssuer\/venafi-cloud\s+\S+\s+\S+\s+Ready/);
  const plan = cli(["plan", "--workdir", join(repo.dir, "plan")]);
  assert.match(plan, /^ok\s+shop\/web .*UpToDate/m);
  assert.match(plan, /^issue\s+shop\/small-key .*DoesNotExist/m, "tried again next run: nothing to back off from");
  assert.match(plan, /^blocked\s+shop\/missing .*InvalidConfiguration — ClusterIssuer venafi-missing at platform\/issuers\.yaml:\d+ is not ready/m);
});

test("a Cloud request the CA rejects is a diagnostic with backoff; the zone's overrides of a TPP certificate are warnings on it; both in one run", async (t) => {
  double.configure({ cloudFailIssuance: "the issuing CA rejected the request: domain not validated", forcedSubject: { O: "Acme Corp", C: "NL" } });
  const certificates = [
    certificateManifest({ name: "rejected", namespace: "shop", issuer: "venafi-cloud", dnsNames: ["rejected.example.test"], extra: `  commonName: rejected.example.test\n${ECDSA}` }),
    certificateManifest({ name: "overridden", namespace: "shop", issuer: "venafi-tpp", kind: "Issuer", dnsNames: ["overridden.example.test"], extra: "  commonName: overridden.example.test" }),
  ].join("");
  const repo = await repository(t, certificates);
  const started = new Date();
  const report = await repo.run("work", started);

  const rejected = report.outcomes.find((o) => o.certificate.name === "rejected")!;
  assert.ok(rejected.kind === "failed" && rejected.atCA, JSON.stringify(rejected));
  assert.equal(rejected.reason, "VenafiIssuanceFailed");
  assert.match(
    formatDiagnostic(rejected.diagnostics[0]!),
    new RegExp(`Certificate shop/rejected: ClusterIssuer venafi-cloud ${repo.at("venafi-cloud")}: Venafi Cloud request [0-9a-f-]+ FAILED: the issuing CA rejected the request: domain not validated`),
  );
  assert.equal(rejected.kind === "failed" && rejected.retryAt?.getTime(), started.getTime() + 3600_000);

  const overridden = report.outcomes.find((o) => o.certificate.name === "overridden")!;
  assert.equal(overridden.kind, "issued", JSON.stringify(overridden.diagnostics));
  const warnings = overridden.diagnostics.filter((d) => d.severity === "warning").map(formatDiagnostic);
  const prefix = `apps/shop/certificates.yaml:${lineOf(certificates, "name: overridden")}: Certificate shop/overridden: Issuer shop/venafi-tpp ${repo.at("venafi-tpp")}: the Venafi zone "Certificates\\Web" changed the certificate against the request:`;
  assert.deepEqual(warnings, [`${prefix} organization: requested none, issued "Acme Corp"`, `${prefix} country: requested none, issued "NL"`]);
  assert.ok(runDiagnostics(report).some((d) => d.code === "VenafiZoneOverride"), "the warnings are reported with the run");

  const clone = repo.checkout();
  const subject = new X509Certificate(pemCertificates(repo.secretData(clone, "apps/shop/overridden-tls.sops.yaml")["tls.crt"]!)[0]!).subject;
  assert.match(subject, /O=Acme Corp/, "the certificate is kept as the CA issued it");
  const failures = JSON.parse(readFileSync(join(clone, ".gitcert/issuance-failures"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(failures), ["shop/rejected"]);
});

test("a request still pending when the wait runs out: a failure at the CA naming the pickup ID, kept in the failure log; the next run asks again", async (t) => {
  double.configure({ pendingPolls: 1_000_000 });
  const certificates =
    certificateManifest({ name: "slow", namespace: "shop", issuer: "venafi-tpp", kind: "Issuer", dnsNames: ["slow.example.test"], extra: "  commonName: slow.example.test" }) +
    certificateManifest({ name: "local", namespace: "shop", issuer: "selfsigned", dnsNames: ["local.example.test"] });
  const repo = await repository(t, certificates, { maxWaitMs: 300 });
  const started = new Date();
  const report = await repo.run("work", started);
  const slow = report.outcomes.find((o) => o.certificate.name === "slow")!;
  assert.ok(slow.kind === "failed" && slow.atCA, JSON.stringify(slow));
  assert.equal(slow.reason, "VenafiPending");
  const pickupId = "\\VED\\Policy\\Certificates\\Web\\slow.example.test";
  assert.ok(slow.message.includes(`TPP has not issued ${pickupId} yet`), slow.message);
  assert.equal(report.outcomes.find((o) => o.certificate.name === "local")?.kind, "issued");
  const failures = JSON.parse(readFileSync(join(repo.checkout(), ".gitcert/issuance-failures"), "utf8")) as Record<string, { message: string }>;
  assert.ok(failures["shop/slow"]?.message.includes(pickupId), "the pickup ID is in Git-side state for whoever looks");

  double.configure({});
  double.requests.length = 0;
  const later = await repo.run("work-2", new Date(started.getTime() + 3601_000));
  assert.equal(later.outcomes.find((o) => o.certificate.name === "slow")?.kind, "issued");
  assert.equal(double.requests.filter((r) => r.path === "/vedsdk/certificates/request").length, 1, "a new request on the same TPP object: the private key of the first one was never kept");
});

test("Issuer readiness: TPP answers with the credentials, Cloud refuses a wrong API key, naming the issuer", async () => {
  double.configure({});
  const registry = defaultIssuers({ venafi: { cloudCaPem: double.tlsCaPem } });
  const venafi = registry.get("venafi")!;
  const secrets: Record<string, Record<string, Buffer>> = {
    "cert-manager/tpp-token": { "access-token": Buffer.from(double.tpp.accessToken) },
    "cert-manager/cloud-key": { "api-key": Buffer.from("not-the-key-0000") },
  };
  const env: IssuerEnv = {
    readSecret: async (key) => secrets[`${key.namespace}/${key.name}`],
    writeSecret: async () => assert.fail("readiness writes nothing"),
    now: () => new Date(),
    clusterResourceNamespace: "cert-manager",
  };
  const resource = (venafiSpec: Record<string, unknown>) => ({ kind: "ClusterIssuer" as const, name: "venafi", namespace: "", source: { file: "platform/venafi.yaml", line: 2 }, spec: { venafi: venafiSpec } });
  const tpp = await venafi.ready!(resource({ zone: "Certificates\\Web", tpp: { url: double.url, credentialsRef: { name: "tpp-token" }, caBundle: b64(double.tlsCaPem) } }), env);
  assert.deepEqual(tpp, { ready: true, message: 'Venafi TPP verified: the credentials work for zone "Certificates\\Web"' });
  const cloud = await venafi.ready!(resource({ zone: "Web\\Default", cloud: { url: double.url, apiTokenSecretRef: { name: "cloud-key" } } }), env);
  assert.equal(cloud.ready, false);
  assert.match(cloud.message, /^ClusterIssuer venafi at platform\/venafi\.yaml:2: the Cloud API key was refused: Venafi Cloud GET \/v1\/useraccounts answered 401: Invalid or missing API key$/);
  assert.ok(!cloud.message.includes("not-the-key-0000"));
});
