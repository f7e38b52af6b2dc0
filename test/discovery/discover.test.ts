// What Flux or Argo CD applied, read from the cluster and merged with Git:
// each object traced to its owner in the repository by the labels the
// GitOps tools put on it, its Secret placed where that owner applies it,
// Git's copy winning where both exist, and objects owned by nothing here
// reported, not issued.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { DISCOVERY_DEFAULTS, type ClusterObject, type DiscoverySettings } from "../../src/discovery/index.ts";
import { DEFAULT_SCAN_OPTIONS, scanFiles } from "../../src/manifests/index.ts";
import type { ScanResult } from "../../src/manifests/types.ts";
import { expandSecretPath, namesOf } from "../../src/plan/placement.ts";
import { sourceFiles } from "../gitops/fixture.ts";

const fluxK = (name: string, path: string, extra = "") =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\nspec:\n  path: ${path}\n  sourceRef: {kind: GitRepository, name: flux-system}\n${extra}`;
const helmRelease = (name: string, namespace = "") =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ""}}\nspec:\n  chart: {spec: {chart: ${name}, sourceRef: {kind: HelmRepository, name: charts}}}\n`;

/** A repository shaped like the common layouts: overlays over bases (flux2-kustomize-helm-example), a folder per app (home-ops), Argo CD app-of-apps. */
const REPOSITORY: Record<string, string> = {
  "clusters/production/apps.yaml": fluxK("apps", "./apps/production"),
  "clusters/production/blog.yaml": fluxK("blog", "./apps/blog/app", "  targetNamespace: blog\n"),
  "clusters/production/infra.yaml": fluxK("infra", "./infrastructure"),
  "clusters/staging/apps.yaml": fluxK("apps", "./apps/staging"),
  "apps/base/web/kustomization.yaml": "namespace: web\nresources: [helmrelease.yaml]\n",
  "apps/base/web/helmrelease.yaml": helmRelease("web"),
  // An overlay's patch of the HelmRelease is no second HelmRelease.
  "apps/production/kustomization.yaml": "resources: [../base/web]\npatches:\n  - path: web-values.yaml\n    target: {kind: HelmRelease}\n",
  "apps/production/web-values.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web}\nspec:\n  values: {replicas: 2}\n",
  "apps/staging/kustomization.yaml": "resources: [../base/web]\n",
  "apps/blog/app/kustomization.yaml": "resources: [helmrelease.yaml]\n",
  // Values for the chart's own templating: not a Go template file, still the owner's manifest.
  "apps/blog/app/helmrelease.yaml": `${helmRelease("blog")}  values:\n    route: {hostnames: ["{{ .Release.Name }}.example.test"]}\n`,
  "infrastructure/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: selfsigned}\nspec: {selfSigned: {}}\n",
  "infrastructure/certificate.yaml":
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: wildcard, namespace: infra}\nspec: {secretName: wildcard-tls, dnsNames: [git.example.test], issuerRef: {name: selfsigned, kind: ClusterIssuer}}\n",
  "argocd/root.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: root, namespace: argocd}\nspec:\n  source: {repoURL: https://git.example.test/platform.git, path: argocd}\n  destination: {server: https://kubernetes.default.svc, namespace: argocd}\n",
  "argocd/shop.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: shop, namespace: argocd}\nspec:\n  source: {repoURL: https://charts.example.test, chart: shop, targetRevision: 1.0.0}\n  destination: {server: https://kubernetes.default.svc, namespace: shop}\n",
};

function ingress(namespace: string, name: string, labels: Record<string, string>, host = `${name}.example.test`): ClusterObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace, uid: `uid-${name}`, labels, annotations: { "cert-manager.io/cluster-issuer": "selfsigned" } },
    spec: { tls: [{ hosts: [host], secretName: `${name}-tls` }], rules: [{ host }] },
  };
}

const helmLabels = (name: string, namespace: string) => ({ "helm.toolkit.fluxcd.io/name": name, "helm.toolkit.fluxcd.io/namespace": namespace });

function scanWith(objects: ClusterObject[], settings: Partial<DiscoverySettings> = {}, files = REPOSITORY): ScanResult {
  return scanFiles(sourceFiles(files), {
    ...DEFAULT_SCAN_OPTIONS,
    clusterPath: "clusters/production",
    cluster: { view: { server: "https://cluster.test", objects, complete: true, diagnostics: [] }, settings: { ...DISCOVERY_DEFAULTS, ...settings } },
  });
}

const notes = (scan: ScanResult) => scan.diagnostics.filter((d) => d.severity !== "debug").map((d) => `${d.severity} ${d.code}: ${formatDiagnostic(d)}`);

