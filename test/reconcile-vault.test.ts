// The whole pipeline with Vault issuers written as cert-manager documents
// them, against the real Vault API (OpenBao's dev server over TLS, a root
// and an intermediate CA): Certificates land in Git as SOPS Secrets that the
// real sops CLI decrypts and openssl verifies up to the root; `plan` and
// `status` (the real CLI) show them; each way a Vault issuer can fail is a
// diagnostic naming the Issuer and the Certificate, backoff only for
// failures at the CA, and the other Certificates of the run go ahead.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { formatDiagnostic } from "../src/diagnostics.ts";
import { defaultIssuers } from "../src/issuers/index.ts";
import type { IssuerEnv } from "../src/issuers/types.ts";
import { opensslVerify, pemCertificates } from "./fixtures/csr.ts";
import { certificateManifest, issuerManifest, issuerRepository, lineOf } from "./issuer-repository.ts";
import { createToken, enableAppRole, setupPki, startOpenBao, type OpenBao, type PkiSetup } from "./peers/openbao.ts";
import { freePorts } from "./peers/pebble.ts";

let bao: OpenBao;
let pki: PkiSetup;
let token: string;
let approle: { roleId: string; secretId: string };
let deadPort: number;

before(async () => {
  bao = await startOpenBao({ tls: true });
  pki = await setupPki(bao);
  token = await createToken(bao, [pki.policy], { ttl: "2h" });
  approle = await enableAppRole(bao, [pki.policy]);
  [deadPort] = (await freePorts(1)) as [number];
});
after(() => bao?.stop());

const b64 = (s: string) => Buffer.from(s).toString("base64");
const BIN = join(import.meta.dirname, "..", "bin", "gitcert.js");
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

function issuers(): string {
  const vault = (auth: string, extra = "", server = bao.url) => `  vault:\n    server: ${server}\n    path: ${pki.signPath}\n${extra}    auth:\n${auth}`;
  const caBundle = `    caBundle: ${b64(bao.caPem!)}\n`;
  return [
    issuerManifest({ kind: "ClusterIssuer", name: "vault-token", spec: vault("      tokenSecretRef: {name: vault-token}\n", caBundle) }),
    issuerManifest({
      kind: "Issuer",
      name: "vault-approle",
      namespace: "shop",
      spec: vault(`      appRole:\n        path: approle\n        roleId: ${approle.roleId}\n        secretRef: {name: vault-approle, key: secretId}\n`, "    caBundleSecretRef: {name: vault-ca}\n"),
    }),
    issuerManifest({ kind: "ClusterIssuer", name: "vault-wrong-token", spec: vault("      tokenSecretRef: {name: vault-wrong-token}\n", caBundle) }),
    issuerManifest({ kind: "ClusterIssuer", name: "vault-missing-token", spec: vault("      tokenSecretRef: {name: nowhere}\n", caBundle) }),
    issuerManifest({ kind: "ClusterIssuer", name: "vault-unreachable", spec: vault("      tokenSecretRef: {name: vault-token}\n", caBundle, `https://127.0.0.1:${deadPort}`) }),
    issuerManifest({ kind: "ClusterIssuer", name: "vault-untrusted", spec: vault("      tokenSecretRef: {name: vault-token}\n") }),
  ].join("");
}

const CERTIFICATES = [
  certificateManifest({ name: "web", namespace: "shop", issuer: "vault-token", dnsNames: ["web.example.test", "www.example.test"], extra: "  duration: 720h" }),
  certificateManifest({ name: "api", namespace: "shop", issuer: "vault-approle", kind: "Issuer", dnsNames: ["api.example.test"], extra: "  privateKey: {algorithm: ECDSA, size: 384}" }),
  certificateManifest({ name: "refused", namespace: "shop", issuer: "vault-token", dnsNames: ["www.not-allowed.test"] }),
  certificateManifest({ name: "wrong-token", namespace: "shop", issuer: "vault-wrong-token", dnsNames: ["wrong.example.test"] }),
  certificateManifest({ name: "missing", namespace: "shop", issuer: "vault-missing-token", dnsNames: ["missing.example.test"] }),
  certificateManifest({ name: "unreachable", namespace: "shop", issuer: "vault-unreachable", dnsNames: ["down.example.test"] }),
  certificateManifest({ name: "untrusted", namespace: "shop", issuer: "vault-untrusted", dnsNames: ["untrusted.example.test"] }),
].join("");

