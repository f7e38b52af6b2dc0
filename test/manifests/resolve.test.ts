import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { DEFAULT_SCAN_OPTIONS, scanFiles } from "../../src/manifests/scan-repository.ts";
import { resolve, type Resolution } from "../../src/manifests/resolve.ts";
import type { CertificateResource, IssuerRef, IssuerResource, ScanResult } from "../../src/manifests/types.ts";
import { defaultIssuers, type Issuer } from "../../src/issuers/index.ts";
import { mapping } from "../../src/schema/index.ts";
import { certificateSpec } from "../fixtures/certificate-spec.ts";

// Builders: `cert("shop/web")` is an explicit Certificate in apps/shop/web.yaml;
// `derived("shop/web", "Ingress shop/front")` one the ingress-shim made.
function cert(
  ref: string,
  opts: { secret?: string; issuer?: Partial<IssuerRef>; file?: string; line?: number } = {},
): CertificateResource {
  const [namespace, name] = ref.split("/") as [string, string];
  return {
    name,
    namespace,
    labels: {},
    source: { file: opts.file ?? `apps/${namespace}/${name}.yaml`, line: opts.line ?? 1 },
    spec: certificateSpec({
      secretName: opts.secret ?? name,
      dnsNames: [`${name}.example.com`],
      issuerRef: { name: "le", kind: "ClusterIssuer", group: "cert-manager.io", ...opts.issuer },
    }),
  };
}

function derived(ref: string, owner: string, opts: Parameters<typeof cert>[1] = {}): CertificateResource {
  const [kind, ownerRef] = owner.split(" ") as [string, string];
  const [namespace, name] = ownerRef.split("/") as [string, string];
  return { ...cert(ref, { file: `apps/${namespace}/${name}-ingress.yaml`, line: 3, ...opts }), owner: { kind, namespace, name } };
}

function issuer(ref: string, spec: Record<string, unknown> = { selfSigned: {} }, file?: string): IssuerResource {
  const parts = ref.split("/");
  const cluster = parts.length === 1;
  return {
    kind: cluster ? "ClusterIssuer" : "Issuer",
    namespace: cluster ? "" : parts[0]!,
    name: parts[parts.length - 1]!,
    spec,
    source: { file: file ?? (cluster ? "platform/issuers.yaml" : `apps/${parts[0]}/issuer.yaml`), line: 2 },
  };
}

function scan(issuers: IssuerResource[], certificates: CertificateResource[]): ScanResult {
  return { issuers, certificates, secrets: [], kustomizations: [], diagnostics: [], stats: { files: 0, documents: 0 } };
}

const registry = defaultIssuers();
const run = (issuers: IssuerResource[], certificates: CertificateResource[]): Resolution =>
  resolve(scan(issuers, certificates), { clusterResourceNamespace: "cert-manager", issuers: registry });

/** ready as "ns/name -> Issuer label", blocked as "ns/name: Code, Code". */
function summary(r: Resolution) {
  return {
    ready: r.ready.map((x) => `${x.certificate.namespace}/${x.certificate.name} -> ${x.issuer.kind} ${x.issuer.namespace ? x.issuer.namespace + "/" : ""}${x.issuer.name} @${x.issuer.source.file}`),
    blocked: r.blocked.map((x) => `${x.certificate.namespace}/${x.certificate.name}${x.certificate.owner ? "*" : ""}: ${x.diagnostics.map((d) => d.code).join(", ")}`),
    diagnostics: r.diagnostics.map((d) => `${d.code} @${d.source?.file}`),
  };
}

