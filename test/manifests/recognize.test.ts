import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { namespaceResolver } from "../../src/manifests/namespace.ts";
import {
  isKustomizationPath,
  kustomizationFromDocuments,
  recognize,
  type RecognizeSink,
} from "../../src/manifests/recognize.ts";
import type { ManifestDocument } from "../../src/manifests/types.ts";

const FILE = "apps/shop/x.yaml";

function run(yaml: string, opts: { defaultIssuer?: { name: string; kind: string; group: string } } = {}): RecognizeSink {
  const out: RecognizeSink = { issuers: [], certificates: [], secrets: [], diagnostics: [] };
  const doc: ManifestDocument = { source: { file: FILE, line: 3 }, object: parse(yaml) };
  const namespaces = namespaceResolver([{ dir: "apps/shop", file: "apps/shop/kustomization.yaml", namespace: "shop", resources: [] }], "default");
  recognize(doc, { namespaces, ...opts }, out);
  return out;
}

const codes = (out: RecognizeSink) => out.diagnostics.map((d) => `${d.severity}:${d.code}`);

test("Issuer: namespace from the kustomization, raw spec kept", () => {
  const out = run("apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: le}\nspec: {acme: {server: https://acme}}\n");
  assert.deepEqual(out.issuers, [
    { kind: "Issuer", name: "le", namespace: "shop", spec: { acme: { server: "https://acme" } }, source: { file: FILE, line: 3 } },
  ]);
  assert.deepEqual(out.diagnostics, []);
});

test("ClusterIssuer: cluster-scoped, namespace is empty even when written", () => {
  const out = run("apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ca, namespace: ignored}\nspec: {ca: {secretName: root}}\n");
  assert.equal(out.issuers[0]?.namespace, "");
  assert.equal(out.issuers[0]?.kind, "ClusterIssuer");
});

const issuerProblems: Array<{ name: string; yaml: string; kept: boolean; codes: string[] }> = [
  { name: "missing name", yaml: "metadata: {}\nspec: {ca: {}}", kept: false, codes: ["error:MissingName"] },
  { name: "no metadata", yaml: "spec: {ca: {}}", kept: false, codes: ["error:MissingName"] },
  { name: "no spec", yaml: "metadata: {name: x}", kept: false, codes: ["error:InvalidIssuer"] },
  { name: "no issuer type", yaml: "metadata: {name: x}\nspec: {foo: {}}", kept: true, codes: ["error:InvalidIssuer"] },
  { name: "two issuer types", yaml: "metadata: {name: x}\nspec: {ca: {}, selfSigned: {}}", kept: true, codes: ["error:InvalidIssuer"] },
  { name: "a type written with no value", yaml: "metadata: {name: x}\nspec:\n  selfSigned:", kept: true, codes: ["error:InvalidIssuer"] },
  { name: "venafi is a type", yaml: "metadata: {name: x}\nspec: {venafi: {}}", kept: true, codes: [] },
];
for (const c of issuerProblems) {
  test(`Issuer problem: ${c.name}`, () => {
    const out = run(`apiVersion: cert-manager.io/v1\nkind: Issuer\n${c.yaml}\n`);
    assert.equal(out.issuers.length, c.kept ? 1 : 0);
    assert.deepEqual(codes(out), c.codes);
    for (const d of out.diagnostics) assert.deepEqual(d.source, { file: FILE, line: 3 });
  });
}

test("an issuer type written with no value gets a hint", () => {
  const out = run("apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: x}\nspec:\n  selfSigned:\n");
  assert.match(out.diagnostics[0]?.message ?? "", /write `selfSigned: \{\}`/);
});

