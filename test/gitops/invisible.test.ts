// What only exists once Helm renders a chart is named with its file and
// line, not skipped in silence; a template without template syntax is read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { findHits } from "../../src/gitops/invisible.ts";
import { DEFAULT_SCAN_OPTIONS, scanFiles } from "../../src/manifests/index.ts";
import { fixture, sourceFiles } from "./fixture.ts";

test("a HelmRelease, an Argo CD Helm source and a chart in the repository that ask for certificates are named where they ask", () => {
  const scan = scanFiles(sourceFiles(fixture("helm")), DEFAULT_SCAN_OPTIONS);
  const advice = "may create certificates gitcert cannot read from Git alone — give gitcert cluster access to see them";
  assert.deepEqual(
    scan.diagnostics.filter((d) => d.severity === "info").map(formatDiagnostic),
    [
      `apps/media/helmrelease.yaml:22: HelmRelease media/jellyfin: ${advice} (annotation cert-manager.io/cluster-issuer, ingress TLS)`,
      `charts/wiki/templates/ingress.yaml:6: Helm chart charts/wiki template ${advice} (annotation cert-manager.io/cluster-issuer)`,
      // The Application's own values only switch TLS on: the chart's issuer setting and template are what ask.
      `charts/wiki/values.yaml:5: Helm chart charts/wiki (values) ${advice} (clusterIssuer setting, ingress TLS)`,
    ],
  );
  // The plain template is read like any manifest; the templated one is skipped.
  assert.deepEqual(scan.issuers.map((i) => `${i.kind} ${i.name} @${i.source.file}`), ["ClusterIssuer wiki-selfsigned @charts/wiki/templates/issuer.yaml"]);
  assert.deepEqual(scan.certificates, []);
  assert.deepEqual(scan.gitops?.charts, ["charts/wiki"]);
});

const hitCases: Array<{ values: unknown; hits: string[] }> = [
  { values: { ingress: { enabled: true, tls: [{ hosts: ["a"] }] } }, hits: ["ingress TLS"] },
  { values: { ingress: { tls: [] } }, hits: [] },
  { values: { tls: [{ hosts: ["a"] }] }, hits: [] },
  { values: { controllers: { main: {} }, route: { main: { hostnames: ["a"] } } }, hits: [] },
  { values: { podAnnotations: { "cert-manager.io/cluster-issuer": "le" } }, hits: ["annotation cert-manager.io/cluster-issuer"] },
  { values: { certManager: { enabled: true } }, hits: ["certManager setting"] },
  { values: { certManager: { enabled: false }, ingress: { enabled: false, tls: [{ hosts: ["a"] }] } }, hits: [] },
  { values: { "cert-manager": { installCRDs: true } }, hits: [] },
  // An OIDC issuer (Dex, Grafana's auth) is no certificate issuer.
  { values: { config: { issuer: "https://dex.example.test" } }, hits: [] },
  { values: { ingress: { clusterIssuer: "le", issuerRef: { name: "ca" } } }, hits: ["clusterIssuer setting", "issuerRef setting"] },
  { values: { extraObjects: [{ kind: "Certificate", metadata: { name: "x" } }] }, hits: ["a Certificate"] },
];

for (const c of hitCases) {
  test(`values ${JSON.stringify(c.values)} ask for: ${c.hits.join(", ") || "nothing"}`, () => {
    assert.deepEqual(findHits(c.values).map((h) => h.what), c.hits);
  });
}

test("a chart kustomize inflates is named only when its inline values ask for certificates", () => {
  const scan = scanFiles(
    sourceFiles({
      "infra/cni/kustomization.yaml": "helmCharts:\n  - name: cilium\n    valuesInline: {ipam: {mode: kubernetes}}\n",
      "infra/dash/kustomization.yaml":
        "helmCharts:\n  - name: dashboard\n    valuesInline:\n      ingress:\n        enabled: true\n        annotations: {cert-manager.io/issuer: dash-ca}\n        tls: [{secretName: dash-tls}]\n",
      // Ingress TLS with no issuer annotation: cert-manager issues nothing for it.
      "infra/logs/kustomization.yaml": "helmCharts:\n  - name: logs\n    valuesInline:\n      ingress:\n        enabled: true\n        tls: [{secretName: logs-tls}]\n",
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  assert.deepEqual(scan.diagnostics.filter((d) => d.severity === "info").map(formatDiagnostic), [
    "infra/dash/kustomization.yaml:6: Helm chart dashboard in infra/dash/kustomization.yaml may create certificates gitcert cannot read from Git alone — give gitcert cluster access to see them (annotation cert-manager.io/issuer, ingress TLS)",
  ]);
});

test("a HelmRelease's note points at its cert-manager annotation, not at an OIDC issuer setting above it", () => {
  const scan = scanFiles(
    sourceFiles({
      "apps/sso.yaml": [
        "apiVersion: helm.toolkit.fluxcd.io/v2",
        "kind: HelmRelease",
        "metadata: {name: sso, namespace: auth}",
        "spec:",
        "  values:",
        "    config:",
        "      issuer: https://sso.example.test",
        "    ingress:",
        "      enabled: true",
        "      annotations:",
        "        cert-manager.io/cluster-issuer: le",
        "      tls: [{hosts: [sso.example.test], secretName: sso-tls}]",
        "---",
        "apiVersion: helm.toolkit.fluxcd.io/v2",
        "kind: HelmRelease",
        "metadata: {name: plain-tls, namespace: auth}",
        "spec:",
        "  values:",
        "    ingress:",
        "      tls: [{hosts: [own.example.test], secretName: own-tls}]",
        "",
      ].join("\n"),
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  assert.deepEqual(scan.diagnostics.map((d) => `${d.code} @${d.source?.file}:${d.source?.line} ${d.object?.name}`), ["InvisibleCertificates @apps/sso.yaml:11 sso"]);
});
