// Issuers are checked before anything is planned, as cert-manager waits for
// an Issuer to be Ready: a Certificate whose issuer is invalid or lacks a
// Secret is blocked with what is missing and where it was looked for; the
// other Certificates go ahead.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { resolve, type Resolution } from "../../src/manifests/resolve.ts";
import { scanFiles, type SourceFile } from "../../src/manifests/scan-repository.ts";
import { repositorySecrets, type SecretIndex } from "../../src/manifests/secret-index.ts";
import type { CertificateResource, IssuerResource, ScanResult, SecretFile } from "../../src/manifests/types.ts";
import { certificateSpec } from "../fixtures/certificate-spec.ts";

const registry = defaultIssuers();
const ISSUERS_FILE = "platform/issuers.yaml";

function clusterIssuer(name: string, spec: Record<string, unknown>, line = 1): IssuerResource {
  return { kind: "ClusterIssuer", name, namespace: "", spec, source: { file: ISSUERS_FILE, line } };
}

function cert(name: string, issuer: string, overrides: Partial<CertificateResource["spec"]> = {}, namespace = "shop"): CertificateResource {
  return {
    name,
    namespace,
    labels: {},
    source: { file: `apps/${name}.yaml`, line: 1 },
    spec: certificateSpec({ secretName: `${name}-tls`, dnsNames: [`${name}.example.com`], issuerRef: { name: issuer, kind: "ClusterIssuer", group: "cert-manager.io" }, ...overrides }),
  };
}

function secret(namespace: string, name: string, keys: string[]): SecretFile {
  return { name, namespace, annotations: {}, labels: {}, source: { file: `platform/${name}.sops.yaml`, line: 1 }, encrypted: true, keys };
}

function run(issuers: IssuerResource[], certificates: CertificateResource[], secrets: SecretFile[] = [], index?: SecretIndex): Resolution {
  const scan: ScanResult = { issuers, certificates, secrets, kustomizations: [], diagnostics: [], stats: { files: 0, documents: 0 } };
  return resolve(scan, { clusterResourceNamespace: "cert-manager", issuers: registry, ...(index ? { secrets: index } : {}) });
}

/** The one diagnostic blocking `name`, formatted as `plan` prints it. */
function blockedBy(r: Resolution, name: string): string {
  const b = r.blocked.find((x) => x.certificate.name === name);
  assert.ok(b, `${name} is blocked; ready: ${r.ready.map((x) => x.certificate.name).join(", ")}`);
  return b.diagnostics.map(formatDiagnostic).join("\n");
}

const acme = (extra: Record<string, unknown> = {}) => ({
  acme: { server: "https://acme.example/dir", privateKeySecretRef: { name: "le-account" }, solvers: [{ http01: {} }], ...extra },
});

test("an ACME issuer with no server blocks its Certificates, naming the issuer, its file:line and the field", () => {
  const r = run([clusterIssuer("le", { acme: { privateKeySecretRef: { name: "le-account" } } }, 4)], [cert("web", "le")]);
  assert.equal(
    blockedBy(r, "web"),
    "apps/web.yaml:1: Certificate shop/web: ClusterIssuer le at platform/issuers.yaml:4 is invalid: spec.acme.server: is required",
  );
  assert.equal(r.blocked[0]!.diagnostics[0]!.code, "InvalidIssuer");
});

test("a CA issuer whose Secret is missing: what, which field, and where it was looked for", () => {
  const r = run([clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } }, 9)], [cert("web", "ca")]);
  assert.equal(
    blockedBy(r, "web"),
    "apps/web.yaml:1: Certificate shop/web: ClusterIssuer ca at platform/issuers.yaml:9 is not ready: Secret cert-manager/ca-key-pair (CA key pair, spec.ca.secretName): not found in the repository (no cluster configured)",
  );
  assert.equal(r.blocked[0]!.diagnostics[0]!.code, "IssuerNotReady");
  // The Issuer's own verdict, for its Ready condition in the cluster.
  assert.deepEqual([...r.issuerProblems].map(([issuer, problem]) => [issuer.name, problem.code, problem.message]), [[
    "ca",
    "IssuerNotReady",
    "Secret cert-manager/ca-key-pair (CA key pair, spec.ca.secretName): not found in the repository (no cluster configured)",
  ]]);
  assert.equal(run([clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } })], [cert("web", "ca")], [secret("cert-manager", "ca-key-pair", ["tls.crt", "tls.key"])]).issuerProblems.size, 0);
});

test("a CA Secret without tls.key names the file it was found in", () => {
  const r = run([clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } })], [cert("web", "ca")], [secret("cert-manager", "ca-key-pair", ["tls.crt"])]);
  assert.match(blockedBy(r, "web"), /Secret cert-manager\/ca-key-pair \(CA key pair, spec\.ca\.secretName\) at platform\/ca-key-pair\.sops\.yaml:1 has no key "tls\.key"$/);
});