const cases: Array<{
  name: string;
  issuers: IssuerResource[];
  certificates: CertificateResource[];
  ready?: string[];
  blocked?: string[];
  diagnostics?: string[];
}> = [
  {
    name: "ClusterIssuer found",
    issuers: [issuer("le")],
    certificates: [cert("shop/web")],
    ready: ["shop/web -> ClusterIssuer le @platform/issuers.yaml"],
  },
  {
    name: "Issuer found in the Certificate's namespace",
    issuers: [issuer("shop/le"), issuer("other/le")],
    certificates: [cert("shop/web", { issuer: { kind: "Issuer" } })],
    ready: ["shop/web -> Issuer shop/le @apps/shop/issuer.yaml"],
  },
  {
    name: "an Issuer in another namespace does not serve",
    issuers: [issuer("other/le")],
    certificates: [cert("shop/web", { issuer: { kind: "Issuer" } })],
    blocked: ["shop/web: IssuerNotFound"],
  },
  {
    name: "an Issuer is not a ClusterIssuer of the same name",
    issuers: [issuer("shop/le")],
    certificates: [cert("shop/web", { issuer: { kind: "ClusterIssuer" } })],
    blocked: ["shop/web: IssuerNotFound"],
  },
  {
    name: "empty kind and group mean Issuer in cert-manager.io",
    issuers: [issuer("shop/le")],
    certificates: [cert("shop/web", { issuer: { kind: "", group: "" } })],
    ready: ["shop/web -> Issuer shop/le @apps/shop/issuer.yaml"],
  },
  {
    name: "external issuer group",
    issuers: [issuer("le")],
    certificates: [cert("shop/web", { issuer: { kind: "AWSPCAClusterIssuer", group: "awspca.cert-manager.io" } })],
    blocked: ["shop/web: ExternalIssuer"],
  },
  {
    name: "unknown kind in the cert-manager.io group",
    issuers: [issuer("le")],
    certificates: [cert("shop/web", { issuer: { kind: "NamespacedIssuer" } })],
    blocked: ["shop/web: UnknownIssuerKind"],
  },
  {
    name: "issuer with no type, and with two",
    issuers: [issuer("none", { foo: {} }), issuer("two", { acme: {}, ca: {} }), issuer("null", { selfSigned: null })],
    certificates: [cert("shop/a", { issuer: { name: "none" } }), cert("shop/b", { issuer: { name: "two" } }), cert("shop/c", { issuer: { name: "null" } })],
    blocked: ["shop/a: InvalidIssuer", "shop/b: InvalidIssuer", "shop/c: InvalidIssuer"],
  },
  {
    name: "duplicate Issuer: diagnostic on the second, the first wins",
    issuers: [issuer("le", { selfSigned: {} }, "a/first.yaml"), issuer("le", { ca: { secretName: "root" } }, "b/second.yaml")],
    certificates: [cert("shop/web")],
    ready: ["shop/web -> ClusterIssuer le @a/first.yaml"],
    diagnostics: ["DuplicateIssuer @b/second.yaml"],
  },
  {
    name: "same-named Issuers in two namespaces are not duplicates",
    issuers: [issuer("a/le"), issuer("b/le")],
    certificates: [],
    diagnostics: [],
  },
  {
    name: "two Certificates writing one Secret: both blocked",
    issuers: [issuer("le")],
    certificates: [cert("shop/a", { secret: "tls" }), cert("shop/b", { secret: "tls" }), cert("shop/c", { secret: "c" })],
    ready: ["shop/c -> ClusterIssuer le @platform/issuers.yaml"],
    blocked: ["shop/a: DuplicateSecretName", "shop/b: DuplicateSecretName"],
  },
  {
    name: "one Secret name in two namespaces is two Secrets",
    issuers: [issuer("le")],
    certificates: [cert("a/web", { secret: "tls" }), cert("b/web", { secret: "tls" })],
    ready: ["a/web -> ClusterIssuer le @platform/issuers.yaml", "b/web -> ClusterIssuer le @platform/issuers.yaml"],
  },
  {
    name: "explicit and derived with the same name: the explicit one wins, even listed second",
    issuers: [issuer("le")],
    certificates: [derived("shop/web", "Ingress shop/front"), cert("shop/web")],
    ready: ["shop/web -> ClusterIssuer le @platform/issuers.yaml"],
    blocked: ["shop/web*: CertificateNotOwned"],
  },
  {
    name: "explicit and derived writing the same Secret under different names: both blocked",
    issuers: [issuer("le")],
    certificates: [cert("shop/web", { secret: "front" }), derived("shop/front", "Ingress shop/front")],
    blocked: ["shop/web: DuplicateSecretName", "shop/front*: DuplicateSecretName"],
  },
  {
    name: "two Ingresses deriving the same Certificate: the second is blocked",
    issuers: [issuer("le")],
    certificates: [derived("shop/web", "Ingress shop/a"), derived("shop/web", "Gateway shop/b")],
    ready: ["shop/web -> ClusterIssuer le @platform/issuers.yaml"],
    blocked: ["shop/web*: DuplicateCertificate"],
  },
  {
    name: "two explicit Certificates with the same name: the second is blocked",
    issuers: [issuer("le")],
    certificates: [cert("shop/web", { file: "a.yaml" }), cert("shop/web", { file: "b.yaml", secret: "other" })],
    ready: ["shop/web -> ClusterIssuer le @platform/issuers.yaml"],
    blocked: ["shop/web: DuplicateCertificate"],
  },
  {
    name: "a contested Secret and a missing issuer are both reported",
    issuers: [],
    certificates: [cert("shop/a", { secret: "tls" }), cert("shop/b", { secret: "tls" })],
    blocked: ["shop/a: DuplicateSecretName, IssuerNotFound", "shop/b: DuplicateSecretName, IssuerNotFound"],
  },
  {
    name: "results keep scan order",
    issuers: [issuer("le")],
    certificates: [cert("z/z"), cert("a/a", { issuer: { name: "nope" } }), cert("m/m")],
    ready: ["z/z -> ClusterIssuer le @platform/issuers.yaml", "m/m -> ClusterIssuer le @platform/issuers.yaml"],
    blocked: ["a/a: IssuerNotFound"],
  },
];

