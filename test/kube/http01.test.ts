// HTTP-01 in the cluster, end to end with real peers: gitcert (`run --once`,
// as the deploy/ service account) makes the challenge Ingress in the
// kube-apiserver, Traefik — a real ingress controller watching that API
// server — routes Pebble's validation request through it to gitcert's
// listener, and the result is a Secret in Git that the sops CLI decrypts
// and kubectl applies, with the Certificate's status Ready. Also: edit in
// place leaves the user's Ingress as it was, a Gateway HTTPRoute comes and
// goes, a SIGKILLed gitcert's leftovers are swept at the next start, a
// `serve` SIGTERMed mid-challenge takes its objects down before it exits,
// and a replica that does not lead answers the CA from the cluster's record.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readdirSync } from "node:fs";
import { createServer, get } from "node:http";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse as parseYaml } from "yaml";
import { Http01Server } from "../../src/acme/http01/index.ts";
import { Cluster, ClusterHttp01, clusterTarget } from "../../src/kube/index.ts";
import { sopsDecrypt, tempDir } from "../helpers.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { listenOnLoopback } from "../peers/loopback.ts";
import { freePorts, startPebble, type Pebble } from "../peers/pebble.ts";
import { peerBinDir } from "../peers/tools.ts";
import { startTraefik, type Traefik } from "../peers/traefik.ts";
import { makeVeth } from "../peers/veth.ts";
import { startServe } from "../daemon/helpers.ts";
import { applyDecrypted, CLI, conditionOf, getJson, gitopsRepo, installCrds, ROOT, waitEstablished, type CertificateView, type GitopsRepo } from "./helpers.ts";
import { watchObjects, type Recorded } from "./watch.ts";

const CLASS = "gitcert-test-traefik";
const NS = { main: uniqueName("http01"), edit: uniqueName("http01-edit"), sweep: uniqueName("http01-sweep"), replicas: uniqueName("http01-replicas"), gateway: uniqueName("http01-gateway"), endpoints: uniqueName("http01-endpoints"), shim: uniqueName("http01-shim"), serve: uniqueName("http01-serve") };

let kube: KubePeer;
let traefik: Traefik;
let pebble: Pebble;
let serviceAccount: string;

before(async () => {
  kube = await useKube();
  installCrds(kube);
  for (const ns of Object.values(NS)) kube.kubectl(["create", "namespace", ns]);
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: ${CLASS}}\nspec: {controller: traefik.io/ingress-controller}\n` });
  // gitcert runs as deploy/'s ServiceAccount: its RBAC is what is tested.
  for (const f of ["namespace.yaml", "serviceaccount.yaml", "rbac.yaml"]) kube.kubectl(["apply", "--server-side", "-f", join(ROOT, "deploy", "controller", f)]);
  serviceAccount = kube.serviceAccountKubeconfig("gitcert", "gitcert", kube.dir);
  // Issuers in these namespaces: their Secrets readable, as the README says (a copy of Role gitcert-issuer-secrets).
  for (const ns of Object.values(NS)) {
    kube.kubectl(["create", "role", "gitcert-issuer-secrets", "-n", ns, "--verb=get", "--resource=secrets"]);
    kube.kubectl(["create", "rolebinding", "gitcert-issuer-secrets", "-n", ns, "--role=gitcert-issuer-secrets", "--serviceaccount=gitcert:gitcert"]);
  }
  // The Gateway API CRDs of the gateway-api module Traefik builds with (scripts/peers.sh), never committed; before Traefik, which watches them.
  const crds = join(peerBinDir(), "gateway-api-crds");
  for (const f of readdirSync(crds).filter((f) => f.endsWith(".yaml"))) kube.kubectl(["apply", "--server-side", "-f", join(crds, f)]);
  waitEstablished(kube, ["httproutes.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io", "gatewayclasses.gateway.networking.k8s.io"]);
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: ${CLASS}}\nspec: {controllerName: traefik.io/gateway-controller}\n` });
  traefik = await startTraefik({ kubeconfig: kube.kubeconfig, namespaces: [NS.main, NS.edit, NS.sweep, NS.replicas, NS.shim, NS.endpoints, NS.gateway, NS.serve], gateway: true });
  // Pebble resolves every name to 127.0.0.1 and validates on Traefik's port: the CA's request goes through the ingress.
  pebble = await startPebble({ httpPort: traefik.port });
});

after(async () => {
  // The opt-in bindings go again: other files share this API server and gitcert's ServiceAccount.
  kube?.kubectl(["delete", "clusterrolebinding", "gitcert-http01-edit-in-place", "gitcert-http01-endpoints", "--ignore-not-found"]);
  await pebble?.stop();
  await traefik?.stop();
  await kube?.release();
});