test("an Ingress a HelmRelease rendered: found through helm-controller's labels, its Secret beside what applies the HelmRelease", () => {
  const scan = scanWith([ingress("blog", "blog", helmLabels("blog", "blog")), ingress("web", "web", helmLabels("web", "web"))]);
  const blog = scan.certificates.find((c) => c.name === "blog-tls")!;
  assert.equal(blog.namespace, "blog");
  assert.deepEqual(blog.owner, { kind: "Ingress", namespace: "blog", name: "blog" });
  assert.equal(blog.origin?.from, "cluster");
  assert.deepEqual(blog.origin?.cluster?.owner, {
    kind: "HelmRelease",
    namespace: "blog",
    name: "blog",
    source: { file: "apps/blog/app/helmrelease.yaml", line: 1 },
    appliedBy: { kind: "Kustomization", namespace: "flux-system", name: "blog", source: { file: "clusters/production/blog.yaml", line: 1 } },
  });
  assert.equal(blog.origin?.cluster?.ownerLabel, "helm.toolkit.fluxcd.io/name=blog");
  // home-ops' layout: the HelmRelease's own folder is the Kustomization's path.
  assert.equal(blog.secretDir, "apps/blog/app");
  assert.deepEqual(expandSecretPath(namesOf(blog), "{dir}/{secretName}.sops.yaml"), { path: "apps/blog/app/blog-tls.sops.yaml" });

  // The overlay layout: the HelmRelease is in a base staging includes too, so the Secret goes to production's overlay.
  const web = scan.certificates.find((c) => c.name === "web-tls")!;
  assert.equal(web.secretDir, "apps/production");
  assert.match(String((web.origin?.cluster?.secretFolder as { how: string }).how), /^apps\/production\/: the folder of Flux Kustomization flux-system\/apps .* which applies HelmRelease web\/web .* from the base apps\/base\/web\//);
  assert.deepEqual(notes(scan), []);
});

test("a Certificate Argo CD applied from a Helm chart, with no file in Git: found through its tracking id, its Secret where the parent Application applies the child's manifest", () => {
  const certificate: ClusterObject = {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "api", namespace: "shop", uid: "uid-api", annotations: { "argocd.argoproj.io/tracking-id": "shop:cert-manager.io/Certificate:shop/api" } },
    spec: { secretName: "api-tls", dnsNames: ["api.shop.example.test"], issuerRef: { name: "selfsigned", kind: "ClusterIssuer" } },
  };
  const scan = scanWith([certificate]);
  const api = scan.certificates.find((c) => c.name === "api")!;
  assert.equal(api.origin?.cluster?.owner?.kind, "Application");
  assert.equal(api.origin?.cluster?.owner?.name, "shop");
  assert.equal(api.source.file, "argocd/shop.yaml");
  assert.equal(api.secretDir, "argocd");
  assert.match((api.origin?.cluster?.secretFolder as { how: string }).how, /applied by Argo CD Application argocd\/root/);

  // A copy of the object elsewhere keeps the tracking id of the one it was copied from: Argo CD does not own it, nor does gitcert take it as the app's.
  const copy = { ...certificate, metadata: { ...certificate.metadata, name: "api-copy" } };
  const scan2 = scanWith([copy]);
  assert.equal(scan2.certificates.length, 1); // Git's wildcard only
  assert.match(notes(scan2).join("\n"), /info DiscoveryUnowned: 1 object in the cluster .* asks for certificates, but nothing in this repository applies it \(no Flux or Argo CD labels\): Certificate shop\/api-copy; not issued/);
});