for (const c of cases) {
  test(`resolve: ${c.name}`, () => {
    const s = summary(run(c.issuers, c.certificates));
    assert.deepEqual(s, { ready: c.ready ?? [], blocked: c.blocked ?? [], diagnostics: c.diagnostics ?? [] });
  });
}

test("an unknown issuer is named, with the Certificate's file:line", () => {
  const r = run([], [cert("shop/web", { issuer: { name: "letsencrypt", kind: "Issuer" }, file: "apps/shop/web.yaml", line: 12 })]);
  const d = r.blocked[0]!.diagnostics[0]!;
  assert.deepEqual(d.source, { file: "apps/shop/web.yaml", line: 12 });
  assert.deepEqual(d.object, { kind: "Certificate", namespace: "shop", name: "web" });
  assert.equal(
    formatDiagnostic(d),
    "apps/shop/web.yaml:12: Certificate shop/web: Issuer shop/letsencrypt not found in the repository (wanted by Certificate shop/web at apps/shop/web.yaml:12)",
  );
});

test("an issuer the scan left out (its Flux variable comes from a SOPS Secret plan does not open) is said to be left out, and why, not \"not found\"", () => {
  const scan = scanFiles(
    [
      {
        path: "apps/issuer.yaml",
        text: "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: acme}\nspec:\n  acme:\n    email: ${CONTACT}\n    server: https://ca.example.test/dir\n    privateKeySecretRef: {name: acme}\n    solvers: [{http01: {}}]\n",
      },
      {
        path: "apps/web.yaml",
        text: "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: shop}\nspec: {secretName: web-tls, dnsNames: [web.example.test], issuerRef: {kind: ClusterIssuer, name: acme}}\n",
      },
      {
        path: "cluster/apps.yaml",
        text: "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substituteFrom: [{kind: Secret, name: contact}]\n",
      },
      {
        path: "cluster/contact.sops.yaml",
        text: "apiVersion: v1\nkind: Secret\nmetadata: {name: contact, namespace: flux-system}\nstringData: {CONTACT: 'ENC[AES256_GCM,data:aGk=,iv:aGk=,tag:aGk=,type:str]'}\nsops: {mac: 'ENC[AES256_GCM,data:aGk=,iv:aGk=,tag:aGk=,type:str]', version: 3.9.0, age: [{recipient: age1example, enc: x}]}\n",
      },
    ],
    DEFAULT_SCAN_OPTIONS,
  );
  const r = resolve(scan, { clusterResourceNamespace: "cert-manager", issuers: defaultIssuers() });
  const d = r.blocked[0]!.diagnostics[0]!;
  assert.equal(d.code, "IssuerLeftOut");
  assert.match(
    formatDiagnostic(d),
    /^apps\/web\.yaml:1: Certificate shop\/web: ClusterIssuer acme at apps\/issuer\.yaml:1 is in the repository but was left out \(wanted by Certificate shop\/web at apps\/web\.yaml:1\): \$\{CONTACT\} \(Secret flux-system\/contact at cluster\/contact\.sops\.yaml:1\) comes from a SOPS-encrypted Secret/,
  );
});