/** Binds one of deploy/'s opt-in ClusterRoles to gitcert's ServiceAccount. */
const binding = (role: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ${role}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}\nsubjects: [{kind: ServiceAccount, name: gitcert, namespace: gitcert}]\n`;

const issuer = (ns: string, ca: Pebble, http01: string) => `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: acme, namespace: ${ns}}
spec:
  acme:
    server: ${ca.directoryUrl}
    email: ops@example.test
    caBundle: ${Buffer.from(ca.tlsCaPem).toString("base64")}
    privateKeySecretRef: {name: acme-account}
    solvers:
      - http01: ${http01}
`;

const certificate = (ns: string, host: string) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: ${ns}}
spec:
  secretName: web-tls
  dnsNames: [${host}]
  issuerRef: {name: acme}
`;

/** The user's own Ingress, asking the shim for a certificate and for the challenge path to be added to it. */
const userIngress = (ns: string, host: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: ${ns}
  annotations:
    cert-manager.io/issuer: acme
    acme.cert-manager.io/http01-edit-in-place: "true"
spec:
  ingressClassName: ${CLASS}
  tls: [{hosts: [${host}], secretName: web-tls}]
  rules:
    - host: ${host}
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;

interface Options {
  listenerPort: number;
  /** Where the backend ExternalName Service points (default: gitcert's own listener). */
  backendPort?: number;
  selfCheckPort?: number;
  selfCheckNameservers?: string;
  kubeconfig?: string;
  extra?: Record<string, string>;
}

function gitcertEnv(repo: GitopsRepo, o: Options): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    HOME: repo.dir,
    SOPS_AGE_KEY: repo.identity,
    GITCERT_REPO: repo.remote,
    GITCERT_WORKDIR: join(repo.dir, "work"),
    GITCERT_LOG_LEVEL: "info",
    KUBECONFIG: o.kubeconfig ?? serviceAccount,
    GITCERT_LEADER_ELECTION_ENABLED: "false",
    GITCERT_ACME_HTTP01_ADDRESS: "127.0.0.1",
    GITCERT_ACME_HTTP01_PORT: String(o.listenerPort),
    // No kube-proxy here: the ExternalName Service names localhost and gitcert's listener port.
    GITCERT_ACME_HTTP01_EXTERNAL_NAME: "localhost",
    GITCERT_ACME_HTTP01_EXTERNAL_NAME_PORT: String(o.backendPort ?? o.listenerPort),
    GITCERT_ACME_HTTP01_SELF_CHECK_PORT: String(o.selfCheckPort ?? traefik.port),
    GITCERT_ACME_HTTP01_SELF_CHECK_NAMESERVERS: o.selfCheckNameservers ?? pebble.dnsServer,
    GITCERT_ACME_HTTP01_SELF_CHECK_PASSES: "1",
    ...o.extra,
  };
}

interface Exit {
  code: number | null;
  output: string;
  ms: number;
}

/** `gitcert run --once` in a process group of its own; with `killWhen`, SIGKILLed (the whole group) once it holds. */
async function runGitcert(env: Record<string, string>, killWhen?: () => boolean): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, "run", "--once"], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  let done = false;
  const exited = new Promise<Exit>((resolve) => child.once("close", (code) => ((done = true), resolve({ code, output, ms: Date.now() - started }))));
  try {
    if (killWhen) {
      while (!done && !killWhen()) await sleep(20);
      if (!done) process.kill(-child.pid!, "SIGKILL");
    }
    return await exited;
  } finally {
    if (!done) process.kill(-child.pid!, "SIGKILL");
  }
}

interface IngressPathView {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { number: number } } };
}

interface IngressView {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { ingressClassName?: string; rules?: Array<{ host?: string; http?: { paths: IngressPathView[] } }> };
}

const isSolver = (e: Recorded) => e.object.metadata?.labels?.["acme.cert-manager.io/http01-solver"] === "true";

/** The Secret gitcert committed, as Flux applies it: decrypted by the sops CLI, applied by kubectl; its certificate. */
function applySecretFromGit(t: TestContext, repo: GitopsRepo, file: string, ns: string): X509Certificate {
  const path = join(repo.checkout(), file);
  const doc = parseYaml(sopsDecrypt(t, path, repo.identity)) as { data: Record<string, string> };
  applyDecrypted(t, kube, path, repo.identity);
  const applied = getJson<{ data: Record<string, string> }>(kube, ["secret", "web-tls", "-n", ns]);
  assert.equal(applied.data["tls.crt"], doc.data["tls.crt"], "kubectl applied the Secret from Git");
  return new X509Certificate(Buffer.from(doc.data["tls.crt"]!, "base64"));
}

