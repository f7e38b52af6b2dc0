// Reading cert-manager's spec.vault: the auth method cert-manager would use
// (the first configured), its webhook's checks with their wording, and the
// Secrets `plan` holds a Certificate back for — named with the Issuer's
// file:line, the field and where they were looked for.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/diagnostics.ts";
import { defaultIssuers, secretsOf } from "../../../src/issuers/index.ts";
import { vaultSchema } from "../../../src/issuers/vault/schema.ts";
import { resolve } from "../../../src/manifests/resolve.ts";
import type { CertificateResource, IssuerResource, SecretFile } from "../../../src/manifests/types.ts";
import { problemText, read } from "../../../src/schema/index.ts";
import { certificateSpec } from "../../fixtures/certificate-spec.ts";

function parse(raw: unknown): { spec?: unknown; errors: string[] } {
  const r = read(vaultSchema, raw);
  return r.ok ? { spec: r.value, errors: [] } : { errors: r.problems.map((p) => problemText("spec.vault", p)) };
}

const base = { server: "https://vault.example.com:8200", path: "pki_int/sign/web" };
const token = { tokenSecretRef: { name: "vault-token" } };
const appRole = { appRole: { path: "approle", roleId: " role-1 ", secretRef: { name: "approle", key: "secretId" } } };
const kubernetes = { kubernetes: { role: "gitcert", secretRef: { name: "sa-token" } } };

test("the auth method used is the first configured, in cert-manager's order", () => {
  const cases: Array<[Record<string, unknown>, unknown]> = [
    [{ ...kubernetes, ...appRole, ...token }, { method: "token", secretRef: { name: "vault-token", key: "token" } }],
    [{ ...kubernetes, ...appRole }, { method: "appRole", path: "approle", roleId: "role-1", secretRef: { name: "approle", key: "secretId" } }],
    [{ ...kubernetes, clientCertificate: {} }, { method: "clientCertificate" }],
    [kubernetes, { method: "kubernetes", role: "gitcert", secretRef: { name: "sa-token", key: "token" } }],
    [{ kubernetes: { role: "gitcert", mountPath: "/v1/auth/k8s", serviceAccountRef: { name: "gitcert", audiences: ["vault"] } } }, { method: "kubernetes", role: "gitcert", mountPath: "/v1/auth/k8s", serviceAccountRef: { name: "gitcert", audiences: ["vault"] } }],
    [{ ...token, aws: { role: "x" } }, { method: "token", secretRef: { name: "vault-token", key: "token" } }],
    [{ appRole: { roleId: "r", secretRef: { name: "s", key: "k" } } }, { method: "appRole", path: "approle", roleId: "r", secretRef: { name: "s", key: "k" } }],
  ];
  for (const [auth, expected] of cases) {
    const { spec, errors } = parse({ ...base, auth });
    assert.deepEqual(errors, [], JSON.stringify(auth));
    assert.deepEqual((spec as { auth: unknown }).auth, expected, JSON.stringify(auth));
  }
});

