// The repository as Flux applies it, read offline: Flux Kustomizations'
// patches and postBuild substitution, kustomize patches, target namespaces,
// and what gitcert says when it cannot see a value.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { DEFAULT_SCAN_OPTIONS, scanFiles } from "../../src/manifests/index.ts";
import type { ScanResult } from "../../src/manifests/types.ts";
import { fixture, sourceFiles } from "./fixture.ts";

const production = { ...DEFAULT_SCAN_OPTIONS, clusterPath: "clusters/production" };

function issuer(scan: ScanResult, name: string) {
  return scan.issuers.find((i) => i.name === name);
}

function certificate(scan: ScanResult, name: string) {
  return scan.certificates.find((c) => c.name === name);
}

function notes(scan: ScanResult): string[] {
  return scan.diagnostics.filter((d) => d.severity !== "debug").map((d) => `${d.severity} ${d.code}: ${formatDiagnostic(d)}`);
}

test("Flux: production's Kustomization patches the ClusterIssuer's ACME server and substitutes the apps' variables", () => {
  const scan = scanFiles(sourceFiles(fixture("flux")), production);

  const le = issuer(scan, "letsencrypt")!;
  assert.equal((le.spec.acme as { server: string }).server, "https://acme-v02.api.letsencrypt.org/directory");
  assert.deepEqual(le.origin?.appliedBy, { kind: "Kustomization", namespace: "flux-system", name: "infra-configs", source: { file: "clusters/production/infrastructure.yaml", line: 2 } });
  assert.deepEqual(le.origin?.patchedBy, [{ file: "clusters/production/infrastructure.yaml", line: 2 }]);

  // Substituted from the ConfigMap, the (here unencrypted) Secret and the
  // inline values; a default where nothing sets the variable; patched by
  // the production overlay's patch file; in the overlay's namespace.
  const api = certificate(scan, "api")!;
  assert.equal(api.namespace, "shop");
  assert.deepEqual(api.spec.dnsNames, ["api.prod.example.test", "production-api.prod.example.test"]);
  assert.equal(api.spec.duration, 2160 * 3600);
  assert.deepEqual([api.spec.privateKey.algorithm, api.spec.privateKey.size], ["ECDSA", 384]);
  assert.equal(api.source.file, "apps/base/shop/certificate.yaml");
  assert.equal(api.origin?.appliedBy?.name, "apps");
  assert.deepEqual(api.origin?.patchedBy, [{ file: "apps/production/certificate-key.yaml", line: 1 }]);
  assert.deepEqual([...(api.origin?.substituted ?? [])].sort(), ["APP_ENV", "CERT_DURATION", "CLUSTER_DOMAIN"]);

  const storefront = certificate(scan, "storefront-tls")!;
  assert.deepEqual(storefront.spec.dnsNames, ["shop.hidden.example.test"]);
  assert.deepEqual(storefront.owner, { kind: "Ingress", namespace: "shop", name: "storefront" });

  // The patch file is a patch, not a second Certificate called api.
  assert.equal(scan.certificates.filter((c) => c.name === "api").length, 1);
  assert.deepEqual(notes(scan), []);
});

test("plan does not decrypt: a variable from a SOPS Secret is named with its Secret and Kustomization, the object is left out and nothing may be pruned", () => {
  const files = fixture("flux");
  files["clusters/production/cluster-secrets.sops.yaml"] = [
    "apiVersion: v1",
    "kind: Secret",
    "metadata: {name: cluster-secrets, namespace: flux-system}",
    "stringData: {SECRET_DOMAIN: 'ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]'}",
    "sops: {mac: 'ENC[AES256_GCM,data:DDDD,iv:EEEE,tag:FFFF,type:str]', version: 3.10.2}",
  ].join("\n");
  const scan = scanFiles(sourceFiles(files), production);
  assert.equal(certificate(scan, "storefront-tls"), undefined);
  assert.ok(certificate(scan, "api"), "objects that need no encrypted variable are planned");
  assert.equal(scan.gitops?.incomplete, true);
  assert.deepEqual(scan.gitops?.sealedSources, [{ namespace: "flux-system", name: "cluster-secrets", source: { file: "clusters/production/cluster-secrets.sops.yaml", line: 1 } }]);
  assert.deepEqual(notes(scan), [
    "warning FluxVariablesEncrypted: apps/base/shop/ingress.yaml:1: Ingress shop/storefront: ${SECRET_DOMAIN} (Secret flux-system/cluster-secrets at clusters/production/cluster-secrets.sops.yaml:1) comes from a SOPS-encrypted Secret that Flux Kustomization flux-system/apps (clusters/production/apps.yaml:2) substitutes; plan does not decrypt, so this object is not planned — `gitcert run` (with the age identity) reads it",
  ]);

  // What `run` passes in once it has opened the Secret with the age identity.
  const opened = scanFiles(sourceFiles(files), { ...production, decryptedSecrets: new Map([["flux-system/cluster-secrets", { SECRET_DOMAIN: "hidden.example.test" }]]) });
  assert.deepEqual(certificate(opened, "storefront-tls")?.spec.dnsNames, ["shop.hidden.example.test"]);
  assert.equal(opened.gitops?.incomplete, false);
  assert.deepEqual(
    opened.diagnostics.map((d) => d.code),
    ["EncryptedVariableInPlaintext"],
    "a value its owner encrypted ends up in the Secret's plaintext annotations: said so",
  );
});