function assertReady(ns: string, cert: X509Certificate): void {
  const view = getJson<CertificateView>(kube, ["certificate", "web", "-n", ns]);
  assert.equal(conditionOf(view, "Ready")?.status, "True", JSON.stringify(view.status));
  assert.equal(new Date(view.status!.notAfter!).getTime(), new Date(cert.validTo).getTime(), "status.notAfter is the issued certificate's");
}

function solverObjectsLeft(ns: string): string {
  return kube.kubectl(["get", "ingresses,services", "-n", ns, "-l", "gitcert.dev/purpose=http01-solver", "-o", "name"]).trim();
}

test("HTTP-01 through Traefik: the CA's request travels through the temporary Ingress gitcert made; the Secret from Git applies and the Certificate is Ready", async (t) => {
  const ns = NS.main;
  const host = `web.${ns}.example.test`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, `{ingress: {ingressClassName: ${CLASS}, serviceType: ClusterIP, ingressTemplate: {metadata: {labels: {team: web}, annotations: {example.test/note: challenge}}}, podTemplate: {spec: {nodeSelector: {zone: a}}}}}`),
    "apps/certificate.yaml": certificate(ns, host),
  });
  kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps")]);
  const ingresses = await watchObjects(kube.kubeconfig, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`);
  const services = await watchObjects(kube.kubeconfig, `/api/v1/namespaces/${ns}/services`);
  t.after(() => (ingresses.stop(), services.stop()));

  const [listenerPort] = (await freePorts(1)) as [number];
  const run = await runGitcert(gitcertEnv(repo, { listenerPort, extra: { GITCERT_LOG_LEVEL: "debug" } }));
  assert.equal(run.code, 0, run.output);
  console.log(`HTTP-01 through Traefik, gitcert run --once end to end: ${run.ms} ms`);

  const added = ingresses.events.filter((e) => e.type === "ADDED" && isSolver(e));
  assert.equal(added.length, 1, "one temporary Ingress for the one challenge");
  const ingress = added[0]!.object as unknown as IngressView;
  assert.match(ingress.metadata.name, /^cm-acme-http-solver-[0-9a-f]{10}$/);
  assert.equal(ingress.spec.ingressClassName, CLASS);
  const rule = ingress.spec.rules![0]!;
  assert.equal(rule.host, host);
  const path = rule.http!.paths[0]!;
  assert.match(path.path, /^\/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+$/);
  assert.equal(path.pathType, "Exact");
  assert.equal(ingress.metadata.labels?.team, "web", "ingressTemplate labels");
  assert.equal(ingress.metadata.annotations?.["example.test/note"], "challenge", "ingressTemplate annotations");
  assert.equal(ingress.metadata.labels?.["gitcert.dev/purpose"], "http01-solver");
  assert.equal(ingress.metadata.labels?.["app.kubernetes.io/managed-by"], "gitcert");
  const token = path.path.split("/").pop()!;

  // The backend: an ExternalName Service in the Certificate's namespace, holding the challenge's record.
  const backend = services.events.find((e) => e.type === "ADDED" && e.object.metadata?.name === path.backend.service.name)?.object as
    | { spec: { type: string; externalName: string; ports: Array<{ port: number }> }; metadata: { annotations: Record<string, string> } }
    | undefined;
  assert.ok(backend, "the backend Service was made");
  assert.equal(backend.spec.type, "ExternalName");
  assert.equal(backend.spec.externalName, "localhost");
  assert.equal(path.backend.service.port.number, listenerPort);
  assert.equal(backend.metadata.annotations["gitcert.dev/http01-token"], token);
  assert.equal(backend.metadata.annotations["gitcert.dev/certificate"], `${ns}/web`);

  // The CA's request (not gitcert's own self-check) went through the router Traefik made from that Ingress.
  const viaIngress = traefik.accessLog().filter((e) => e.RequestPath === path.path && e.RouterName?.includes(ingress.metadata.name));
  const fromCA = viaIngress.filter((e) => /Pebble-VA/.test(e["request_User-Agent"] ?? ""));
  assert.ok(fromCA.length >= 1, `Pebble's request went through the Ingress: ${JSON.stringify(viaIngress)}`);
  assert.ok(fromCA.every((e) => e.DownstreamStatus === 200 && e.ServiceURL === `http://localhost:${listenerPort}`), JSON.stringify(fromCA));
  assert.ok(viaIngress.some((e) => e["request_User-Agent"] === "gitcert-http01-self-check"), "the self-check went the same way");

  // Gone afterwards, both.
  const deleted = ingresses.events.find((e) => e.type === "DELETED" && e.object.metadata?.name === ingress.metadata.name);
  assert.ok(deleted);
  console.log(`the temporary Ingress existed for ${deleted.at - added[0]!.at} ms (made, routed by Traefik, self-checked, validated by Pebble, deleted)`);
  assert.equal(solverObjectsLeft(ns), "");
  assert.match(run.output, /ingress\.podTemplate is ignored: gitcert runs no solver pod/, "podTemplate: a debug note");

  const cert = applySecretFromGit(t, repo, "apps/web-tls.sops.yaml", ns);
  assert.deepEqual(cert.subjectAltName, `DNS:${host}`);
  assertReady(ns, cert);
});