test("an Issuer's Secrets are looked for in its own namespace; a ClusterIssuer's in the cluster resource namespace", () => {
  const issuer: IssuerResource = { kind: "Issuer", name: "ca", namespace: "shop", spec: { ca: { secretName: "ca-key-pair" } }, source: { file: "apps/issuer.yaml", line: 1 } };
  const web = { ...cert("web", "ca"), spec: { ...cert("web", "ca").spec, issuerRef: { name: "ca", kind: "Issuer", group: "cert-manager.io" } } };
  assert.equal(run([issuer], [web], [secret("shop", "ca-key-pair", ["tls.crt", "tls.key"])]).ready.length, 1);
  assert.match(blockedBy(run([issuer], [web], [secret("cert-manager", "ca-key-pair", ["tls.crt", "tls.key"])]), "web"), /Secret shop\/ca-key-pair/);
});

test("a CA key pair an isCA Certificate in the repository writes counts as there: both are planned", () => {
  const root = cert("root", "selfsigned", { isCA: true, secretName: "ca-key-pair" }, "cert-manager");
  const r = run([clusterIssuer("selfsigned", { selfSigned: {} }), clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } })], [root, cert("web", "ca")]);
  assert.deepEqual(r.ready.map((x) => x.certificate.name), ["root", "web"]);
});

test("a CA key pair whose own Certificate cannot be issued does not count, and that Certificate is named", () => {
  const root = cert("root", "nowhere", { isCA: true, secretName: "ca-key-pair" }, "cert-manager");
  const r = run([clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } })], [root, cert("web", "ca")]);
  assert.match(blockedBy(r, "web"), /not found in the repository \(no cluster configured\); Certificate cert-manager\/root at apps\/root\.yaml:1 would write it but cannot be issued$/);
});

test("a DNS-01 solver's TSIG Secret blocks only the Certificates whose names pick that solver", () => {
  const spec = acme({
    solvers: [
      { selector: { dnsZones: ["dns.example.com"] }, dns01: { rfc2136: { nameserver: "10.0.0.1", tsigKeyName: "k", tsigSecretSecretRef: { name: "tsig", key: "secret" } } } },
      { http01: {} },
    ],
  });
  const r = run([clusterIssuer("le", spec)], [cert("wild", "le", { dnsNames: ["*.dns.example.com"] }), cert("web", "le")]);
  assert.deepEqual(r.ready.map((x) => x.certificate.name), ["web"]);
  assert.match(
    blockedBy(r, "wild"),
    /is not ready: Secret cert-manager\/tsig \(TSIG secret, spec\.acme\.solvers\[0\]\.dns01\.rfc2136\.tsigSecretSecretRef\): not found in the repository/,
  );
  assert.equal(run([clusterIssuer("le", spec)], [cert("wild", "le", { dnsNames: ["*.dns.example.com"] })], [secret("cert-manager", "tsig", ["secret"])]).ready.length, 1);
});

test("API-token and EAB Secrets are needed; the account key is made when missing, unless generation is disabled", () => {
  const cloudflare = acme({ solvers: [{ dns01: { cloudflare: { apiTokenSecretRef: { name: "cf", key: "token" } } } }] });
  assert.match(blockedBy(run([clusterIssuer("le", cloudflare)], [cert("web", "le")]), "web"), /Secret cert-manager\/cf \(Cloudflare API token, spec\.acme\.solvers\[0\]\.dns01\.cloudflare\.apiTokenSecretRef\)/);

  const eab = acme({ externalAccountBinding: { keyID: "kid", keySecretRef: { name: "eab", key: "hmac" } } });
  assert.match(blockedBy(run([clusterIssuer("le", eab)], [cert("web", "le")]), "web"), /Secret cert-manager\/eab \(EAB HMAC key, spec\.acme\.externalAccountBinding\.keySecretRef\)/);

  assert.equal(run([clusterIssuer("le", acme())], [cert("web", "le")]).ready.length, 1, "the account key is created on first use");
  const fixed = acme({ disableAccountKeyGeneration: true });
  assert.match(blockedBy(run([clusterIssuer("le", fixed)], [cert("web", "le")]), "web"), /Secret cert-manager\/le-account \(ACME account key, spec\.acme\.privateKeySecretRef\): not found/);
  assert.match(
    blockedBy(run([clusterIssuer("le", acme())], [cert("web", "le")], [secret("cert-manager", "le-account", ["key.pem"])]), "web"),
    /le-account \(ACME account key, spec\.acme\.privateKeySecretRef\) at platform\/le-account\.sops\.yaml:1 has no key "tls\.key"/,
  );
});

test("Secrets known from elsewhere (the cluster) count, and messages say where was looked", () => {
  const issuers = [clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } })];
  const known: SecretIndex = { secrets: new Map([["cert-manager/ca-key-pair", { keys: ["tls.crt", "tls.key"], where: "the cluster" }]]), lookedIn: "the repository and the cluster" };
  assert.equal(run(issuers, [cert("web", "ca")], [], known).ready.length, 1);
  const empty: SecretIndex = { secrets: new Map(), lookedIn: "the repository and the cluster" };
  assert.match(blockedBy(run(issuers, [cert("web", "ca")], [], empty), "web"), /not found in the repository and the cluster$/);
});