test("TLS fields: caBundle decoded, Secret references with cert-manager's default keys", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const { spec, errors } = parse({
    ...base,
    namespace: "team1",
    caBundle: Buffer.from(pem).toString("base64"),
    clientCertSecretRef: { name: "mtls" },
    clientKeySecretRef: { name: "mtls" },
    serverName: "vault.internal",
    auth: token,
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(spec, {
    ...base,
    namespace: "team1",
    caBundlePem: pem,
    clientCertSecretRef: { name: "mtls", key: "tls.crt" },
    clientKeySecretRef: { name: "mtls", key: "tls.key" },
    serverName: "vault.internal",
    auth: { method: "token", secretRef: { name: "vault-token", key: "token" } },
  });
});

test("each mistake is named with its field, in cert-manager's words", () => {
  const pem = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
  const cases: Array<[unknown, string[]]> = [
    [{ auth: token }, ["spec.vault.server: is required", "spec.vault.path: is required"]],
    [{ ...base, server: "vault:8200", auth: token }, ['spec.vault.server: "vault:8200" is not an http:// or https:// URL']],
    [{ ...base }, ["spec.vault.auth: is required"]],
    [{ ...base, auth: {} }, ["spec.vault.auth: please supply one of: appRole, kubernetes, tokenSecretRef, clientCertificate"]],
    [{ ...base, auth: { aws: { role: "x" } } }, ["spec.vault.auth.aws: is a cert-manager auth method gitcert does not support (gitcert supports: tokenSecretRef, appRole, clientCertificate, kubernetes)"]],
    [{ ...base, auth: { appRole: { secretRef: { name: "s" } } } }, ["spec.vault.auth.appRole.roleId: is required", "spec.vault.auth.appRole.secretRef.key: is required"]],
    [{ ...base, auth: { kubernetes: { role: "r" } } }, ["spec.vault.auth.kubernetes: please supply one of: secretRef, serviceAccountRef"]],
    [{ ...base, auth: { kubernetes: { secretRef: { name: "t" }, serviceAccountRef: { name: "sa" } } } }, ["spec.vault.auth.kubernetes.role: is required"]],
    [{ ...base, auth: { tokenSecretRef: { name: "../etc" } } }, ['spec.vault.auth.tokenSecretRef.name: "../etc" is not a valid Secret name: must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character']],
    [{ ...base, path: "pki/../../sys/seal", auth: { appRole: { path: "../sys", roleId: "r", secretRef: { name: "s", key: "k" } } } }, ['spec.vault.path: must not contain ".."', 'spec.vault.auth.appRole.path: must not contain ".."']],
    [{ ...base, auth: { kubernetes: { role: "r", mountPath: "/v1/auth/../../sys", secretRef: { name: "t" } } } }, ['spec.vault.auth.kubernetes.mountPath: must not contain ".."']],
    [{ ...base, caBundle: "bm90IGEgY2VydA==", auth: token }, ["spec.vault.caBundle: must be base64-encoded PEM certificates"]],
    [{ ...base, caBundle: pem, caBundleSecretRef: { name: "ca" }, auth: token }, ["spec.vault.caBundleSecretRef: specified caBundleSecretRef and caBundle cannot be used together"]],
    [{ ...base, clientCertSecretRef: { name: "c" }, auth: token }, ["spec.vault.clientKeySecretRef: clientKeySecretRef must be provided when defining the clientCertSecretRef"]],
    [{ ...base, clientKeySecretRef: { name: "c" }, auth: token }, ["spec.vault.clientCertSecretRef: clientCertSecretRef must be provided when defining the clientKeySecretRef"]],
  ];
  for (const [raw, expected] of cases) assert.deepEqual(parse(raw).errors, expected, JSON.stringify(raw));
});

const registry = defaultIssuers();
const issuer = (auth: Record<string, unknown>, extra: Record<string, unknown> = {}): IssuerResource => ({
  kind: "ClusterIssuer",
  name: "vault",
  namespace: "",
  spec: { vault: { ...base, auth, ...extra } },
  source: { file: "platform/vault.yaml", line: 3 },
});

test("the Secrets needed are those of the auth method used, and of TLS, in the Secrets' namespace", () => {
  const needs = (i: IssuerResource) => secretsOf(registry, i, "cert-manager").map((n) => `${n.namespace}/${n.name} [${n.keys.join(",")}] ${n.field}`);
  assert.deepEqual(needs(issuer({ ...token, ...appRole })), ["cert-manager/vault-token [token] spec.vault.auth.tokenSecretRef"]);
  assert.deepEqual(needs(issuer(appRole, { caBundleSecretRef: { name: "vault-ca" }, clientCertSecretRef: { name: "mtls" }, clientKeySecretRef: { name: "mtls", key: "key.pem" } })), [
    "cert-manager/approle [secretId] spec.vault.auth.appRole.secretRef",
    "cert-manager/vault-ca [ca.crt] spec.vault.caBundleSecretRef",
    "cert-manager/mtls [tls.crt] spec.vault.clientCertSecretRef",
    "cert-manager/mtls [key.pem] spec.vault.clientKeySecretRef",
  ]);
  assert.deepEqual(needs(issuer({ clientCertificate: { secretName: "login-cert" } })), ["cert-manager/login-cert [tls.crt,tls.key] spec.vault.auth.clientCertificate.secretName"]);
  assert.deepEqual(needs(issuer({ clientCertificate: {} })), []);
  assert.deepEqual(needs(issuer(kubernetes)), ["cert-manager/sa-token [token] spec.vault.auth.kubernetes.secretRef"]);
  assert.deepEqual(needs(issuer({ kubernetes: { role: "r", serviceAccountRef: { name: "gitcert" } } })), [], "a TokenRequest needs no Secret");
});

test("plan holds back a Certificate whose Vault token Secret is missing, naming the issuer's file:line, the field and where it looked", () => {
  const certificate: CertificateResource = {
    name: "web",
    namespace: "shop",
    labels: {},
    source: { file: "apps/web.yaml", line: 1 },
    spec: certificateSpec({ issuerRef: { name: "vault", kind: "ClusterIssuer", group: "cert-manager.io" } }),
  };
  const scan = (secrets: SecretFile[]) => ({ issuers: [issuer(token)], certificates: [certificate], secrets, kustomizations: [], diagnostics: [], stats: { files: 0, documents: 0 } });
  const blocked = resolve(scan([]), { clusterResourceNamespace: "cert-manager", issuers: registry }).blocked;
  assert.equal(
    blocked.flatMap((b) => b.diagnostics.map(formatDiagnostic)).join("\n"),
    "apps/web.yaml:1: Certificate shop/web: ClusterIssuer vault at platform/vault.yaml:3 is not ready: Secret cert-manager/vault-token (Vault token, spec.vault.auth.tokenSecretRef): not found in the repository (no cluster configured)",
  );
  const withKey = (keys: string[]): SecretFile => ({ name: "vault-token", namespace: "cert-manager", annotations: {}, labels: {}, source: { file: "platform/vault-token.sops.yaml", line: 1 }, encrypted: true, keys });
  assert.match(formatDiagnostic(resolve(scan([withKey(["value"])]), { clusterResourceNamespace: "cert-manager", issuers: registry }).blocked[0]!.diagnostics[0]!), /has no key "token"$/);
  assert.equal(resolve(scan([withKey(["token"])]), { clusterResourceNamespace: "cert-manager", issuers: registry }).ready.length, 1);
});