const versions: Array<{ apiVersion: string; kind: string; codes: string[] }> = [
  { apiVersion: "cert-manager.io/v1alpha2", kind: "Certificate", codes: ["warning:UnsupportedAPIVersion"] },
  { apiVersion: "cert-manager.io/v1beta1", kind: "ClusterIssuer", codes: ["warning:UnsupportedAPIVersion"] },
  { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Issuer", codes: ["warning:UnsupportedAPIVersion"] },
  { apiVersion: "acm.aws.upbound.io/v1beta1", kind: "Certificate", codes: [] },
  { apiVersion: "networking.gke.io/v1", kind: "Issuer", codes: [] },
];
for (const v of versions) {
  test(`${v.kind} ${v.apiVersion} is not read${v.codes.length ? ", with a warning" : ", silently (not cert-manager's)"}`, () => {
    const out = run(`apiVersion: ${v.apiVersion}\nkind: ${v.kind}\nmetadata: {name: x}\nspec: {secretName: x, ca: {}}\n`);
    assert.deepEqual(codes(out), v.codes);
    assert.equal(out.issuers.length + out.certificates.length, 0);
  });
}

test("Certificate: validated by certificateFromManifest in the resolved namespace", () => {
  const out = run(
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\nspec:\n  secretName: web-tls\n  dnsNames: [web.example.com]\n  issuerRef: {name: le, kind: ClusterIssuer}\n",
  );
  assert.deepEqual(out.diagnostics, []);
  assert.equal(out.certificates.length, 1);
  const c = out.certificates[0]!;
  assert.deepEqual([c.namespace, c.name, c.spec.secretName, c.source.line], ["shop", "web", "web-tls", 3]);
  assert.equal(c.owner, undefined);
});

test("Certificate with an error: the diagnostic passes through, no Certificate", () => {
  const out = run("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\nspec: {dnsNames: [web.example.com], issuerRef: {name: le}}\n");
  assert.equal(out.certificates.length, 0);
  assert.ok(out.diagnostics.some((d) => d.severity === "error"));
});

const ingress = (apiVersion: string, annotations: string) =>
  `apiVersion: ${apiVersion}\nkind: Ingress\nmetadata:\n  name: front\n  annotations: {${annotations}}\nspec:\n  tls:\n  - hosts: [shop.example.com]\n    secretName: front-tls\n`;

test("Ingress v1 with an issuer annotation: derived Certificate owned by the Ingress", () => {
  const out = run(ingress("networking.k8s.io/v1", '"cert-manager.io/cluster-issuer": le'));
  assert.deepEqual(out.diagnostics, []);
  assert.equal(out.certificates.length, 1);
  const c = out.certificates[0]!;
  assert.deepEqual([c.namespace, c.name, c.spec.issuerRef.name, c.spec.issuerRef.kind], ["shop", "front-tls", "le", "ClusterIssuer"]);
  assert.deepEqual(c.owner, { kind: "Ingress", namespace: "shop", name: "front" });
});

test("Ingress with tls-acme uses the configured default issuer", () => {
  const out = run(ingress("networking.k8s.io/v1", '"kubernetes.io/tls-acme": "true"'), {
    defaultIssuer: { name: "default-le", kind: "ClusterIssuer", group: "cert-manager.io" },
  });
  assert.equal(out.certificates[0]?.spec.issuerRef.name, "default-le");
});

test("Ingress without annotations derives nothing and says nothing", () => {
  const out = run(ingress("networking.k8s.io/v1", ""));
  assert.deepEqual(out, { issuers: [], certificates: [], secrets: [], diagnostics: [] });
});

test("a legacy Ingress asking for a certificate gets a warning; one that does not, nothing", () => {
  assert.deepEqual(codes(run(ingress("networking.k8s.io/v1beta1", '"cert-manager.io/issuer": le'))), ["warning:UnsupportedAPIVersion"]);
  assert.deepEqual(codes(run(ingress("extensions/v1beta1", '"kubernetes.io/tls-acme": "true"'))), ["warning:UnsupportedAPIVersion"]);
  assert.deepEqual(codes(run(ingress("extensions/v1beta1", "a: b"))), []);
});

const gateway = (apiVersion: string) =>
  `apiVersion: ${apiVersion}\nkind: Gateway\nmetadata:\n  name: gw\n  annotations: {"cert-manager.io/issuer": le}\nspec:\n  gatewayClassName: x\n  listeners:\n  - name: https\n    hostname: shop.example.com\n    port: 443\n    protocol: HTTPS\n    tls:\n      mode: Terminate\n      certificateRefs: [{name: gw-tls}]\n`;

test("Gateway v1: derived Certificate owned by the Gateway", () => {
  const out = run(gateway("gateway.networking.k8s.io/v1"));
  assert.deepEqual(out.diagnostics, []);
  assert.deepEqual(out.certificates.map((c) => [c.name, c.owner?.kind]), [["gw-tls", "Gateway"]]);
});

test("Gateway v1beta1 asking for a certificate: warning", () => {
  assert.deepEqual(codes(run(gateway("gateway.networking.k8s.io/v1beta1"))), ["warning:UnsupportedAPIVersion"]);
});

test("Secret: metadata read as plaintext, SOPS-encrypted when it has sops.mac", () => {
  const out = run(
    [
      "apiVersion: v1",
      "kind: Secret",
      "type: kubernetes.io/tls",
      "metadata:",
      "  name: web-tls",
      "  annotations: {cert-manager.io/certificate-name: web, gitcert.io/revision: 3, flag: true, nested: {a: 1}}",
      "  labels: {app: web}",
      "data: {tls.crt: 'ENC[AES256_GCM,data:x]'}",
      "sops: {mac: 'ENC[AES256_GCM,data:y]', version: 3.9.0}",
    ].join("\n"),
  );
  assert.deepEqual(out.secrets, [
    {
      name: "web-tls",
      namespace: "shop",
      type: "kubernetes.io/tls",
      annotations: { "cert-manager.io/certificate-name": "web", "gitcert.io/revision": "3", flag: "true" },
      labels: { app: "web" },
      source: { file: FILE, line: 3 },
      encrypted: true,
      keys: ["tls.crt"],
    },
  ]);
});

test("Secret without sops, or with sops but no mac, is not encrypted", () => {
  assert.equal(run("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n").secrets[0]?.encrypted, false);
  assert.equal(run("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nsops: {version: 3}\n").secrets[0]?.encrypted, false);
});

test("Secret whose metadata SOPS encrypted: warned about, not listed", () => {
  const out = run("apiVersion: v1\nkind: Secret\nmetadata: {name: 'ENC[AES256_GCM,data:abc]'}\nsops: {mac: 'ENC[x]'}\n");
  assert.deepEqual(out.secrets, []);
  assert.deepEqual(codes(out), ["warning:EncryptedSecretMetadata"]);
});

test("other kinds and nameless Secrets are ignored", () => {
  for (const y of ["apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}", "apiVersion: v1\nkind: Secret\nmetadata: {}", "foo: bar"]) {
    assert.deepEqual(run(y), { issuers: [], certificates: [], secrets: [], diagnostics: [] });
  }
});

const kustomizationPaths: Array<[string, boolean]> = [
  ["kustomization.yaml", true],
  ["a/b/kustomization.yml", true],
  ["a/Kustomization", true],
  ["a/kustomization.yaml.bak", false],
  ["a/my-kustomization.yaml", false],
  ["a/Kustomization.yaml", false],
];
for (const [path, expected] of kustomizationPaths) {
  test(`isKustomizationPath(${path}) = ${expected}`, () => assert.equal(isKustomizationPath(path), expected));
}

test("kustomizationFromDocuments reads namespace and string resources", () => {
  const doc: ManifestDocument = {
    source: { file: "apps/shop/kustomization.yaml", line: 1 },
    object: { namespace: "shop", resources: ["a.yaml", 3, "../base"] },
  };
  assert.deepEqual(kustomizationFromDocuments("apps/shop/kustomization.yaml", [doc]), {
    dir: "apps/shop",
    file: "apps/shop/kustomization.yaml",
    namespace: "shop",
    resources: ["a.yaml", "../base"],
  });
  assert.deepEqual(kustomizationFromDocuments("kustomization.yaml", [{ ...doc, object: {} }]), {
    dir: "",
    file: "kustomization.yaml",
    resources: [],
  });
  assert.equal(kustomizationFromDocuments("kustomization.yaml", []), undefined);
});