test("an Issuer no Certificate uses is reported once, as a warning against the Issuer", () => {
  const r = run([clusterIssuer("ca", { ca: { secretName: "ca-key-pair" } }, 3), clusterIssuer("selfsigned", { selfSigned: {} })], [cert("web", "selfsigned")]);
  assert.deepEqual(r.diagnostics.map((d) => `${d.severity} ${formatDiagnostic(d)}`), [
    "warning platform/issuers.yaml:3: ClusterIssuer ca is not ready: Secret cert-manager/ca-key-pair (CA key pair, spec.ca.secretName): not found in the repository (no cluster configured)",
  ]);
  assert.equal(r.ready.length, 1);
});

function certificateYaml(name: string, host: string): string {
  return `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: ${name}, namespace: shop }
spec:
  secretName: ${name}-tls
  dnsNames: [${host}]
  issuerRef: { name: le, kind: ClusterIssuer }
`;
}

// A home-lab layout: the DNS-01 token comes from a password manager through
// an ExternalSecret, or is sealed with kubeseal; neither is a Secret in Git.
const SECRET_MAKERS: SourceFile[] = [
  { path: "cluster/issuers/kustomization.yaml", text: "namespace: cert-manager\nresources: [issuer.yaml, token.yaml, sealed.yaml]\n" },
  {
    path: "cluster/issuers/issuer.yaml",
    text: `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: le
spec:
  acme:
    server: https://acme.example/dir
    privateKeySecretRef: { name: le-account }
    solvers:
      - dns01:
          cloudflare:
            apiTokenSecretRef: { name: dns-token, key: api-token }
        selector: { dnsZones: [example.com] }
      - dns01:
          cloudflare:
            apiTokenSecretRef: { name: sealed-token, key: api-token }
        selector: { dnsZones: [example.org] }
      - dns01:
          cloudflare:
            apiTokenSecretRef: { name: nowhere-token, key: api-token }
        selector: { dnsZones: [example.net] }
`,
  },
  {
    path: "cluster/issuers/token.yaml",
    text: `# made from the vault by the External Secrets Operator
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: dns
spec:
  secretStoreRef: { kind: ClusterSecretStore, name: vault }
  target:
    name: dns-token
  data:
    - secretKey: api-token
      remoteRef: { key: dns, property: token }
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: unused
spec:
  target: { name: nowhere-token, creationPolicy: None }
`,
  },
  {
    path: "cluster/issuers/sealed.yaml",
    text: `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: sealed-token
spec:
  encryptedData:
    api-token: AgBy3i4OJSWK+PiTySYZZA==
`,
  },
  { path: "apps/web.yaml", text: [["web", "web.example.com"], ["blog", "blog.example.org"], ["shop", "shop.example.net"]].map(([name, host]) => certificateYaml(name!, host!)).join("---\n") },
];

test("a Secret an ExternalSecret or a SealedSecret in the repository makes is named as made in the cluster, with what to configure", () => {
  const scan = scanFiles(SECRET_MAKERS, { defaultNamespace: "default" });
  const r = resolve(scan, { clusterResourceNamespace: "cert-manager", issuers: registry });
  const solver = (i: number) => `spec.acme.solvers[${i}].dns01.cloudflare.apiTokenSecretRef`;
  assert.match(
    blockedBy(r, "web"),
    new RegExp(`is not ready: Secret cert-manager/dns-token \\(Cloudflare API token, ${escape(solver(0))}\\): not in the repository: the ExternalSecret cert-manager/dns at cluster/issuers/token\\.yaml:3 makes it in the cluster; configure a cluster \\(kubeconfig\\) so gitcert can read it there$`),
  );
  assert.match(
    blockedBy(r, "blog"),
    /Secret cert-manager\/sealed-token \(.*\): not in the repository: the SealedSecret cert-manager\/sealed-token at cluster\/issuers\/sealed\.yaml:1 makes it in the cluster; configure a cluster/,
  );
  // `creationPolicy: None` makes no Secret: plainly not found.
  assert.match(blockedBy(r, "shop"), /Secret cert-manager\/nowhere-token \(.*\): not found in the repository \(no cluster configured\)$/);
  // The sealed ciphertext is not kept once read.
  assert.equal(JSON.stringify(scanFiles(SECRET_MAKERS, { defaultNamespace: "default" })).includes("AgBy3i4O"), false);
});

test("with a cluster looked in, a made Secret still missing points at the object that should make it", () => {
  const scan = scanFiles(SECRET_MAKERS, { defaultNamespace: "default" });
  const index: SecretIndex = { ...repositorySecrets(scan), lookedIn: "the repository or the cluster (kind-home)", repositoryOnly: false };
  const r = resolve(scan, { clusterResourceNamespace: "cert-manager", issuers: registry, secrets: index });
  assert.match(
    blockedBy(r, "web"),
    /: not found in the repository or the cluster \(kind-home\); the ExternalSecret cert-manager\/dns at cluster\/issuers\/token\.yaml:3 should make it there: see its status in the cluster$/,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
