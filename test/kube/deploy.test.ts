// deploy/ against a real kube-apiserver: every manifest applies with
// `kubectl apply --server-side` (dry run, then for real), and gitcert,
// running as deploy/'s service account with a TokenRequest token, does its
// whole job against the cluster — status, Events, the Certificate for an
// annotated Ingress, Secrets from the cluster, the Lease — while anything
// outside its RBAC is refused. What lands in Git then applies as Flux would.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { Cluster, clusterTarget, EventRecorder, instanceOf, reportToCluster } from "../../src/kube/index.ts";
import { loadConfig } from "../../src/config.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { assess } from "../../src/reconcile.ts";
import { parse as parseYaml } from "yaml";
import { tempDir } from "../helpers.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { freePorts } from "../peers/pebble.ts";
import { peerBinDir } from "../peers/tools.ts";
import { applyDecrypted, argoHealth, conditionOf, getJson, gitcert, gitopsRepo, installCrds, ROOT, waitEstablished, type CertificateView } from "./helpers.ts";

let kube: KubePeer;

before(async () => {
  kube = await useKube();
});
after(() => kube?.release());

function* yamlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(name)) yield relative(ROOT, path);
  }
}

// Folders applied with -k, in order (the CRDs before what uses them).
const APPLIED = ["deploy/crds", "deploy/controller", "deploy/base", "deploy/cronjob", "deploy/flux", "deploy/argocd", "deploy/monitoring"];
// Inputs of kustomize builds that run elsewhere: an Argo CD app folder whose
// Secrets KSOPS decrypts, and patches for Argo CD's own install.
const KSOPS_APP = ["deploy/argocd/apps-example/certificate.yaml", "deploy/argocd/apps-example/kustomization.yaml", "deploy/argocd/apps-example/secret-generator.yaml"];
const REPO_SERVER = ["deploy/argocd/repo-server/argocd-cm-patch.yaml", "deploy/argocd/repo-server/argocd-repo-server-patch.yaml", "deploy/argocd/repo-server/kustomization.yaml"];

/** The files a kustomization.yaml uses from its own folder: resources, generator files, patches. */
function usedBy(dir: string): string[] {
  const k = parseYaml(readFileSync(join(ROOT, dir, "kustomization.yaml"), "utf8")) as {
    resources?: string[];
    configMapGenerator?: Array<{ files?: string[] }>;
    patches?: Array<{ path?: string }>;
    generators?: string[];
  };
  const local = [...(k.resources ?? []), ...(k.generators ?? []), ...(k.configMapGenerator ?? []).flatMap((g) => (g.files ?? []).map((f) => f.split("=").at(-1)!)), ...(k.patches ?? []).flatMap((p) => (p.path ? [p.path] : []))];
  return ["kustomization.yaml", ...local.filter((r) => !r.includes("/") && /\.ya?ml$/.test(r))].map((f) => `${dir}/${f}`).sort();
}

