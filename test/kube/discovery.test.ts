// Discovery from a real kube-apiserver: objects Flux or Argo CD applied
// that Git alone does not show (an Ingress a HelmRelease rendered, a
// Certificate from an Argo CD Helm source) are found through the labels the
// GitOps tools put on them, issued, and their Secrets written where their
// owner applies them; objects owned by nothing in the repository are
// reported, not issued; a running cert-manager (its controller's Lease held
// and fresh) makes gitcert step back; an Issuer whose server does not
// answer gets Ready False with the reason.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { X509Certificate } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../src/config.ts";
import { daemonReconcile } from "../../src/daemon/tick.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { createLogger } from "../../src/log.ts";
import { openWorkspace } from "../../src/repo/index.ts";
import { sopsDecrypt } from "../helpers.ts";
import { startKube, uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { freePorts } from "../peers/pebble.ts";
import { conditionOf, getJson, gitcert, gitopsRepo, installCrds, type CertificateView, type GitopsRepo } from "./helpers.ts";

let kube: KubePeer;
before(async () => {
  kube = await useKube();
  installCrds(kube);
});
after(() => kube?.release());

const fluxK = (name: string, path: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\nspec:\n  path: ${path}\n  sourceRef: {kind: GitRepository, name: flux-system}\n  decryption: {provider: sops, secretRef: {name: sops-age}}\n`;
const selfSignedIssuer = (ns: string) => `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: selfsigned, namespace: ${ns}}\nspec: {selfSigned: {}}\n`;
const helmLabels = (name: string, ns: string) => ({ "helm.toolkit.fluxcd.io/name": name, "helm.toolkit.fluxcd.io/namespace": ns });

/** What helm-controller applies for a chart's Ingress: the rendered object, with its origin labels. */
function renderedIngress(ns: string, name: string, labels: Record<string, string>, host: string) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: ns, labels: { "app.kubernetes.io/name": name, ...labels }, annotations: { "cert-manager.io/issuer": "selfsigned" } },
    spec: { tls: [{ hosts: [host], secretName: `${name}-tls` }], rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } }] } }] },
  };
}

function apply(cluster: KubePeer, object: unknown): void {
  cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: JSON.stringify(object) });
}

function run(t: TestContext, repo: GitopsRepo, ns: string, args: string[], cluster = kube) {
  void t;
  return gitcert([...args, "--repo", repo.remote, "--workdir", join(repo.dir, `work-${args[0]}`), "--kubeconfig", cluster.kubeconfig, "--leader-election-namespace", ns], {
    HOME: repo.dir,
    SOPS_AGE_KEY: repo.identity,
    GITCERT_LOG_LEVEL: "error",
  });
}

test("an Ingress only a HelmRelease renders: found by helm-controller's labels, issued, its Secret where the HelmRelease's Kustomization applies it; plan names the cluster object and its owner", async (t) => {
  const ns = uniqueName("helm");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, {
    "clusters/prod/apps.yaml": fluxK(`web-${ns}`, "./apps/web"),
    "apps/web/kustomization.yaml": "resources:\n  - ./helmrelease.yaml\n",
    "apps/web/helmrelease.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: ${ns}}\nspec:\n  chart: {spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts}}}\n  values:\n    ingress: {enabled: true, host: web.example.test}\n`,
    "platform/issuer.yaml": selfSignedIssuer(ns),
  });
  apply(kube, renderedIngress(ns, "web", helmLabels("web", ns), "web.example.test"));

  const plan = await run(t, repo, ns, ["plan"]);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, new RegExp(`issue +${ns}/web-tls \\(cluster Ingress ${ns}/web, applied by HelmRelease ${ns}/web at apps/web/helmrelease.yaml:1\\): DoesNotExist`));
  const json = await run(t, repo, ns, ["plan", "--json"]);
  const planned = (JSON.parse(json.stdout) as { certificates: Array<{ namespace: string; name: string; secretPath: string; origin: { from: string; cluster: { owner: { kind: string; appliedBy: { name: string } }; ownerLabel: string; secretFolder: { dir: string } } } }> }).certificates.find((c) => c.namespace === ns)!;
  assert.equal(planned.secretPath, "apps/web/web-tls.sops.yaml");
  assert.equal(planned.origin.from, "cluster");
  assert.equal(planned.origin.cluster.owner.kind, "HelmRelease");
  assert.equal(planned.origin.cluster.owner.appliedBy.name, `web-${ns}`);
  assert.equal(planned.origin.cluster.ownerLabel, "helm.toolkit.fluxcd.io/name=web");

  const first = await run(t, repo, ns, ["run", "--once"]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, new RegExp(`${ns}/web-tls .* Issued`));
  const clone = repo.checkout();
  const file = join(clone, "apps/web/web-tls.sops.yaml");
  assert.ok(existsSync(file), "the Secret is beside the HelmRelease, in the folder its Kustomization applies");
  assert.deepEqual((parseYaml(readFileSync(join(clone, "apps/web/kustomization.yaml"), "utf8")) as { resources: string[] }).resources, ["./helmrelease.yaml", "./web-tls.sops.yaml"]);
  const secret = parseYaml(sopsDecrypt(t, file, repo.identity)) as { metadata: { namespace: string; annotations: Record<string, string> }; data: Record<string, string> };
  assert.equal(secret.metadata.namespace, ns);
  assert.equal(secret.metadata.annotations["gitcert.dev/source"], `cluster:Ingress/${ns}/web`);
  assert.equal(new X509Certificate(Buffer.from(secret.data["tls.crt"]!, "base64")).subjectAltName, "DNS:web.example.test");

  // As ingress-shim would, the Certificate in the cluster, owned by the Ingress, Ready.
  const certificate = getJson<CertificateView>(kube, ["certificate", "web-tls", "-n", ns]);
  assert.equal(certificate.metadata.ownerReferences?.[0]?.kind, "Ingress");
  assert.equal(conditionOf(certificate, "Ready")?.status, "True");
  // That Certificate is gitcert's own: not discovered again. A second run has nothing to do.
  const second = await run(t, repo, ns, ["run", "--once"]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /nothing to commit: every certificate is up to date/);

  // Without the cluster, its Secret is kept: the Ingress may be there, out of sight.
  const offline = await gitcert(["plan", "--repo", repo.remote, "--workdir", join(repo.dir, "work-offline")], { HOME: repo.dir, GITCERT_LOG_LEVEL: "error" });
  assert.match(offline.stdout, new RegExp(`ok +${ns}/web-tls .*: Orphaned — its Certificate was found in the cluster \\(cluster:Ingress/${ns}/web\\), which was not configured or could not be reached this run; Secret file apps/web/web-tls.sops.yaml kept`));
  // Once Helm has removed the Ingress, so does gitcert the Secret.
  kube.kubectl(["delete", "ingress", "web", "-n", ns]);
  const gone = await run(t, repo, ns, ["plan"]);
  assert.match(gone.stdout, new RegExp(`remove +${ns}/web-tls .*: CertificateRemoved`));
});

