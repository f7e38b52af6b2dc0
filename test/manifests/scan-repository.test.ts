import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { DEFAULT_SCAN_OPTIONS, resolve, scanFiles, scanRepository, type SourceFile } from "../../src/manifests/index.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { tempDir } from "../helpers.ts";

const repo: Record<string, string> = {
  "platform/issuers.yaml": [
    "apiVersion: cert-manager.io/v1",
    "kind: ClusterIssuer",
    "metadata: {name: le}",
    "spec: {acme: {server: https://acme.example/dir, privateKeySecretRef: {name: le-account}, solvers: [{http01: {ingress: {}}}]}}",
  ].join("\n"),
  // Sorted before the kustomization.yaml that gives it its namespace.
  "apps/shop/cert.yaml": [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: web}",
    "---",
    "apiVersion: cert-manager.io/v1", // line 5
    "kind: Certificate",
    "metadata: {name: web}",
    "spec:",
    "  secretName: web-tls",
    "  dnsNames: [shop.example.com]",
    "  issuerRef: {name: le, kind: ClusterIssuer}",
  ].join("\n"),
  "apps/shop/ingress.yaml": [
    "apiVersion: networking.k8s.io/v1",
    "kind: Ingress",
    "metadata:",
    "  name: front",
    "  annotations: {cert-manager.io/cluster-issuer: le}",
    "spec:",
    "  tls: [{hosts: [front.example.com], secretName: front-tls}]",
  ].join("\n"),
  "apps/shop/kustomization.yaml": "namespace: shop\nresources: [cert.yaml, ingress.yaml, web-tls.sops.yaml]\n",
  "apps/shop/web-tls.sops.yaml": [
    "apiVersion: v1",
    "kind: Secret",
    "type: kubernetes.io/tls",
    "metadata:",
    "  name: web-tls",
    "  annotations: {cert-manager.io/certificate-name: web}",
    "data: {tls.crt: 'ENC[AES256_GCM,data:x]'}",
    "sops: {mac: 'ENC[AES256_GCM,data:y]'}",
  ].join("\n"),
  "apps/other/list.yaml": [
    "apiVersion: v1",
    "kind: List",
    "items:",
    "- apiVersion: cert-manager.io/v1", // line 4
    "  kind: Certificate",
    "  metadata: {name: api, namespace: other}",
    "  spec: {secretName: api-tls, dnsNames: [api.example.com], issuerRef: {name: le, kind: ClusterIssuer}}",
  ].join("\n"),
  "apps/broken.yaml": "kind: Certificate\nmetadata:\n  name: [x\n",
  "apps/helm-ish.yaml": "kind: Certificate\nmetadata:\n  name: {{ .Values.name }}\n",
  "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
  "charts/web/templates/cert.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: chart, namespace: \"{{ .Release.Namespace }}\"}\n",
  // Below templates/ but without template syntax: Helm renders it to itself.
  "charts/web/templates/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: chart-ca}\nspec: {selfSigned: {}}\n",
  "default-ns.yaml":
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: plain}\nspec: {secretName: plain, dnsNames: [p.example.com], issuerRef: {name: le, kind: ClusterIssuer}}\n",
};

function sortedFiles(files: Record<string, string>): SourceFile[] {
  return Object.keys(files)
    .sort()
    .map((path) => ({ path, text: files[path]! }));
}

const options = { ...DEFAULT_SCAN_OPTIONS, defaultNamespace: "fallback" };