test("every manifest under deploy/ applies with kubectl apply --server-side, dry run first", (t) => {
  // Nothing under deploy/ escapes: each file is used by its folder's kustomization.yaml.
  const used = [...APPLIED, "deploy/argocd/apps-example", "deploy/argocd/repo-server"].flatMap(usedBy).sort();
  assert.deepEqual(used, [...yamlFiles(join(ROOT, "deploy"))].sort());
  assert.deepEqual(usedBy("deploy/argocd/apps-example"), KSOPS_APP);
  assert.deepEqual(usedBy("deploy/argocd/repo-server"), REPO_SERVER);
  const crdsText = execFileSync(process.execPath, [join(ROOT, "scripts", "crds.ts"), "--check"], { encoding: "utf8" });
  assert.equal(crdsText, "", "deploy/crds is what scripts/crds.ts writes");

  // What a cluster running Flux and Argo CD already has: their namespaces and CRDs
  // (the real ones, from their Go modules), and gitcert's namespace, without
  // which a server-side dry run of the objects in it cannot run.
  const gitops = join(peerBinDir(), "gitops.d");
  for (const crd of readdirSync(join(gitops, "crds"))) kube.kubectl(["apply", "--server-side", "-f", join(gitops, "crds", crd)]);
  waitEstablished(kube, ["gitrepositories.source.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io", "applications.argoproj.io"]);
  // deploy/monitoring's: the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs, from its Go module.
  const monitoring = join(peerBinDir(), "monitoring-crds");
  for (const crd of readdirSync(monitoring).filter((f) => f.endsWith(".yaml"))) kube.kubectl(["apply", "--server-side", "-f", join(monitoring, crd)]);
  waitEstablished(kube, ["servicemonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com"]);
  for (const ns of ["flux-system", "argocd"]) kube.kubectl(["apply", "--server-side", "-f", "-"], { input: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n` });
  kube.kubectl(["apply", "--server-side", "-f", join(ROOT, "deploy/controller/namespace.yaml")]);

  for (const dir of APPLIED) {
    const dry = kube.kubectl(["apply", "--server-side", "--dry-run=server", "-k", join(ROOT, dir)]);
    assert.match(dry, /serverside-applied \(server dry run\)/, `${dir} (dry run)`);
    const real = kube.kubectl(["apply", "--server-side", "-k", join(ROOT, dir)]);
    assert.doesNotMatch(real, /dry run/);
    if (dir === "deploy/crds") waitEstablished(kube, ["certificates.cert-manager.io", "issuers.cert-manager.io", "clusterissuers.cert-manager.io"]);
  }
  assert.equal(getJson<{ spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }>(kube, ["deployment", "gitcert", "-n", "gitcert"]).spec.template.spec.containers[0]!.args[0], "serve");
  assert.equal(getJson<{ spec: { jobTemplate: { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } } } }>(kube, ["cronjob", "gitcert", "-n", "gitcert"]).spec.jobTemplate.spec.template.spec.containers[0]!.args.slice(0, 2).join(" "), "run --once");
  // The ServiceMonitor scrapes the Service gitcert's metrics port, and only that Service has one.
  type Service = { metadata: { name: string; labels: Record<string, string> }; spec: { ports: Array<{ name: string }> } };
  const monitor = getJson<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> } }>(kube, ["servicemonitors.monitoring.coreos.com", "gitcert", "-n", "gitcert"]);
  const services = getJson<{ items: Service[] }>(kube, ["services", "-n", "gitcert"]).items;
  const selected = services.filter((svc) => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v));
  const scraped = selected.filter((svc) => svc.spec.ports.some((p) => monitor.spec.endpoints.some((e) => e.port === p.name)));
  assert.deepEqual(scraped.map((svc) => svc.metadata.name), ["gitcert"]);
  assert.equal(getJson<{ spec: { groups: Array<{ rules: unknown[] }> } }>(kube, ["prometheusrules.monitoring.coreos.com", "gitcert", "-n", "gitcert"]).spec.groups[0]!.rules.length, 7);
  const flux = getJson<{ spec: { decryption: { provider: string } } }>(kube, ["kustomizations.kustomize.toolkit.fluxcd.io", "apps", "-n", "flux-system"]);
  assert.equal(flux.spec.decryption.provider, "sops");

  // The repo-server patches, on a stand-in for Argo CD's install (the real one is a download).
  const dir = tempDir(t);
  for (const f of REPO_SERVER.slice(0, 2)) copyFileSync(join(ROOT, f), join(dir, f.split("/").at(-1)!));
  writeFileSync(
    join(dir, "install.yaml"),
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: argocd-repo-server}\nspec:\n  selector: {matchLabels: {app: repo}}\n  template:\n    metadata: {labels: {app: repo}}\n    spec:\n      containers: [{name: argocd-repo-server, image: quay.io/argoproj/argocd:v3.5.7}]\n`,
  );
  writeFileSync(join(dir, "kustomization.yaml"), readFileSync(join(ROOT, REPO_SERVER[2]!), "utf8").replace(/https:\/\/raw\.githubusercontent\.com\S+/, "install.yaml"));
  const built = kube.kubectl(["kustomize", dir]);
  assert.match(built, /image: viaductoss\/ksops:v4\.3\.2/);
  assert.match(built, /SOPS_AGE_KEY_FILE/);
  assert.match(built, /kustomize\.buildOptions: --enable-alpha-plugins --enable-exec/);
  assert.match(kube.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], { input: built }), /deployment.apps\/argocd-repo-server serverside-applied \(server dry run\)/);
});

/** A CA key pair made with openssl, as a kubernetes.io/tls Secret manifest (it lives only in the cluster). */
function caSecret(namespace: string, name: string, dir: string): string {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", `${name}.key`, "-out", `${name}.crt`);
  const b64 = (f: string) => readFileSync(join(dir, f)).toString("base64");
  return `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: ${name}, namespace: ${namespace}}\ndata:\n  tls.crt: ${b64(`${name}.crt`)}\n  tls.key: ${b64(`${name}.key`)}\n`;
}

const issuer = (namespace: string, name: string, spec: string) => `apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec}`;