test("an Ingress's acme.cert-manager.io/http01-ingress-class overrides the solver's class: the temporary Ingress carries the legacy class annotation, and Traefik routes it", async (t) => {
  const ns = NS.shim;
  const host = `blog.${ns}.example.test`;
  // The solver names a class no controller serves: only the override gets the CA's request through.
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, "{ingress: {ingressClassName: nobody-serves-this}}"),
    "apps/ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: blog
  namespace: ${ns}
  annotations: {cert-manager.io/issuer: acme, acme.cert-manager.io/http01-ingress-class: traefik}
spec:
  ingressClassName: ${CLASS}
  tls: [{hosts: [${host}], secretName: blog-tls}]
  rules: [{host: ${host}, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: blog, port: {number: 80}}}}]}}]
`,
  });
  kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps")]);
  const ingresses = await watchObjects(kube.kubeconfig, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`);
  t.after(() => ingresses.stop());
  const [listenerPort] = (await freePorts(1)) as [number];
  const run = await runGitcert(gitcertEnv(repo, { listenerPort }));
  assert.equal(run.code, 0, run.output);
  const ingress = ingresses.events.find((e) => e.type === "ADDED" && isSolver(e))?.object as unknown as IngressView;
  assert.ok(ingress);
  assert.equal(ingress.spec.ingressClassName, undefined);
  assert.equal(ingress.metadata.annotations?.["kubernetes.io/ingress.class"], "traefik");
  assert.ok(traefik.accessLog().some((e) => e.RouterName?.includes(ingress.metadata.name) && /Pebble-VA/.test(e["request_User-Agent"] ?? "") && e.DownstreamStatus === 200));
  assert.equal(solverObjectsLeft(ns), "");
});