test("an undefined variable names Flux substitution, the variable, the Kustomization and where the variable is defined instead", () => {
  const files = fixture("flux");
  files["clusters/production/apps.yaml"] = files["clusters/production/apps.yaml"]!.replace(/      - kind: ConfigMap\n        name: cluster-settings\n/, "");
  const scan = scanFiles(sourceFiles(files), production);
  assert.equal(certificate(scan, "api"), undefined);
  assert.deepEqual(notes(scan), [
    "error FluxVariableUndefined: apps/base/shop/certificate.yaml:1: Certificate shop/api: ${CLUSTER_DOMAIN} is not defined for Flux substitution by Flux Kustomization flux-system/apps (clusters/production/apps.yaml:2) (CLUSTER_DOMAIN is defined in ConfigMap flux-system/cluster-settings at clusters/production/cluster-settings.yaml:2, which it does not substitute from): with strict substitution (Flux's default) it fails to build; without it the value would be empty",
  ]);
});

test("a variable source the repository does not hold (made in the cluster) is named, not guessed", () => {
  const files = fixture("flux");
  files["clusters/production/apps.yaml"] = files["clusters/production/apps.yaml"]!.replace("name: cluster-secrets", "name: tunnel-secrets");
  const scan = scanFiles(sourceFiles(files), production);
  assert.equal(certificate(scan, "storefront-tls"), undefined);
  assert.equal(scan.gitops?.incomplete, true);
  // Even a variable with a default: the Secret in the cluster may set it.
  assert.equal(certificate(scan, "api"), undefined);
  const [api, storefront] = notes(scan);
  assert.match(api!, /^warning FluxVariablesNotInRepository: apps\/base\/shop\/certificate\.yaml:1: Certificate shop\/api: \$\{CERT_DURATION\} may come from Secret flux-system\/tunnel-secrets/);
  assert.match(storefront!, /^warning FluxVariablesNotInRepository: apps\/base\/shop\/ingress\.yaml:1: Ingress shop\/storefront: \$\{SECRET_DOMAIN\} may come from Secret flux-system\/tunnel-secrets, which Flux Kustomization flux-system\/apps \(clusters\/production\/apps\.yaml:2\) substitutes from but the repository does not hold/);
  assert.match(storefront!, /give gitcert cluster access to see it$/);
});

test("two clusters in one repository: an object they render differently is reported until gitops.clusterPath chooses one", () => {
  const files = sourceFiles(fixture("flux"));
  const both = scanFiles(files, DEFAULT_SCAN_OPTIONS);
  assert.equal(issuer(both, "letsencrypt"), undefined);
  assert.ok(issuer(both, "internal"), "rendered alike by both: no ambiguity");
  assert.deepEqual(notes(both).filter((n) => n.includes("RenderedDifferently")), [
    "error RenderedDifferently: infrastructure/configs/cluster-issuers.yaml:2: ClusterIssuer letsencrypt: applied by several Flux Kustomizations that make different objects of it: Kustomization flux-system/infra-configs (clusters/production/infrastructure.yaml:2), Kustomization flux-system/infra-configs (clusters/staging/infrastructure.yaml:2); set gitops.clusterPath to the folder of the cluster gitcert serves",
  ]);

  const staging = scanFiles(files, { ...DEFAULT_SCAN_OPTIONS, clusterPath: "clusters/staging" });
  assert.equal((issuer(staging, "letsencrypt")!.spec.acme as { server: string }).server, "https://acme-staging-v02.api.letsencrypt.org/directory");
  assert.equal(certificate(staging, "api"), undefined, "only production applies the apps");
});