const ISSUERS = (ns: string, hidden: string, acmePort: number) =>
  [
    issuer(ns, "selfsigned", "  selfSigned: {}\n"),
    issuer(ns, "cluster-ca", "  ca: {secretName: ca-key-pair}\n"),
    issuer(ns, "unreachable-acme", `  acme:\n    server: http://127.0.0.1:${acmePort}/dir\n    email: ops@example.test\n    privateKeySecretRef: {name: acme-account}\n    solvers: [{http01: {ingress: {ingressClassName: traefik}}}]\n`),
    issuer(hidden, "hidden-ca", "  ca: {secretName: ca-key-pair}\n"),
  ].join("---\n");

const certificate = (namespace: string, name: string, issuer: string, dnsNames: string[]) =>
  `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  secretName: ${name}-tls\n  dnsNames: [${dnsNames.join(", ")}]\n  issuerRef: {name: ${issuer}}\n`;

const CERTIFICATES = (ns: string, hidden: string, goodNames = ["good.example.test"]) =>
  [
    certificate(ns, "good", "selfsigned", goodNames),
    certificate(ns, "from-cluster-ca", "cluster-ca", ["ca.example.test"]),
    certificate(ns, "doomed", "unreachable-acme", ["doomed.example.test"]),
    certificate(ns, "lost", "no-such-issuer", ["lost.example.test"]),
    certificate(hidden, "hidden", "hidden-ca", ["hidden.example.test"]),
  ].join("---\n");

const INGRESS = (ns: string, tls: boolean) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: ${ns}
  labels: {app: web}
  annotations: {cert-manager.io/issuer: selfsigned}
spec:
  ingressClassName: traefik
