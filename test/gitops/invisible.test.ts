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
      `argocd/wiki.yaml:16: Application wiki: its Helm source ${advice} (ingress TLS)`,
      `charts/wiki/templates/ingress.yaml:6: Helm chart charts/wiki template ${advice} (annotation cert-manager.io/cluster-issuer)`,
      `charts/wiki/values.yaml:4: Helm chart charts/wiki (values) ${advice} (ingress TLS, clusterIssuer setting)`,
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
      "infra/dash/kustomization.yaml": "helmCharts:\n  - name: dashboard\n    valuesInline:\n      ingress:\n        enabled: true\n        tls: [{secretName: dash-tls}]\n",
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  assert.deepEqual(scan.diagnostics.filter((d) => d.severity === "info").map(formatDiagnostic), [
    "infra/dash/kustomization.yaml:6: Helm chart dashboard in infra/dash/kustomization.yaml may create certificates gitcert cannot read from Git alone — give gitcert cluster access to see them (ingress TLS)",
  ]);
});