const hints: Array<{ name: string; issuers: IssuerResource[]; ref: Partial<IssuerRef>; hint: RegExp }> = [
  { name: "wrong kind, ClusterIssuer exists", issuers: [issuer("le")], ref: { kind: "Issuer" }, hint: /a ClusterIssuer of that name exists/ },
  { name: "wrong kind, Issuer exists", issuers: [issuer("shop/le")], ref: { kind: "ClusterIssuer" }, hint: /an Issuer of that name exists in namespace shop/ },
  { name: "Issuer in other namespaces", issuers: [issuer("a/le"), issuer("b/le")], ref: { kind: "Issuer" }, hint: /exist in namespace a, b/ },
];
for (const h of hints) {
  test(`an unknown issuer comes with a hint: ${h.name}`, () => {
    const r = run(h.issuers, [cert("shop/web", { issuer: h.ref })]);
    assert.match(r.blocked[0]!.diagnostics[0]!.message, h.hint);
  });
}

test("a derived Certificate's diagnostics name its Ingress", () => {
  const r = run([], [derived("shop/web", "Ingress shop/front")]);
  assert.match(r.blocked[0]!.diagnostics[0]!.message, /Certificate shop\/web \(from Ingress shop\/front\)/);
});

test("a contested Secret names every Certificate and file", () => {
  const r = run([issuer("le")], [cert("shop/a", { secret: "tls", file: "x/a.yaml", line: 4 }), derived("shop/b", "Ingress shop/front", { secret: "tls" })]);
  for (const b of r.blocked) {
    const m = b.diagnostics[0]!.message;
    assert.match(m, /Secret shop\/tls/);
    assert.match(m, /Certificate shop\/a at x\/a\.yaml:4/);
    assert.match(m, /Certificate shop\/b \(from Ingress shop\/front\) at apps\/shop\/front-ingress\.yaml:3/);
  }
});

test("the explicit Certificate that beats a derived one is named with its file", () => {
  const r = run([issuer("le")], [cert("shop/web", { file: "apps/shop/cert.yaml", line: 7 }), derived("shop/web", "Ingress shop/front")]);
  assert.match(r.blocked[0]!.diagnostics[0]!.message, /Ingress shop\/front would create this Certificate.*apps\/shop\/cert\.yaml:7/);
});

test("a cert-manager issuer type the registry does not have is unsupported, and says which", () => {
  // Every cert-manager type is in the default registry: this one lacks vault.
  const withoutVault = new Map([...registry].filter(([type]) => type !== "vault"));
  const r = resolve(scan([issuer("v", { vault: {} })], [cert("shop/web", { issuer: { name: "v" } })]), { clusterResourceNamespace: "cert-manager", issuers: withoutVault });
  assert.deepEqual(summary(r), { ready: [], blocked: ["shop/web: UnsupportedIssuerType"], diagnostics: [] });
  assert.match(r.blocked[0]!.diagnostics[0]!.message, /^issuer type vault is not supported/);
});

test("a duplicate Issuer's diagnostic points at both files", () => {
  const r = run([issuer("shop/le", { acme: {} }, "a.yaml"), issuer("shop/le", { acme: {} }, "b.yaml")], []);
  assert.equal(formatDiagnostic(r.diagnostics[0]!), "b.yaml:2: Issuer shop/le: also defined at a.yaml:2; that first definition is used and this one ignored");
});

test("a type registered beyond cert-manager's counts as an issuer type", () => {
  const stepCA: Issuer = { type: "stepCA", schema: mapping({}), secrets: () => [], sign: () => Promise.reject(new Error("not in this test")) };
  const r = resolve(scan([issuer("step", { stepCA: {} })], [cert("shop/web", { issuer: { name: "step" } })]), {
    clusterResourceNamespace: "cert-manager",
    issuers: new Map([["stepCA", stepCA]]),
  });
  assert.equal(r.ready.length, 1);
});

test("10,000 Certificates across 500 namespaces all resolve", () => {
  const issuers = [issuer("le"), ...Array.from({ length: 500 }, (_, i) => issuer(`ns${i}/le`))];
  const certificates = Array.from({ length: 10_000 }, (_, i) =>
    i % 3 === 0 ? derived(`ns${i % 500}/c${i}`, `Ingress ns${i % 500}/i${i}`) : cert(`ns${i % 500}/c${i}`, { issuer: { kind: i % 2 ? "Issuer" : "ClusterIssuer" } }),
  );
  const r = run(issuers, certificates);
  assert.equal(r.ready.length, 10_000);
});