test("edit in place: the challenge path is added to the user's Ingress, the CA comes through it, and the Ingress ends exactly as it was", async (t) => {
  const ns = NS.edit;
  const host = `shop.${ns}.example.test`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, "{ingress: {class: nginx}}"),
    "apps/ingress.yaml": userIngress(ns, host),
  });
  kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps")]);
  const before = getJson<IngressView & { metadata: { resourceVersion: string } }>(kube, ["ingress", "web", "-n", ns]);
  const ingresses = await watchObjects(kube.kubeconfig, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`);
  t.after(() => ingresses.stop());

  const [listenerPort] = (await freePorts(1)) as [number];
  // Editing a user's Ingress is opt-in RBAC: without the binding, the failure names the ClusterRole, and nothing is left behind.
  const refused = await runGitcert(gitcertEnv(repo, { listenerPort }));
  assert.equal(refused.code, 1, refused.output);
  assert.match(refused.output, /needs ClusterRole gitcert-http01-edit-in-place bound to gitcert's service account/);
  assert.deepEqual(getJson<IngressView>(kube, ["ingress", "web", "-n", ns]).spec, before.spec);
  assert.equal(solverObjectsLeft(ns), "");
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: binding("gitcert-http01-edit-in-place") });

  const run = await runGitcert(gitcertEnv(repo, { listenerPort }));
  assert.equal(run.code, 0, run.output);

  assert.equal(ingresses.events.filter((e) => e.type === "ADDED" && isSolver(e)).length, 0, "no temporary Ingress: the user's is edited");
  const edited = ingresses.events.map((e) => e.object as unknown as IngressView).find((i) => i.metadata.name === "web" && i.spec.rules![0]!.http!.paths.length === 2);
  assert.ok(edited, "the user's Ingress had the challenge path while the challenge was open");
  const [challenge, own] = edited.spec.rules![0]!.http!.paths as [IngressPathView, IngressPathView];
  assert.match(challenge.path, /^\/\.well-known\/acme-challenge\//);
  assert.equal(challenge.pathType, "Exact");
  assert.match(challenge.backend.service.name, /^cm-acme-http-solver-/);
  assert.deepEqual(own, before.spec.rules![0]!.http!.paths[0]);
  assert.ok(traefik.accessLog().some((e) => e.RequestPath === challenge.path && e.DownstreamStatus === 200 && /Pebble-VA/.test(e["request_User-Agent"] ?? "")), "the CA came through the edited Ingress");

  const now = getJson<IngressView & { metadata: { annotations: Record<string, string>; labels?: Record<string, string> } }>(kube, ["ingress", "web", "-n", ns]);
  assert.deepEqual(now.spec, before.spec, "the user's Ingress spec is as it was");
  assert.deepEqual(now.metadata.annotations, before.metadata.annotations);
  assert.deepEqual(now.metadata.labels, before.metadata.labels);
  assert.equal(solverObjectsLeft(ns), "");

  const cert = applySecretFromGit(t, repo, "apps/web-tls.sops.yaml", ns);
  assert.equal(cert.subjectAltName, `DNS:${host}`);
});

test("Gateway API: an HTTPRoute for the solver's parentRefs, with its labels, routes the CA's request through Traefik's Gateway to gitcert, and is deleted afterwards", async (t) => {
  const ns = NS.gateway;
  // Traefik's Gateway provider refuses ExternalName backends: the endpoints backend, to a veth address where gitcert listens.
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: binding("gitcert-http01-endpoints") });
  const { address } = makeVeth(t);
  kube.kubectl(["apply", "--server-side", "-f", "-"], {
    input: `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: ${ns}}\nspec:\n  gatewayClassName: ${CLASS}\n  listeners: [{name: web, port: ${traefik.port}, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}]\n`,
  });
  const [listenerPort] = (await freePorts(1)) as [number];
  const host = `api.${ns}.example.test`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, `{gatewayHTTPRoute: {parentRefs: [{name: edge, namespace: ${ns}, kind: Gateway}], labels: {gateway: edge}}}`),
    "apps/certificate.yaml": certificate(ns, host),
  });
  const routes = await watchObjects(kube.kubeconfig, `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`);
  t.after(() => routes.stop());

  const run = await runGitcert(gitcertEnv(repo, { listenerPort, extra: { GITCERT_ACME_HTTP01_BACKEND: "endpoints", GITCERT_ACME_HTTP01_ADDRESS: address, POD_IP: address } }));
  assert.equal(run.code, 0, run.output);
  const added = routes.events.filter((e) => e.type === "ADDED");
  assert.equal(added.length, 1, run.output);
  const route = added[0]!.object as unknown as {
    metadata: { name: string; labels: Record<string, string> };
    spec: { parentRefs: unknown[]; hostnames: string[]; rules: Array<{ matches: Array<{ path: { type: string; value: string } }>; backendRefs: Array<{ kind: string; name: string; port: number }> }> };
  };
  assert.match(route.metadata.name, /^cm-acme-http-solver-/);
  assert.equal(route.metadata.labels.gateway, "edge");
  assert.equal(route.metadata.labels["gitcert.dev/purpose"], "http01-solver");
  assert.deepEqual(route.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge", namespace: ns }]);
  assert.deepEqual(route.spec.hostnames, [host]);
  assert.equal(route.spec.rules[0]!.matches[0]!.path.type, "Exact");
  const path = route.spec.rules[0]!.matches[0]!.path.value;
  assert.match(path, /^\/\.well-known\/acme-challenge\//);
  assert.equal(route.spec.rules[0]!.backendRefs[0]!.kind, "Service");
  assert.match(route.spec.rules[0]!.backendRefs[0]!.name, /^cm-acme-http-solver-/);
  // Pebble's request came through the router Traefik's Gateway provider made from that HTTPRoute.
  const viaRoute = traefik.accessLog().filter((e) => e.RequestPath === path && e.RouterName?.includes("httproute") && /Pebble-VA/.test(e["request_User-Agent"] ?? ""));
  assert.ok(viaRoute.length >= 1 && viaRoute.every((e) => e.DownstreamStatus === 200 && e.ServiceURL === `http://${address}:${listenerPort}`), JSON.stringify(traefik.accessLog().filter((e) => e.RequestPath === path)));
  assert.ok(routes.events.some((e) => e.type === "DELETED" && e.object.metadata?.name === route.metadata.name));
  assert.equal(kube.kubectl(["get", "httproutes,services,endpointslices", "-n", ns, "-l", "gitcert.dev/purpose=http01-solver", "-o", "name"]).trim(), "");
  applySecretFromGit(t, repo, "apps/web-tls.sops.yaml", ns);
});