const SELF_SIGNED = issuerManifest({ kind: "ClusterIssuer", name: "selfsigned", spec: "  selfSigned: {}" }) + certificateManifest({ name: "local", namespace: "shop", issuer: "selfsigned", dnsNames: ["local.example.test"] });

async function repository(t: import("node:test").TestContext, files: Record<string, string>) {
  return issuerRepository(
    t,
    files,
    [
      { path: "platform/vault-token.sops.yaml", namespace: "cert-manager", name: "vault-token", data: { token } },
      { path: "platform/vault-wrong-token.sops.yaml", namespace: "cert-manager", name: "vault-wrong-token", data: { token: `hvs.${"x".repeat(24)}` } },
      { path: "apps/shop/vault-approle.sops.yaml", namespace: "shop", name: "vault-approle", data: { secretId: approle.secretId } },
      { path: "apps/shop/vault-ca.sops.yaml", namespace: "shop", name: "vault-ca", data: { "ca.crt": bao.caPem! } },
    ],
    () => defaultIssuers({ vault: { timeoutMs: 5000 } }),
  );
}

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { PATH: process.env.PATH!, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("Vault issuers (token, AppRole with caBundleSecretRef) sign through the intermediate into SOPS Secrets; each failure is named and only the CA's back off; plan and status show it all", async (t) => {
  const issuerText = issuers();
  const repo = await repository(t, { "platform/issuers.yaml": issuerText, "apps/shop/certificates.yaml": CERTIFICATES });
  const started = new Date();
  const report = await repo.run("work", started);
  const outcome = (name: string) => report.outcomes.find((o) => o.certificate.name === name)!;
  const diagnosticOf = (name: string) => formatDiagnostic(outcome(name).diagnostics[0]!);
  const at = (name: string) => `at platform/issuers.yaml:${lineOf(issuerText, `name: ${name}`)}`;

  assert.equal(outcome("web").kind, "issued", JSON.stringify(outcome("web").diagnostics));
  assert.equal(outcome("api").kind, "issued", JSON.stringify(outcome("api").diagnostics));

  // A name the role does not allow: Vault's answer, the issuer and the Certificate named; at the CA.
  const refused = outcome("refused");
  assert.ok(refused.kind === "failed" && refused.atCA);
  assert.equal(refused.reason, "VaultSignFailed");
  assert.match(diagnosticOf("refused"), new RegExp(`^apps/shop/certificates\\.yaml:\\d+: Certificate shop/refused: ClusterIssuer vault-token ${at("vault-token")}: Vault refused to sign: Vault POST /v1/${pki.signPath} answered 400: .*www\\.not-allowed\\.test`));
  assert.equal(refused.kind === "failed" && refused.retryAt?.getTime(), started.getTime() + 3600_000, "backoff: one hour after the first failure");

  const wrong = outcome("wrong-token");
  assert.ok(wrong.kind === "failed" && wrong.atCA);
  assert.match(diagnosticOf("wrong-token"), new RegExp(`Certificate shop/wrong-token: ClusterIssuer vault-wrong-token ${at("vault-wrong-token")}: .*answered 403: .*permission denied`));
  assert.doesNotMatch(diagnosticOf("wrong-token"), /hvs\.x{24}/, "the token is not in the message");

  const unreachable = outcome("unreachable");
  assert.ok(unreachable.kind === "failed" && unreachable.atCA);
  assert.equal(unreachable.reason, "VaultUnreachable");
  assert.match(diagnosticOf("unreachable"), new RegExp(`Certificate shop/unreachable: ClusterIssuer vault-unreachable ${at("vault-unreachable")}: Vault POST /v1/${pki.signPath} at https://127\\.0\\.0\\.1:${deadPort}: no answer: .*ECONNREFUSED`));

  // Not trusting the server is ours to fix: no backoff, and the message says where.
  const untrusted = outcome("untrusted");
  assert.ok(untrusted.kind === "failed" && !untrusted.atCA);
  assert.equal(untrusted.reason, "VaultServerUntrusted");
  assert.match(diagnosticOf("untrusted"), /Certificate shop\/untrusted: ClusterIssuer vault-untrusted at platform\/issuers\.yaml:\d+: .*TLS with the server failed: .*check spec\.vault\.caBundle/);

  // A missing token Secret is a configuration mistake: blocked by the plan, Vault never asked.
  const missing = outcome("missing");
  assert.equal(missing.kind, "blocked");
  assert.equal(missing.diagnostics[0]?.code, "IssuerNotReady");
  assert.match(missing.message, new RegExp(`ClusterIssuer vault-missing-token ${at("vault-missing-token")} is not ready: Secret cert-manager/nowhere \\(Vault token, spec\\.vault\\.auth\\.tokenSecretRef\\): not found in the repository`));
  assert.ok(report.pushed);

  // What landed in Git: sops decrypts it, openssl verifies leaf → intermediate → root, ca.crt is the root.
  const clone = repo.checkout();
  for (const name of ["web", "api"]) {
    const data = repo.secretData(clone, `apps/shop/${name}-tls.sops.yaml`);
    const chain = pemCertificates(data["tls.crt"]!);
    assert.equal(chain.length, 2, `${name}: tls.crt is the leaf and the intermediate`);
    assert.equal(fingerprint(chain[1]!), fingerprint(pki.intermediatePem));
    assert.equal(fingerprint(data["ca.crt"]!), fingerprint(pki.rootPem), `${name}: ca.crt is the root`);
    assert.match(opensslVerify(data["tls.crt"]!, data["ca.crt"]!), /leaf\.pem: OK/);
    assert.ok(new X509Certificate(chain[0]!).checkPrivateKey((await import("node:crypto")).createPrivateKey(data["tls.key"]!)), `${name}: tls.key is the key of tls.crt`);
  }
  const web = new X509Certificate(pemCertificates(repo.secretData(clone, "apps/shop/web-tls.sops.yaml")["tls.crt"]!)[0]!);
  assert.equal(web.subjectAltName, "DNS:web.example.test, DNS:www.example.test");
  // Vault backdates notBefore by 30 s; notAfter is the requested ttl (720h0m0s) from the signature.
  assert.equal(Math.round((Date.parse(web.validTo) - started.getTime()) / 60_000), 720 * 60, "Vault signed for the Certificate's duration");
  const failures = JSON.parse(readFileSync(join(clone, ".gitcert/issuance-failures"), "utf8")) as Record<string, { message: string }>;
  assert.deepEqual(Object.keys(failures).sort(), ["shop/refused", "shop/unreachable", "shop/wrong-token"], "only failures at the CA are recorded");
  assert.doesNotMatch(JSON.stringify(failures), new RegExp(token.replace(/\./g, "\\.")));
  assert.doesNotMatch(readFileSync(join(clone, "apps/shop/web-tls.sops.yaml"), "utf8"), /PRIVATE KEY|hvs\./);

  // plan and status, as a user runs them (the real CLI; no age identity needed).
  const env = { HOME: repo.dir, GITCERT_REPO: repo.remote, GITCERT_LOG_LEVEL: "error" };
  const status = cli(["status", "--workdir", join(repo.dir, "status")], env);
  assert.match(status.stdout, /shop\/web\s+web\.example\.test,www\.example\.test\s+ClusterIssuer\/vault-token\s+\S+\s+\S+\s+Ready/);
  assert.match(status.stdout, /shop\/api\s+api\.example\.test\s+Issuer\/vault-approle\s+\S+\s+\S+\s+Ready/);
  const plan = cli(["plan", "--workdir", join(repo.dir, "plan")], env);
  const line = (name: string) => plan.stdout.split("\n").find((l) => l.includes(`shop/${name} `)) ?? `no line for ${name}:\n${plan.stdout}\n${plan.stderr}`;
  assert.match(line("web"), /^ok\b/);
  assert.match(line("refused"), /^blocked\b.*Backoff.*Vault refused to sign/);
  assert.ok(line("missing").startsWith(`blocked  shop/missing (apps/shop/certificates.yaml:${lineOf(CERTIFICATES, "name: missing")}): InvalidConfiguration — ClusterIssuer vault-missing-token ${at("vault-missing-token")} is not ready: Secret cert-manager/nowhere (Vault token, spec.vault.auth.tokenSecretRef): not found`), line("missing"));
  assert.match(line("untrusted"), /^issue\b/, "a local failure is tried again at once");

  // A fresh pod a minute later: nothing is signed again; the CA's failures wait out their backoff.
  const again = await repo.run("work-2", new Date(started.getTime() + 60_000));
  const kinds = Object.fromEntries(again.outcomes.map((o) => [o.certificate.name, o.kind === "blocked" || o.kind === "unchanged" ? o.reason : o.kind]));
  assert.deepEqual(kinds, { web: "UpToDate", api: "UpToDate", refused: "Backoff", "wrong-token": "Backoff", unreachable: "Backoff", missing: "InvalidConfiguration", untrusted: "failed" });
  assert.equal(again.commit, undefined);
});

test("a sealed Vault: a diagnostic and backoff for its Certificates, Issuer readiness says sealed, the others in the run are issued; unsealed, it signs", async (t) => {
  const issuerText = issuers();
  const repo = await repository(t, { "platform/issuers.yaml": issuerText + SELF_SIGNED, "apps/shop/web.yaml": certificateManifest({ name: "web", namespace: "shop", issuer: "vault-token", dnsNames: ["web.example.test"] }) });
  const registry = defaultIssuers();
  const vault = registry.get("vault")!;
  const resource = { kind: "ClusterIssuer" as const, name: "vault-token", namespace: "", source: { file: "platform/issuers.yaml", line: 1 }, spec: { vault: { server: bao.url, path: pki.signPath, caBundle: b64(bao.caPem!), auth: { tokenSecretRef: { name: "vault-token" } } } } };
  const env: IssuerEnv = {
    readSecret: async (key) => (key.namespace === "cert-manager" && key.name === "vault-token" ? { token: Buffer.from(token) } : undefined),
    writeSecret: async () => assert.fail("readiness writes nothing"),
    now: () => new Date(),
    clusterResourceNamespace: "cert-manager",
  };
  assert.deepEqual(await vault.ready!(resource, env), { ready: true, message: `Vault verified: ${bao.url} is initialized and unsealed (sys/health answered 200); auth: token` });

  await bao.seal();
  try {
    const readiness = await vault.ready!(resource, env);
    assert.equal(readiness.ready, false);
    assert.match(readiness.message, /^ClusterIssuer vault-token at platform\/issuers\.yaml:1: Vault at https:\/\/127\.0\.0\.1:\d+ is sealed/);

    const started = new Date();
    const report = await repo.run("work", started);
    const web = report.outcomes.find((o) => o.certificate.name === "web")!;
    assert.ok(web.kind === "failed" && web.atCA, JSON.stringify(web));
    assert.equal(web.reason, "VaultSealed");
    assert.match(formatDiagnostic(web.diagnostics[0]!), /Certificate shop\/web: ClusterIssuer vault-token at platform\/issuers\.yaml:\d+: Vault refused to sign: .*answered 503: .*sealed/);
    assert.equal(web.kind === "failed" && web.retryAt?.getTime(), started.getTime() + 3600_000);
    assert.equal(report.outcomes.find((o) => o.certificate.name === "local")?.kind, "issued", "the self-signed Certificate of the same run is issued");
    assert.ok(existsSync(join(repo.checkout(), "platform/local-tls.sops.yaml")));
  } finally {
    await bao.unseal();
  }
  assert.equal((await vault.ready!(resource, env)).ready, true);
  // Backoff holds it until the hour is up (or `gitcert renew`); an hour on, it is signed.
  const later = await repo.run("work-2", new Date(Date.now() + 3601_000));
  assert.equal(later.outcomes.find((o) => o.certificate.name === "web")?.kind, "issued");
  const data = repo.secretData(repo.checkout(), "apps/shop/web-tls.sops.yaml");
  opensslVerify(data["tls.crt"]!, data["ca.crt"]!);
});