test("scanFiles: objects, namespaces, kustomizations and diagnostics from file texts", () => {
  const scan = scanFiles(sortedFiles(repo), options);

  assert.deepEqual(scan.issuers.map((i) => `${i.kind} ${i.name} @${i.source.file}:${i.source.line}`), [
    "ClusterIssuer chart-ca @charts/web/templates/issuer.yaml:1",
    "ClusterIssuer le @platform/issuers.yaml:1",
  ]);
  assert.deepEqual(
    scan.certificates.map((c) => `${c.namespace}/${c.name}${c.owner ? ` from ${c.owner.kind} ${c.owner.name}` : ""} @${c.source.file}:${c.source.line}`),
    [
      "other/api @apps/other/list.yaml:4",
      "shop/web @apps/shop/cert.yaml:5",
      "shop/front-tls from Ingress front @apps/shop/ingress.yaml:1",
      "fallback/plain @default-ns.yaml:1",
    ],
  );
  assert.deepEqual(scan.secrets.map((s) => [s.namespace, s.name, s.encrypted, s.annotations["cert-manager.io/certificate-name"]]), [
    ["shop", "web-tls", true, "web"],
  ]);
  assert.deepEqual(scan.kustomizations, [
    { dir: "apps/shop", file: "apps/shop/kustomization.yaml", namespace: "shop", resources: ["cert.yaml", "ingress.yaml", "web-tls.sops.yaml"] },
  ]);
  assert.deepEqual(
    scan.diagnostics.map((d) => `${d.severity} ${d.code} @${d.source?.file}:${d.source?.line}`),
    [
      "error InvalidYAML @apps/broken.yaml:3",
      // Outside a chart, said: the file's objects are not read.
      "info TemplateSkipped @apps/helm-ish.yaml:3",
      "debug TemplateSkipped @charts/web/templates/cert.yaml:1",
      // Named, not hidden: the template asks for a Certificate gitcert cannot render.
      "info InvisibleCertificates @charts/web/templates/cert.yaml:2",
    ],
  );
  assert.deepEqual(scan.stats, {
    files: Object.keys(repo).length,
    // Parsed documents only: not the templates, and not Chart.yaml, which
    // names no kind gitcert reads.
    documents: 10,
  });
});

test("scanFiles feeds resolve", () => {
  const scan = scanFiles(sortedFiles(repo), options);
  const r = resolve(scan, { clusterResourceNamespace: "cert-manager", issuers: defaultIssuers() });
  assert.deepEqual(r.ready.map((x) => `${x.certificate.namespace}/${x.certificate.name} -> ${x.issuer.name}`), [
    "other/api -> le",
    "shop/web -> le",
    "shop/front-tls -> le",
    "fallback/plain -> le",
  ]);
  assert.deepEqual(r.blocked, []);
});

test("a kustomization file is not also read as a manifest", () => {
  const scan = scanFiles(
    [{ path: "kustomization.yaml", text: "apiVersion: v1\nkind: Secret\nmetadata: {name: not-really}\nnamespace: x\n" }],
    options,
  );
  assert.deepEqual(scan.secrets, []);
  assert.equal(scan.kustomizations[0]?.namespace, "x");
});

test("a Kustomization file without extension sets the namespace", () => {
  const scan = scanFiles(
    sortedFiles({
      "a/Kustomization": "namespace: from-bare\n",
      "a/b/c.yaml": "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: i}\nspec: {selfSigned: {}}\n",
    }),
    options,
  );
  assert.equal(scan.issuers[0]?.namespace, "from-bare");
});