test("gitops.clusterPath as flux bootstrap --path writes it (./, leading or trailing /) chooses the same cluster", () => {
  const files = sourceFiles(fixture("flux"));
  const expected = scanFiles(files, production);
  for (const clusterPath of ["./clusters/production", "/clusters/production", "clusters/production/", "./clusters/production/"]) {
    const scan = scanFiles(files, { ...DEFAULT_SCAN_OPTIONS, clusterPath });
    assert.deepEqual(scan.certificates.map((c) => c.name), expected.certificates.map((c) => c.name), clusterPath);
    assert.equal((issuer(scan, "letsencrypt")!.spec.acme as { server: string }).server, "https://acme-v02.api.letsencrypt.org/directory", clusterPath);
    assert.deepEqual(notes(scan), notes(expected), clusterPath);
  }
});

test("a gitops.clusterPath holding no Flux Kustomization is a warning naming the setting and where the Kustomizations are", () => {
  const files = sourceFiles(fixture("flux"));
  const typo = notes(scanFiles(files, { ...DEFAULT_SCAN_OPTIONS, clusterPath: "./clusters/prod" })).filter((n) => n.includes("ClusterPath"));
  assert.deepEqual(typo, [
    'warning ClusterPathMatchesNothing: gitops.clusterPath is "./clusters/prod", but the repository has no folder clusters/prod/, so every file a Flux Kustomization applies is left out; Flux Kustomizations nothing else applies are in clusters/production, clusters/staging',
  ]);
  const noKustomization = notes(scanFiles(files, { ...DEFAULT_SCAN_OPTIONS, clusterPath: "apps" })).filter((n) => n.includes("ClusterPath"));
  assert.match(noKustomization[0]!, /^warning ClusterPathMatchesNothing: gitops\.clusterPath is "apps", but no Flux Kustomization lies in or under apps\/,/);
});