test("objects nothing in this repository applies are reported, not issued — or issued into the fallback folder when asked", () => {
  const other = ingress("other", "x", { "kustomize.toolkit.fluxcd.io/name": "other", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" });
  const byHand = ingress("other", "y", {});
  const scan = scanWith([other, byHand]);
  assert.deepEqual(scan.certificates.map((c) => c.name), ["wildcard"]);
  assert.deepEqual(notes(scan), [
    "info DiscoveryUnowned: 1 object in the cluster (https://cluster.test) asks for certificates, but nothing in this repository applies it (kustomize.toolkit.fluxcd.io/name=other: Flux Kustomization flux-system/other is not in this repository): Ingress other/x; not issued (discovery.unowned: issue would issue them)",
    "info DiscoveryUnowned: 1 object in the cluster (https://cluster.test) asks for certificates, but nothing in this repository applies it (no Flux or Argo CD labels): Ingress other/y; not issued (discovery.unowned: issue would issue them)",
  ]);

  const issued = scanWith([byHand], { unowned: "issue", fallbackFolder: "infrastructure/certs" });
  const y = issued.certificates.find((c) => c.name === "y-tls")!;
  assert.equal(y.source.file, "cluster:Ingress/other/y");
  // infrastructure/certs has no kustomization of its own: the infra Kustomization (a folder without one) takes every file below.
  assert.equal(y.secretDir, "infrastructure/certs");

  // No fallback folder, or one nothing applies: no place for the Secret, said on the Certificate's origin.
  const nowhere = scanWith([byHand], { unowned: "issue", fallbackFolder: "unapplied" });
  const folder = nowhere.certificates.find((c) => c.name === "y-tls")!.origin?.cluster?.secretFolder;
  assert.deepEqual(folder, { problem: "no folder for its Secret file: unapplied/ (discovery.fallbackFolder) is applied by no Flux Kustomization or Argo CD Application gitcert can see" });
});

test("an object in both: Git's copy wins, and a cluster copy that asks for something else is reported", () => {
  const fromGit: ClusterObject = {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "wildcard", namespace: "infra", uid: "uid-wildcard", labels: { "kustomize.toolkit.fluxcd.io/name": "infra", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" } },
    spec: { secretName: "wildcard-tls", dnsNames: ["git.example.test"], issuerRef: { name: "selfsigned", kind: "ClusterIssuer" } },
  };
  const same = scanWith([fromGit]);
  assert.deepEqual(same.certificates.map((c) => `${c.name} ${c.origin?.from}`), ["wildcard git"]);
  assert.deepEqual(notes(same), []);

  const edited = { ...fromGit, spec: { ...fromGit.spec, dnsNames: ["git.example.test", "extra.example.test"], duration: "24h" } };
  const drift = scanWith([edited]);
  assert.deepEqual(drift.certificates.map((c) => `${c.name} ${c.origin?.from} ${c.spec.dnsNames.join(",")}`), ["wildcard git git.example.test"]);
  assert.deepEqual(notes(drift), [
    "warning ClusterDiffersFromGit: infrastructure/certificate.yaml:1: Certificate infra/wildcard: the cluster's copy (https://cluster.test) differs from Git's render (spec: dnsNames, duration); gitcert follows Git: Flux Kustomization flux-system/infra applies Git's next. A sync not done yet or failing, a change made in the cluster, or something gitcert does not render the way Flux or Argo CD does",
  ]);
});

test("an Issuer a chart made is found too, and a HelmRelease's 'may create certificates' note is answered once the cluster shows what it made", () => {
  const files = { ...REPOSITORY, "apps/blog/app/helmrelease.yaml": `${helmRelease("blog")}  values:\n    ingress:\n      annotations: {cert-manager.io/cluster-issuer: chart-ca}\n      tls: [{secretName: blog-tls, hosts: [blog.example.test]}]\n` };
  const offline = scanFiles(sourceFiles(files), { ...DEFAULT_SCAN_OPTIONS, clusterPath: "clusters/production" });
  assert.match(notes(offline).join("\n"), /info InvisibleCertificates: apps\/blog\/app\/helmrelease.yaml:\d+: HelmRelease blog\/blog: may create certificates/);

  const issuer: ClusterObject = { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "chart-ca", uid: "uid-chart-ca", labels: helmLabels("blog", "blog") }, spec: { selfSigned: {} } };
  const scan = scanWith([issuer, ingress("blog", "blog", helmLabels("blog", "blog"))], {}, files);
  assert.deepEqual(
    scan.issuers.map((i) => `${i.kind} ${i.name} ${i.origin?.from} ${i.source.file}`),
    ["ClusterIssuer selfsigned git infrastructure/issuer.yaml", "ClusterIssuer chart-ca cluster apps/blog/app/helmrelease.yaml"],
  );
  assert.deepEqual(notes(scan), []);
});

test("a HelmRelease both clusters' overlays apply, with no cluster folder set, is not guessed at", () => {
  const files = Object.fromEntries(Object.entries(REPOSITORY).filter(([path]) => !path.startsWith("clusters/production/blog")));
  const scan = scanFiles(sourceFiles(files), {
    ...DEFAULT_SCAN_OPTIONS,
    cluster: { view: { server: "https://cluster.test", objects: [ingress("web", "web", helmLabels("web", "web"))], complete: true, diagnostics: [] }, settings: DISCOVERY_DEFAULTS },
  });
  assert.equal(scan.certificates.find((c) => c.name === "web-tls"), undefined);
  assert.match(notes(scan).join("\n"), /warning DiscoveryOwnerAmbiguous: Ingress web\/web: in the cluster \(https:\/\/cluster.test\), applied by HelmRelease web\/web is defined or applied more than once in the repository \(.*applied by Flux Kustomization flux-system\/apps \(clusters\/production\/apps.yaml:1\).*clusters\/staging\/apps.yaml:1.*\); set gitops.clusterPath/);
});