test("diagnostics read top to bottom: by file, then line", () => {
  const scan = scanFiles(
    sortedFiles({
      "b.yaml": "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {}\n---\nx: [\n",
      "a.yaml": "apiVersion: cert-manager.io/v1alpha2\nkind: Certificate\nmetadata: {name: old}\n",
    }),
    options,
  );
  assert.deepEqual(scan.diagnostics.map(formatDiagnostic), [
    "a.yaml:1: Certificate fallback/old: apiVersion cert-manager.io/v1alpha2 is no longer served by cert-manager; only cert-manager.io/v1 is read, so this object is ignored",
    "b.yaml:1: Issuer has no metadata.name; ignored",
    "b.yaml:5: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ]);
});

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test("scanRepository: a real folder, with walker diagnostics merged in order", async (t) => {
  const root = tempDir(t);
  const outside = tempDir(t, "gitcert-outside-");
  write(root, repo);
  write(root, { ".git/HEAD.yaml": "kind: Certificate\n", "node_modules/x/cert.yaml": "kind: Certificate\n", "README.md": "# hi\n" });
  write(outside, { "evil.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: evil}\nspec: {selfSigned: {}}\n" });
  symlinkSync(join(outside, "evil.yaml"), join(root, "platform/evil.yaml"));
  const fd = openSync(join(root, "apps/huge.yaml"), "w");
  ftruncateSync(fd, 50 * 1000 * 1000);
  closeSync(fd);

  const scan = await scanRepository(root, options);
  assert.deepEqual(scan.issuers.map((i) => i.name), ["chart-ca", "le"]);
  assert.equal(scan.certificates.length, 4);
  assert.deepEqual(
    scan.diagnostics.map((d) => `${d.severity} ${d.code} @${d.source?.file}`),
    [
      "error InvalidYAML @apps/broken.yaml",
      "info TemplateSkipped @apps/helm-ish.yaml",
      "error FileTooLarge @apps/huge.yaml",
      "debug TemplateSkipped @charts/web/templates/cert.yaml",
      "info InvisibleCertificates @charts/web/templates/cert.yaml",
      "error SymlinkOutsideRepository @platform/evil.yaml",
    ],
  );
  assert.equal(scan.stats.files, Object.keys(repo).length);
});

test("scanRepository honours include and exclude", async (t) => {
  const root = tempDir(t);
  write(root, repo);
  const scan = await scanRepository(root, { ...options, include: ["apps/**/*.yaml"], exclude: ["apps/other/**", "apps/broken.yaml"] });
  assert.deepEqual(scan.issuers, []);
  assert.deepEqual(scan.certificates.map((c) => c.name), ["web", "front-tls"]);
  assert.deepEqual(scan.diagnostics.map((d) => d.code), ["TemplateSkipped"]);
});

test("`{{` inside YAML strings does not hide a file's objects; only real template syntax skips it, visibly", () => {
  const scan = scanFiles(
    sortedFiles({
      "apps/certs.yaml": [
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: own-ca}\nspec: {selfSigned: {}}",
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: shop, namespace: shop}\nspec: {secretName: shop-tls, dnsNames: [shop.example.org], issuerRef: {kind: ClusterIssuer, name: own-ca}}",
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: api-key, namespace: shop}\nspec:\n  target:\n    template:\n      data:\n        KEY: \"{{ .apiKey }}\"\n        NOTE: |\n          {{ range .items }}x{{ end }}",
      ].join("\n---\n") + "\n",
      "apps/rendered-by-hand.yaml":
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: {{ .Values.name }}\n  namespace: shop\nspec: {secretName: x, dnsNames: [x.example.org], issuerRef: {kind: ClusterIssuer, name: own-ca}}\n",
      "apps/loop.yaml": "{{- range .Values.hosts }}\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: loop}\n{{- end }}\n",
      // In a chart, Helm renders even a quoted `{{`: the file is the chart's.
      "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
      "charts/shop/templates/cert.yaml":
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: chart, namespace: shop}\nspec: {secretName: c, dnsNames: [\"{{ .Values.host }}\"], issuerRef: {kind: ClusterIssuer, name: own-ca}}\n",
    }),
    options,
  );
  assert.deepEqual(scan.issuers.map((i) => i.name), ["own-ca"]);
  assert.deepEqual(scan.certificates.map((c) => `${c.namespace}/${c.name} @${c.source.file}:${c.source.line}`), ["shop/shop @apps/certs.yaml:6"]);
  assert.deepEqual(
    scan.diagnostics.filter((d) => d.code === "TemplateSkipped").map((d) => `${d.severity} @${d.source?.file}:${d.source?.line}`),
    ["info @apps/loop.yaml:1", "info @apps/rendered-by-hand.yaml:4", "debug @charts/shop/templates/cert.yaml:1"],
  );
  assert.deepEqual(scan.diagnostics.filter((d) => d.severity === "error"), []);
});

test("a HelmRelease whose values hold `{{` is still read for the certificates its chart may make", () => {
  const scan = scanFiles(
    sortedFiles({
      "apps/web.yaml":
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: web}\nspec:\n  values:\n    ingress:\n      annotations:\n        cert-manager.io/cluster-issuer: own-ca\n      tls: [{hosts: [web.example.org], secretName: web-tls}]\n    env:\n      NAME: '{{ .Release.Name }}'\n",
    }),
    options,
  );
  assert.deepEqual(scan.diagnostics.map((d) => `${d.severity} ${d.code} @${d.source?.file}:${d.source?.line}`), ["info InvisibleCertificates @apps/web.yaml:8"]);
});