test("$${…} is Flux's escape, and kustomize.toolkit.fluxcd.io/substitute: disabled opts an object out", () => {
  const scan = scanFiles(
    sourceFiles({
      "clusters/home/apps.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  path: ./apps\n  targetNamespace: web\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substitute: {DOMAIN: home.example.test}\n",
      "apps/certs.yaml": [
        "apiVersion: cert-manager.io/v1",
        "kind: Certificate",
        "metadata: {name: escaped}",
        "spec:",
        "  secretName: escaped-tls",
        "  dnsNames: ['www.${DOMAIN}']",
        "  issuerRef: {name: ca, kind: ClusterIssuer}",
        "  secretTemplate: {annotations: {note: 'literal $${DOMAIN}'}}",
        "---",
        "apiVersion: cert-manager.io/v1",
        "kind: Certificate",
        "metadata:",
        "  name: opted-out",
        "  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}",
        "spec:",
        "  secretName: opted-out-tls",
        "  dnsNames: [plain.example.test]",
        "  issuerRef: {name: ca, kind: ClusterIssuer}",
        "  secretTemplate: {annotations: {note: '${DOMAIN}'}}",
      ].join("\n"),
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  const escaped = certificate(scan, "escaped")!;
  assert.deepEqual(escaped.spec.dnsNames, ["www.home.example.test"]);
  assert.equal(escaped.spec.secretTemplate.annotations.note, "literal ${DOMAIN}");
  assert.equal(escaped.namespace, "web", "targetNamespace of a folder without kustomization.yaml (Flux generates one)");
  assert.equal(certificate(scan, "opted-out")!.spec.secretTemplate.annotations.note, "${DOMAIN}");
});

test("a ${…} no Flux Kustomization substitutes is said to be one, not reported as an invalid DNS name", () => {
  const scan = scanFiles(
    sourceFiles({
      "apps/cert.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: web}\nspec: {secretName: web-tls, dnsNames: ['web.${CLUSTER_DOMAIN}'], issuerRef: {name: ca, kind: ClusterIssuer}}\n",
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  assert.deepEqual(notes(scan), [
    "error FluxVariableNotSubstituted: apps/cert.yaml:1: Certificate web/web: ${CLUSTER_DOMAIN} looks like a variable something substitutes before this reaches the cluster, but no Flux Kustomization in the repository applies this file with postBuild substitution; gitcert cannot read this object from Git alone",
  ]);
});

test("a ${…} left in an Ingress or Gateway without cert-manager annotations is no error: gitcert does not act on it", () => {
  const kustomization = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: net, namespace: flux-system}\nspec:\n  path: ./net\n  sourceRef: {kind: GitRepository, name: flux-system}\n";
  const gateway = (annotations: string) =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: net${annotations}}\nspec:\n  gatewayClassName: edge\n  addresses: [{type: IPAddress, value: '\${EDGE_IP}'}]\n  listeners: [{name: https, protocol: HTTPS, port: 443, hostname: '*.example.test', tls: {certificateRefs: [{kind: Secret, name: edge-tls}]}}]\n`;
  const ingress = (annotations: string) =>
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop, namespace: net${annotations}}\nspec:\n  rules: [{host: 'shop.\${ZONE}'}]\n  tls: [{hosts: ['shop.\${ZONE}'], secretName: shop-tls}]\n`;
  for (const withKustomization of [true, false]) {
    const files = (annotations: string) =>
      sourceFiles({ ...(withKustomization ? { "cluster/net.yaml": kustomization } : {}), "net/gateway.yaml": gateway(annotations), "net/ingress.yaml": ingress(annotations) });
    const plain = scanFiles(files(""), DEFAULT_SCAN_OPTIONS);
    assert.deepEqual(notes(plain), [], `not annotated, Kustomization: ${withKustomization}`);
    assert.deepEqual(plain.certificates, []);
    // The same objects annotated for cert-manager are gitcert's: the variable is an error.
    const annotated = scanFiles(files(", annotations: {cert-manager.io/cluster-issuer: ca}"), DEFAULT_SCAN_OPTIONS);
    assert.deepEqual(
      annotated.diagnostics.map((d) => `${d.severity} ${d.code} ${d.object?.kind}`),
      ["error FluxVariableNotSubstituted Gateway", "error FluxVariableNotSubstituted Ingress"],
      `annotated, Kustomization: ${withKustomization}`,
    );
  }
});

test("an ExternalArtifact path is mapped back through its ArtifactGenerator's copy", () => {
  const scan = scanFiles(
    sourceFiles({
      "clusters/prod/artifacts.yaml": [
        "apiVersion: source.extensions.fluxcd.io/v1beta1",
        "kind: ArtifactGenerator",
        "metadata: {name: fleet, namespace: flux-system}",
        "spec:",
        "  sources: [{alias: repo, kind: GitRepository, name: flux-system}]",
        "  artifacts:",
        "    - name: infrastructure",
        "      copy: [{from: '@repo/infrastructure/**', to: '@artifact/'}]",
      ].join("\n"),
      "clusters/prod/infra.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: infra, namespace: flux-system}\nspec:\n  path: ./configs\n  sourceRef: {kind: ExternalArtifact, name: infrastructure}\n  targetNamespace: platform\n",
      "infrastructure/configs/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca}\nspec: {selfSigned: {}}\n",
      "other/configs/unrelated.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  assert.deepEqual(scan.issuers.map((i) => `${i.namespace}/${i.name} via ${i.origin?.appliedBy?.name}`), ["platform/ca via infra"]);
});

test("Argo CD: an Application's source folder lands in its destination namespace, with its kustomize patches; a KSOPS generator's files are read as what it emits", () => {
  const app = (name: string, path: string, extra = "") =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ${name}, namespace: argocd}\nspec:\n  source:\n    repoURL: https://git.example.test/apps.git\n    path: ${path}\n${extra}  destination: {server: https://kubernetes.default.svc, namespace: ${name}}\n`;
  const cert = (name: string) => `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}}\nspec: {secretName: ${name}-tls, dnsNames: [${name}.example.test], issuerRef: {name: ca, kind: ClusterIssuer}}\n`;
  const scan = scanFiles(
    sourceFiles({
      "argocd/plain.yaml": app("plain", "apps/plain", "    directory: {recurse: true}\n"),
      "argocd/edge.yaml": app("edge", "apps/edge", "    kustomize:\n      patches:\n        - target: {kind: Certificate}\n          patch: '[{op: add, path: /spec/dnsNames/-, value: www.edge.example.test}]'\n"),
      "apps/plain/sub/cert.yaml": cert("plain"),
      "apps/edge/kustomization.yaml": "generators: [./secrets.yaml]\n",
      "apps/edge/secrets.yaml": "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: s}\nfiles: [./cert.sops.yaml]\n",
      "apps/edge/cert.sops.yaml": cert("edge"),
    }),
    DEFAULT_SCAN_OPTIONS,
  );
  assert.deepEqual(
    scan.certificates.map((c) => `${c.namespace}/${c.name} ${c.spec.dnsNames.join(",")} via ${c.origin?.appliedBy?.kind} ${c.origin?.appliedBy?.name}`),
    ["edge/edge edge.example.test,www.edge.example.test via Application edge", "plain/plain plain.example.test via Application plain"],
  );
});