test("a Certificate Argo CD applied that has no file in Git: found by its tracking id, its Secret in the Application's folder, listed in its KSOPS generator", async (t) => {
  const ns = uniqueName("argo");
  kube.kubectl(["create", "namespace", ns]);
  const app = `shop-${ns}`;
  const repo = await gitopsRepo(t, {
    "argocd/shop.yaml": `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ${app}, namespace: argocd}\nspec:\n  sources:\n    - {repoURL: https://charts.example.test, chart: shop, targetRevision: 1.2.0}\n    - {repoURL: https://git.example.test/platform.git, path: apps/shop}\n  destination: {server: https://kubernetes.default.svc, namespace: ${ns}}\n`,
    "apps/shop/kustomization.yaml": "resources:\n  - issuer.yaml\ngenerators:\n  - secret-generator.yaml\n",
    "apps/shop/issuer.yaml": selfSignedIssuer(ns),
    "apps/shop/secret-generator.yaml": "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: secrets}\nfiles: []\n",
  });
  // What the chart made and Argo CD applied, tracked by annotation.
  apply(kube, {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "api", namespace: ns, annotations: { "argocd.argoproj.io/tracking-id": `${app}:cert-manager.io/Certificate:${ns}/api` } },
    spec: { secretName: "api-tls", dnsNames: ["api.shop.example.test"], issuerRef: { name: "selfsigned" } },
  });

  const result = await run(t, repo, ns, ["run", "--once"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`${ns}/api .* Issued`));
  const clone = repo.checkout();
  assert.ok(existsSync(join(clone, "apps/shop/api-tls.sops.yaml")));
  assert.deepEqual((parseYaml(readFileSync(join(clone, "apps/shop/secret-generator.yaml"), "utf8")) as { files: string[] }).files, ["api-tls.sops.yaml"]);
  // The Certificate Argo CD applied gets its status from gitcert.
  assert.equal(conditionOf(getJson<CertificateView>(kube, ["certificate", "api", "-n", ns]), "Ready")?.status, "True");
  // And it can be renewed by name, like one from Git.
  const renewed = await run(t, repo, ns, ["renew", `${ns}/api`]);
  assert.equal(renewed.code, 0, renewed.stdout + renewed.stderr);
  assert.match(renewed.stdout, new RegExp(`${ns}/api .* Renewed`));
});