test("the endpoints backend: a Service without selector and an EndpointSlice naming this pod's IP; Traefik follows it to gitcert's listener; without POD_IP, a configuration error", async (t) => {
  const ns = NS.endpoints;
  // The opt-in ClusterRole, bound as the README says.
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: binding("gitcert-http01-endpoints") });
  // The "pod IP": an address of a veth this test makes (an EndpointSlice may not name loopback), where gitcert listens.
  const { address } = makeVeth(t);
  const [listenerPort] = (await freePorts(1)) as [number];
  const host = `pods.${ns}.example.test`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, `{ingress: {ingressClassName: ${CLASS}, serviceType: ClusterIP}}`),
    "apps/certificate.yaml": certificate(ns, host),
  });
  const services = await watchObjects(kube.kubeconfig, `/api/v1/namespaces/${ns}/services`);
  const slices = await watchObjects(kube.kubeconfig, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`);
  t.after(() => (services.stop(), slices.stop()));
  const endpoints = { GITCERT_ACME_HTTP01_BACKEND: "endpoints", GITCERT_ACME_HTTP01_ADDRESS: address };

  const unset = await runGitcert(gitcertEnv(repo, { listenerPort, extra: endpoints }));
  assert.equal(unset.code, 1);
  assert.match(unset.output, /acme\.http01\.backend endpoints routes to this pod's IP, but POD_IP is not set/);

  const run = await runGitcert(gitcertEnv(repo, { listenerPort, extra: { ...endpoints, POD_IP: address } }));
  assert.equal(run.code, 0, run.output);
  const service = services.events.find((e) => e.type === "ADDED")?.object as unknown as { metadata: { name: string }; spec: { type: string; selector?: unknown; ports: Array<{ name: string; port: number }> } };
  assert.ok(service, run.output);
  assert.match(service.metadata.name, /^cm-acme-http-solver-/);
  assert.equal(service.spec.type, "ClusterIP", "the solver's serviceType");
  assert.equal(service.spec.selector, undefined);
  assert.deepEqual(service.spec.ports.map((p) => [p.name, p.port]), [["http", listenerPort]]);
  const slice = slices.events.find((e) => e.type === "ADDED")?.object as unknown as { metadata: { labels: Record<string, string> }; addressType: string; endpoints: Array<{ addresses: string[] }>; ports: Array<{ name: string; port: number }> };
  assert.ok(slice);
  assert.equal(slice.metadata.labels["kubernetes.io/service-name"], service.metadata.name);
  assert.equal(slice.addressType, "IPv4");
  assert.deepEqual(slice.endpoints.map((e) => e.addresses), [[address]]);
  assert.deepEqual(slice.ports.map((p) => [p.name, p.port]), [["http", listenerPort]]);
  // Pebble's request went through Traefik to the address the EndpointSlice names.
  assert.ok(traefik.accessLog().some((e) => e.RequestHost === host && e.ServiceURL === `http://${address}:${listenerPort}` && /Pebble-VA/.test(e["request_User-Agent"] ?? "") && e.DownstreamStatus === 200));
  assert.ok(slices.events.some((e) => e.type === "DELETED") && services.events.some((e) => e.type === "DELETED"));
  assert.equal(kube.kubectl(["get", "endpointslices,services,ingresses", "-n", ns, "-l", "gitcert.dev/purpose=http01-solver", "-o", "name"]).trim(), "");
  applySecretFromGit(t, repo, "apps/web-tls.sops.yaml", ns);
});