${tls ? "  tls: [{hosts: [web.example.test], secretName: web-tls}]\n" : ""}  rules:
    - host: web.example.test
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
`;

test("as deploy/'s service account, gitcert reports status, Events and the Ingress's Certificate, reads issuer Secrets from the cluster, and is refused outside its rights", async (t) => {
  const ns = uniqueName("shop");
  const hidden = uniqueName("hidden");
  const [acmePort] = (await freePorts(1)) as [number]; // nothing listens: the CA cannot be reached
  installCrds(kube);
  kube.kubectl(["apply", "--server-side", "-k", join(ROOT, "deploy/controller")]);
  for (const n of [ns, hidden]) kube.kubectl(["create", "namespace", n]);
  const repo = await gitopsRepo(t, {
    "apps/issuers.yaml": ISSUERS(ns, hidden, acmePort),
    "apps/certificates.yaml": CERTIFICATES(ns, hidden),
    "apps/ingress.yaml": INGRESS(ns, true),
  });
  // What Flux applied from Git, and what lives only in the cluster: the CA key pairs.
  for (const f of ["issuers.yaml", "certificates.yaml", "ingress.yaml"]) kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps", f)]);
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: caSecret(ns, "ca-key-pair", repo.dir) + "---\n" + caSecret(hidden, "ca-key-pair", repo.dir) });
  // deploy/controller's README step for an Issuer in namespace X: the Secret reader Role and binding, copied into X.
  kube.kubectl(["create", "role", "gitcert-issuer-secrets", "-n", ns, "--verb=get", "--resource=secrets"]);
  kube.kubectl(["create", "rolebinding", "gitcert-issuer-secrets", "-n", ns, "--role=gitcert-issuer-secrets", "--serviceaccount=gitcert:gitcert"]);

  const account = kube.serviceAccountKubeconfig("gitcert", "gitcert", repo.dir);
  const env = { HOME: repo.dir, SOPS_AGE_KEY: repo.identity, GITCERT_LOG_LEVEL: "warn" };
  const args = ["--repo", repo.remote, "--workdir", join(repo.dir, "work"), "--kubeconfig", account];
  const first = await gitcert(["run", "--once", ...args], env);
  assert.equal(first.code, 1, "doomed, lost and hidden fail; the rest is done\n" + first.stdout + first.stderr);
  assert.match(first.stdout, new RegExp(`${ns}/good .* Issued`));
  assert.match(first.stdout, new RegExp(`${ns}/from-cluster-ca .* Issued`), "the CA key pair came from the cluster");
  assert.match(first.stdout, new RegExp(`${ns}/web-tls .* Issued`));
  assert.match(
    first.stdout,
    new RegExp(`${hidden}/hidden .* Blocked: Issuer ${hidden}/hidden-ca .* is not ready: Secret ${hidden}/ca-key-pair .*the cluster would not show ${hidden}/ca-key-pair: gitcert may not read it \\(allow "get"`),
    "checked before issuing: the Secret gitcert may not read in the cluster is named, with the RBAC to add",
  );
  assert.doesNotMatch(first.stdout + first.stderr, /AGE-SECRET-KEY|PRIVATE KEY/);
  // plan sees the cluster's Secrets too, and so blocks exactly what run blocks.
  const planned = await gitcert(["plan", ...args], env);
  assert.match(planned.stdout, new RegExp(`blocked +${hidden}/hidden .*the cluster would not show ${hidden}/ca-key-pair`), planned.stdout + planned.stderr);
  assert.doesNotMatch(planned.stdout, /from-cluster-ca.*(blocked|not ready)/);

  // kubectl shows cert-manager's columns, filled in by gitcert.
  const table = kube.kubectl(["get", "certificate", "-n", ns, "-o", "wide", "--sort-by=.metadata.name"]);
  assert.match(table.split("\n")[0]!, /^NAME\s+READY\s+SECRET\s+ISSUER\s+STATUS\s+EXPIRATION\s+AGE$/);
  assert.match(table, /\ngood\s+True\s+good-tls\s+selfsigned\s+Certificate is up to date and has not expired\s+\d{4}-\d\d-\d\dT/);
  assert.match(table, /\ndoomed\s+False\s+doomed-tls\s+unreachable-acme\s+Issuing certificate as Secret does not exist/);
  assert.match(table, /\nlost\s+False\s+lost-tls\s+no-such-issuer\s/);
  assert.match(kube.kubectl(["get", "certificate", "-n", ns]).split("\n")[0]!, /^NAME\s+READY\s+SECRET\s+AGE$/);

  const cert = (name: string, namespace = ns) => getJson<CertificateView>(kube, ["certificate", name, "-n", namespace]);
  const good = cert("good");
  const doomed = cert("doomed");
  assert.equal(conditionOf(doomed, "Issuing")?.reason, "Failed");
  assert.equal(doomed.status?.failedIssuanceAttempts, 1);
  assert.ok(doomed.status?.lastFailureTime);
  assert.equal(conditionOf(cert("hidden", hidden), "Ready")?.status, "False");
  const hiddenIssuer = getJson<CertificateView>(kube, ["issuer", "hidden-ca", "-n", hidden]);
  assert.equal(conditionOf(hiddenIssuer, "Ready")?.status, "False", "the Issuer says why it cannot sign");
  assert.match(conditionOf(hiddenIssuer, "Ready")?.message ?? "", /may not read it/);
  assert.equal(argoHealth("Issuer", hiddenIssuer).status, "Degraded");

  // The Certificate for the Ingress: made in the cluster, owned by the Ingress (garbage-collected with it).
  const web = cert("web-tls");
  const ingress = getJson<{ metadata: { uid: string } }>(kube, ["ingress", "web", "-n", ns]);
  assert.deepEqual(web.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [["Ingress", "web", ingress.metadata.uid, true]]);
  assert.equal(web.metadata.labels?.["app.kubernetes.io/managed-by"], "gitcert");
  assert.equal(web.metadata.labels?.app, "web", "the Ingress's labels, as ingress-shim copies them");
  assert.equal(conditionOf(web, "Ready")?.status, "True");
  // A gitcert for another repository on the same cluster leaves this one's Certificates alone.
  const neighbour = await gitopsRepo(t, { "apps/issuer.yaml": issuer(hidden, "selfsigned", "  selfSigned: {}\n") });
  const other = await gitcert(["run", "--once", "--repo", neighbour.remote, "--workdir", join(neighbour.dir, "work"), "--kubeconfig", kube.kubeconfig, "--leader-election-namespace", hidden], { ...env, SOPS_AGE_KEY: neighbour.identity });
  assert.equal(other.code, 0, other.stdout + other.stderr);
  assert.equal(cert("web-tls").metadata.uid, web.metadata.uid);

  // Issuers' Ready condition.
  const selfSigned = getJson<CertificateView>(kube, ["issuer", "selfsigned", "-n", ns]);
  assert.deepEqual([conditionOf(selfSigned, "Ready")?.status, conditionOf(selfSigned, "Ready")?.reason], ["True", "IsReady"]);
  assert.match(kube.kubectl(["get", "issuer", "-n", ns]), /selfsigned\s+True/);

  // Events, with cert-manager's reasons, on the Certificate.
  const events = (name: string) =>
    getJson<{ items: Array<{ reason: string; message: string; count: number; type: string }> }>(kube, ["events", "-n", ns, "--field-selector", `involvedObject.name=${name},involvedObject.kind=Certificate`]).items;
  assert.deepEqual(events("good").map((e) => e.reason).sort(), ["Generated", "Issuing", "Issuing"]);
  assert.deepEqual(events("doomed").map((e) => [e.type, e.reason, e.count]).sort(), [["Normal", "Issuing", 1], ["Warning", "Failed", 1]]);
  assert.match(kube.kubectl(["describe", "certificate", "good", "-n", ns]), /Normal\s+Issuing\s+\S+\s+gitcert\s+The certificate has been successfully issued/);

  // Argo CD's own health check reads what gitcert wrote.
  assert.deepEqual(argoHealth("Certificate", good), { status: "Healthy", message: "Certificate is up to date and has not expired" });
  assert.equal(argoHealth("Certificate", doomed).status, "Degraded");
  assert.equal(argoHealth("Issuer", selfSigned).status, "Healthy");

  // A second run with nothing to do writes nothing: same resourceVersions, same Events.
  const versions = () => getJson<{ items: CertificateView[] }>(kube, ["certificates", "-n", ns]).items.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).sort();
  const before2 = versions();
  const second = await gitcert(["run", "--once", ...args], { ...env, GITCERT_LOG_LEVEL: "info" });
  assert.match(second.stdout, /nothing to commit|committed/, second.stderr);
  assert.match(second.stderr, /"statuses":0,"events":0,"created":0,"updated":0,"deleted":0,"msg":"reported to the cluster"/, "no write request at all");
  assert.deepEqual(versions(), before2, "no status write when nothing changed");
  assert.deepEqual(events("doomed").map((e) => e.count), [1, 1], "doomed waits in backoff: nothing attempted, no Event");

  // `gitcert renew` skips the backoff: the same failure again is the same Events, counted.
  const renew = await gitcert(["renew", `${ns}/doomed`, ...args], env);
  assert.equal(renew.code, 1);
  assert.deepEqual(events("doomed").map((e) => [e.reason, e.count]).sort(), [["Failed", 2], ["Issuing", 2]]);
  assert.equal(cert("doomed").status?.failedIssuanceAttempts, 2);

  // Issuing: the plan before issuance (what run --once writes while orders run) makes Argo CD show Progressing.
  repo.push({ "apps/certificates.yaml": CERTIFICATES(ns, hidden, ["good.example.test", "www.good.example.test"]) }, "good: one more name");
  const clone = repo.checkout();
  const { config } = loadConfig({ flags: { kubeconfig: account } });
  const assessment = await assess(clone, config, { now: new Date(), issuers: defaultIssuers() });
  const cluster = new Cluster(clusterTarget({ kubeconfig: account, context: "" }, {})!);
  await reportToCluster(cluster, assessment, [], { now: new Date(), events: new EventRecorder(cluster), instance: instanceOf({ instance: "", repo: repo.remote, branch: "main" }), stage: "before-issuing" });
  const issuing = cert("good");
  assert.equal(conditionOf(issuing, "Issuing")?.status, "True");
  assert.equal(conditionOf(issuing, "Issuing")?.reason, "RequestChanged");
  assert.equal(argoHealth("Certificate", issuing).status, "Progressing");

  // The Ingress loses its tls entry in Git: the Certificate gitcert made for it goes.
  repo.push({ "apps/ingress.yaml": INGRESS(ns, false) }, "web: no TLS");
  await gitcert(["run", "--once", ...args], env);
  assert.throws(() => cert("web-tls"), /NotFound/);

  // What Flux does: the Secret from Git, decrypted by the real sops CLI, applied; status matches it.
  const latest = repo.checkout();
  applyDecrypted(t, kube, join(latest, "apps", "good-tls.sops.yaml"), repo.identity);
  const secret = getJson<{ data: Record<string, string> }>(kube, ["secret", "good-tls", "-n", ns]);
  const notAfter = execFileSync("openssl", ["x509", "-noout", "-enddate"], { input: Buffer.from(secret.data["tls.crt"]!, "base64"), encoding: "utf8" }).trim().replace("notAfter=", "");
  const status = cert("good");
  assert.equal(new Date(status.status!.notAfter!).getTime(), new Date(notAfter).getTime());
  assert.equal(conditionOf(status, "Ready")?.status, "True");

  // Outside its rights: Secrets it may not list, objects it may not write.
  assert.throws(() => kube.kubectl(["get", "secrets", "-n", ns], { kubeconfig: account }), /forbidden/i);
  assert.throws(() => kube.kubectl(["create", "configmap", "x", "-n", "gitcert", "--from-literal=a=b"], { kubeconfig: account }), /forbidden/i);
  assert.throws(() => kube.kubectl(["patch", "ingress", "web", "-n", ns, "--type=merge", "-p", '{"metadata":{"labels":{"x":"y"}}}'], { kubeconfig: account }), /forbidden/i);
});