test("objects nothing in this repository applies are reported, not issued", async (t) => {
  const ns = uniqueName("unowned");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, { "clusters/prod/apps.yaml": fluxK(`apps-${ns}`, "./apps"), "apps/issuer.yaml": selfSignedIssuer(ns) });
  apply(kube, renderedIngress(ns, "stranger", { "kustomize.toolkit.fluxcd.io/name": "elsewhere", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" }, "stranger.example.test"));

  const plan = await run(t, repo, ns, ["plan"]);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.doesNotMatch(plan.stdout, new RegExp(`${ns}/stranger-tls`));
  assert.match(plan.stdout, new RegExp(`info: .*asks? for certificates, but nothing in this repository applies (it|them) \\(kustomize.toolkit.fluxcd.io/name=elsewhere: Flux Kustomization flux-system/elsewhere is not in this repository\\): .*Ingress ${ns}/stranger.*; not issued`));
  const result = await run(t, repo, ns, ["run", "--once"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /nothing to commit/);
  assert.throws(() => kube.kubectl(["get", "certificate", "stranger-tls", "-n", ns]), /NotFound/);
});

test("a running cert-manager (its controller's Lease in kube-system held and fresh): gitcert steps back, or serves the namespaces it keeps", async (t) => {
  // A cluster of its own: a cert-manager Lease in the shared one would make every other test's gitcert step back.
  const own = await startKube();
  t.after(() => own.release());
  installCrds(own);
  const ns = uniqueName("cm");
  own.kubectl(["create", "namespace", ns]);
  const ingress = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: ${ns}\n  annotations: {cert-manager.io/issuer: selfsigned}\nspec:\n  tls: [{hosts: [web.example.test], secretName: web-tls}]\n  rules: [{host: web.example.test}]\n`;
  const repo = await gitopsRepo(t, { "apps/issuer.yaml": selfSignedIssuer(ns), "apps/ingress.yaml": ingress });
  own.kubectl(["apply", "--server-side", "-f", "-"], { input: ingress });
  const renew = () => new Date().toISOString().replace("Z", "000Z");
  const lease = (holder: string) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "cert-manager-controller", namespace: "kube-system" },
    spec: { holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: renew(), renewTime: renew() },
  });
  apply(own, lease("cert-manager-7d9f8b6c5-x2x4z_0f6e1c2a"));

  const plan = await run(t, repo, ns, ["plan"], own);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, new RegExp(`ok +${ns}/web-tls .*: LeftToCertManager — cert-manager's controller is running \\(Lease kube-system/cert-manager-controller is held by cert-manager-7d9f8b6c5-x2x4z_0f6e1c2a, renewed \\d+ s ago\\): left to it`));
  assert.match(plan.stdout, /warning: cert-manager's controller is running .*: gitcert leaves it 1 Certificate \(namespace cm-[0-9a-f]+\) and writes no status, Events or Ingress Certificates for them/);
  const stepped = await run(t, repo, ns, ["run", "--once"], own);
  assert.equal(stepped.code, 0, stepped.stdout + stepped.stderr);
  assert.match(stepped.stdout, new RegExp(`${ns}/web-tls .* Left to cert-manager`));
  assert.match(stepped.stdout, /nothing to commit/);
  assert.throws(() => own.kubectl(["get", "certificate", "web-tls", "-n", ns]), /NotFound/, "ingress-shim's Certificate is cert-manager's to make");

  // Coexistence by namespace: this one is gitcert's.
  const kept = await gitcert(["run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, "work-kept"), "--kubeconfig", own.kubeconfig, "--leader-election-namespace", ns, "--coexistence-namespaces", ns], {
    HOME: repo.dir,
    SOPS_AGE_KEY: repo.identity,
    GITCERT_LOG_LEVEL: "error",
  });
  assert.equal(kept.code, 0, kept.stdout + kept.stderr);
  assert.match(kept.stdout, new RegExp(`${ns}/web-tls .* Issued`));
  assert.equal(conditionOf(getJson<CertificateView>(own, ["certificate", "web-tls", "-n", ns]), "Ready")?.status, "True");

  // Now gitcert's Secret is in Git, and stepping back again says the two would fight over it.
  const conflict = await run(t, repo, ns, ["plan"], own);
  assert.match(conflict.stdout, /warning: gitcert's Secret files for Certificates left to cert-manager are still in Git \(apps\/web-tls\.sops\.yaml\): Flux or Argo CD applies them over the Secrets cert-manager writes/);

  // A released Lease (the controller stopped): gitcert acts again.
  apply(own, lease(""));
  const back = await run(t, repo, ns, ["plan"], own);
  assert.match(back.stdout, new RegExp(`ok +${ns}/web-tls .*: UpToDate`));
  assert.doesNotMatch(back.stdout, /cert-manager's controller is running/);
});

test("an Issuer whose ACME server cannot be reached: Ready False from the live check, with cert-manager's reason; written once", async (t) => {
  const ns = uniqueName("ready");
  kube.kubectl(["create", "namespace", ns]);
  const [port] = (await freePorts(1)) as [number];
  const issuer = `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: acme, namespace: ${ns}}\nspec:\n  acme:\n    server: https://127.0.0.1:${port}/directory\n    privateKeySecretRef: {name: acme-account}\n    solvers: [{http01: {ingress: {}}}]\n`;
  const selfSigned = selfSignedIssuer(ns);
  const repo = await gitopsRepo(t, {
    "apps/issuers.yaml": `${issuer}---\n${selfSigned}`,
    "apps/certificate.yaml": `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: ${ns}}\nspec: {secretName: web-tls, dnsNames: [web.example.test], issuerRef: {name: acme}}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: local, namespace: ${ns}}\nspec: {secretName: local-tls, dnsNames: [local.example.test], issuerRef: {name: selfsigned}}\n`,
  });
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: `${issuer}---\n${selfSigned}` });

  const first = await run(t, repo, ns, ["run", "--once"]);
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const view = () => getJson<CertificateView & { metadata: { resourceVersion: string } }>(kube, ["issuer", "acme", "-n", ns]);
  const ready = conditionOf(view(), "Ready")!;
  assert.equal(ready.status, "False");
  assert.equal(ready.reason, "ErrRegisterACMEAccount");
  assert.match(ready.message!, new RegExp(`^the ACME server https://127.0.0.1:${port}/directory does not answer: .*ECONNREFUSED`));
  // The SelfSigned issuer has nothing to ask: ready as before.
  assert.equal(conditionOf(getJson<CertificateView>(kube, ["issuer", "selfsigned", "-n", ns]), "Ready")?.status, "True");

  // Change-only: the same failure on the next run writes no new status.
  const version = view().metadata.resourceVersion;
  const second = await run(t, repo, ns, ["run", "--once"]);
  assert.equal(second.code, 1, second.stdout + second.stderr);
  assert.equal(view().metadata.resourceVersion, version);
});

test("serve reads the cluster afresh each tick: an Ingress a chart renders after one tick is issued at the next", async (t) => {
  const ns = uniqueName("serve");
  kube.kubectl(["create", "namespace", ns]);
  const repo = await gitopsRepo(t, {
    "clusters/prod/apps.yaml": fluxK(`site-${ns}`, "./apps/site"),
    "apps/site/helmrelease.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: site, namespace: ${ns}}\nspec:\n  chart: {spec: {chart: site, sourceRef: {kind: HelmRepository, name: charts}}}\n`,
    "apps/site/issuer.yaml": selfSignedIssuer(ns),
  });
  const { config } = loadConfig({ flags: { repo: repo.remote, kubeconfig: kube.kubeconfig, "leaderElection.namespace": ns, logLevel: "error" } });
  const log = createLogger("error");
  const kubeRoom = await import("../../src/kube/index.ts");
  const session = (await kubeRoom.openClusterSession(config, {}, log))!;
  t.after(() => session.close());
  const workspace = await openWorkspace({ url: repo.remote, branch: "main", workdir: join(repo.dir, "serve"), author: { name: "gitcert", email: "gitcert@test.invalid" } });
  const issuers = defaultIssuers();
  t.after(() => Promise.all([...issuers.values()].map((i) => i.close?.())));
  const tick = daemonReconcile({ cluster: { session, kube: kubeRoom }, workspace, config, issuers, identities: [repo.identity], log, now: () => new Date() });
  const context = { signal: new AbortController().signal, progress: () => {} };

  const commitOf = (report: { summary: unknown }) => (report.summary as { commit?: string }).commit;
  const first = await tick({ triggers: ["schedule"] }, context);
  assert.equal(commitOf(first), undefined);
  apply(kube, renderedIngress(ns, "site", helmLabels("site", ns), "site.example.test"));
  const second = await tick({ triggers: ["schedule"] }, context);
  assert.ok(commitOf(second), "the second tick saw the Ingress and committed its Secret");
  assert.ok(existsSync(join(repo.checkout(), "apps/site/site-tls.sops.yaml")));
});