test("orphan sweep: gitcert SIGKILLed mid-challenge leaves its Ingress and an edited path behind; the next start removes both before it solves anything", async (t) => {
  const ns = NS.sweep;
  const host = `www.${ns}.example.test`;
  const edited = `shop.${ns}.example.test`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, `{ingress: {ingressClassName: ${CLASS}}}`),
    "apps/certificate.yaml": certificate(ns, host),
    "apps/ingress.yaml": userIngress(ns, edited).replace("secretName: web-tls", "secretName: shop-tls"),
  });
  kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps")]);
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: binding("gitcert-http01-edit-in-place") });
  const userBefore = getJson<IngressView>(kube, ["ingress", "web", "-n", ns]).spec;
  const ingresses = await watchObjects(kube.kubeconfig, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`);
  t.after(() => ingresses.stop());
  const [listenerPort, closedPort] = (await freePorts(2)) as [number, number];

  // The self-check asks a port where nothing answers, so gitcert waits there with both challenges presented.
  const presented = () => {
    const solver = ingresses.events.some((e) => e.type === "ADDED" && isSolver(e));
    const path = ingresses.events.some((e) => e.object.metadata?.name === "web" && ((e.object as unknown as IngressView).spec.rules?.[0]?.http?.paths.length ?? 0) === 2);
    return solver && path;
  };
  const killed = await runGitcert(gitcertEnv(repo, { listenerPort, selfCheckPort: closedPort, extra: { GITCERT_CONCURRENCY: "2" } }), presented);
  assert.equal(killed.code, null, `killed mid-challenge:\n${killed.output}`);
  assert.notEqual(solverObjectsLeft(ns), "", "the killed run left its objects");
  assert.notDeepEqual(getJson<IngressView>(kube, ["ingress", "web", "-n", ns]).spec, userBefore, "and the path in the user's Ingress");

  const seen = ingresses.events.length;
  const next = await runGitcert(gitcertEnv(repo, { listenerPort }));
  assert.equal(next.code, 0, next.output);
  const swept = /"removed":(\[[^\]]*\])/.exec(next.output);
  assert.ok(swept, next.output);
  const removed = JSON.parse(swept[1]!) as string[];
  assert.ok(removed.some((r) => /^Ingress .*\/cm-acme-http-solver-/.test(r)), removed.join("; "));
  assert.ok(removed.includes(`challenge path in Ingress ${ns}/web`), removed.join("; "));
  // At the next start the leftover was deleted before any challenge object was made again.
  const after = ingresses.events.slice(seen);
  const firstDelete = after.findIndex((e) => e.type === "DELETED" && isSolver(e));
  const firstAdd = after.findIndex((e) => e.type === "ADDED" && isSolver(e));
  assert.ok(firstDelete !== -1 && (firstAdd === -1 || firstDelete < firstAdd), JSON.stringify(after.map((e) => `${e.type} ${e.object.metadata?.name}`)));
  assert.equal(solverObjectsLeft(ns), "");
  assert.deepEqual(getJson<IngressView>(kube, ["ingress", "web", "-n", ns]).spec, userBefore, "the user's Ingress is as it was");
});

test("two replicas: the CA's request reaches the replica that is not leading, which answers from the challenge's record in the cluster", async (t) => {
  const ns = NS.replicas;
  const host = `app.${ns}.example.test`;
  const instance = uniqueName("replicas");
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, `{ingress: {ingressClassName: ${CLASS}}}`),
    "apps/certificate.yaml": certificate(ns, host),
  });
  kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps")]);

  // Replica B: not leading, a listener with the cluster lookup mounted on an HTTP server of its own (serve's own replicas: test/daemon/serve-cluster.test.ts).
  const target = clusterTarget({ kubeconfig: serviceAccount, context: "" }, {})!;
  const replicaB = new ClusterHttp01(new Cluster(target), instance, { backend: "externalName", externalName: "localhost", externalNamePort: 80, listenerPort: 0 });
  const listenerB = new Http01Server({ port: 0, mounted: true, lookup: (token, h) => replicaB.keyAuthorization(token, h) });
  const answeredByB: number[] = [];
  const serverB = createServer((req, res) => {
    res.on("finish", () => answeredByB.push(res.statusCode));
    if (!listenerB.handle(req, res)) res.writeHead(404).end();
  });
  const b = await listenOnLoopback(serverB);
  t.after(() => b.close());

  // Replica A leads (a Lease in this namespace) and routes the challenge to B's port, as a Service in front of both may.
  const [listenerA] = (await freePorts(1)) as [number];
  const run = await runGitcert(
    gitcertEnv(repo, {
      listenerPort: listenerA,
      backendPort: b.port,
      kubeconfig: kube.kubeconfig,
      extra: { GITCERT_INSTANCE: instance, GITCERT_LEADER_ELECTION_ENABLED: "true", GITCERT_LEADER_ELECTION_NAMESPACE: ns, POD_NAME: "replica-a" },
    }),
  );
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /leading: this replica reconciles/);
  const toB = traefik.accessLog().filter((e) => e.RequestHost === host && e.ServiceURL === `http://localhost:${b.port}`);
  assert.ok(toB.some((e) => /Pebble-VA/.test(e["request_User-Agent"] ?? "") && e.DownstreamStatus === 200), JSON.stringify(toB));
  assert.ok(answeredByB.includes(200), "replica B answered with the key authorization");
  assert.ok(getJson<{ spec: { holderIdentity?: string } }>(kube, ["lease", "gitcert", "-n", ns]).spec.holderIdentity !== undefined);

  // Once the challenge is over, B has nothing to answer: the record went with the backend Service.
  const token = /acme-challenge\/([A-Za-z0-9_-]+)/.exec(toB[0]!.RequestPath!)![1]!;
  await sleep(1100); // past B's short memory of misses
  const status = await new Promise<number>((resolve, reject) => {
    get(`http://127.0.0.1:${b.port}/.well-known/acme-challenge/${token}`, { headers: { host } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on("error", reject);
  });
  assert.equal(status, 404);
  applySecretFromGit(t, repo, "apps/web-tls.sops.yaml", ns);
});

test("a flood of made-up challenge tokens costs the API server at most a few list calls a second", async () => {
  // The real API server, with the calls gitcert makes counted on their way to it.
  class CountingCluster extends Cluster {
    lists = 0;
    override call<T>(what: string, request: () => Promise<T>): Promise<T> {
      if (what.startsWith("list Services")) this.lists++;
      return super.call(what, request);
    }
  }
  const cluster = new CountingCluster(clusterTarget({ kubeconfig: serviceAccount, context: "" }, {})!);
  const replica = new ClusterHttp01(cluster, uniqueName("flood"), { backend: "externalName", externalName: "localhost", externalNamePort: 80, listenerPort: 0 });
  const madeUp = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  await sleep(1000 - (Date.now() % 1000)); // the flood starts at the top of a second, so it falls in one
  const answers = await Promise.all(Array.from({ length: 200 }, () => replica.keyAuthorization(madeUp(), "app.example.test")));
  assert.ok(answers.every((a) => a === undefined), "no made-up token has a key authorization");
  assert.ok(cluster.lists <= 10, `${cluster.lists} list calls for 200 made-up tokens`);
  // A second later, a token is looked up in the cluster again.
  const before = cluster.lists;
  await sleep(1100);
  assert.equal(await replica.keyAuthorization(madeUp(), "app.example.test"), undefined);
  assert.equal(cluster.lists, before + 1);
});

test("serve SIGTERMed while an HTTP-01 challenge is open: the challenge's Ingress and Service are gone when it exits, and the next start issues through Traefik", async (t) => {
  const ns = NS.serve;
  const host = `www.${ns}.example.test`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer(ns, pebble, `{ingress: {ingressClassName: ${CLASS}}}`),
    "apps/certificate.yaml": certificate(ns, host),
  });
  kube.kubectl(["apply", "--server-side", "-f", join(repo.checkout(), "apps")]);
  const ingresses = await watchObjects(kube.kubeconfig, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`);
  t.after(() => ingresses.stop());
  const [listenerPort, closedPort] = (await freePorts(2)) as [number, number];
  const serveEnv = (o: Options) => ({
    ...gitcertEnv(repo, o),
    GITCERT_SERVE_ADDRESS: "127.0.0.1",
    GITCERT_SERVE_PORT: "0",
    GITCERT_SERVE_METRICS_ADDRESS: "127.0.0.1",
    GITCERT_SERVE_METRICS_PORT: "0",
    GITCERT_SERVE_SCHEDULE: "0 0 1 1 *",
    GITCERT_SERVE_GRACE_PERIOD_SECONDS: "1",
  });

  // The self-check asks a port where nothing answers: the challenge stays open until the shutdown abandons it.
  const first = startServe(t, serveEnv({ listenerPort, selfCheckPort: closedPort }));
  for (let i = 0; !ingresses.events.some((e) => e.type === "ADDED" && isSolver(e)); i++) {
    if (i > 3000) assert.fail(`no challenge Ingress in 60 s:\n${first.lines.map((l) => JSON.stringify(l)).join("\n")}`);
    await sleep(20);
  }
  assert.notEqual(solverObjectsLeft(ns), "", "the challenge is open");
  first.kill("SIGTERM");
  assert.equal(await first.exited, 0);
  assert.ok(first.lines.some((l) => l.msg === "gitcert serve stopped" && l.abandoned === true), "the reconcile was abandoned after the grace period");
  assert.equal(solverObjectsLeft(ns), "", "nothing left behind for a sweep");
  assert.ok(ingresses.events.some((e) => e.type === "DELETED" && isSolver(e)));
  assert.equal(readdirSync(join(repo.checkout(), "apps")).includes("web-tls.sops.yaml"), false, "the abandoned run committed nothing");

  // The next start completes the work: Pebble's request through Traefik and the Ingress this serve makes.
  const second = startServe(t, serveEnv({ listenerPort }));
  const settled = await second.waitFor((l) => l.msg === "reconcile finished" || l.msg === "reconcile failed");
  assert.equal(settled.msg, "reconcile finished", JSON.stringify(second.lines.slice(-10)));
  assert.ok(second.lines.some((l) => l.certificate === `${ns}/web` && l.outcome === "issued"), JSON.stringify(second.lines.slice(-10)));
  second.kill("SIGTERM");
  assert.equal(await second.exited, 0);
  assertReady(ns, applySecretFromGit(t, repo, "apps/web-tls.sops.yaml", ns));
  assert.equal(solverObjectsLeft(ns), "");
});
