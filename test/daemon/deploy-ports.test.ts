// deploy/controller's Deployment against what `gitcert serve` listens on with
// the configuration it is given there: every probe reaches a listener that
// serves /healthz and /readyz, and the Services' ports name container ports
// that serve what the Service is for. A probe on the webhook port would get
// 404 and the kubelet would restart the pod forever.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config.ts";
import { endpointsOf } from "../../src/daemon/serve.ts";
import type { Route } from "../../src/server/index.ts";

const CONTROLLER = join(import.meta.dirname, "..", "..", "deploy", "controller");

interface ContainerPort {
  name: string;
  containerPort: number;
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  ports: ContainerPort[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

interface Deployment {
  spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Container[] } } };
}
interface Service {
  metadata: { name: string };
  spec: { ports: Array<{ name: string; targetPort: string }> };
}

function documents<T>(file: string): T[] {
  return parseAllDocuments(readFileSync(join(CONTROLLER, file), "utf8")).map((d) => d.toJS() as T);
}

const [deployment] = documents<Deployment>("deployment.yaml");
const container = deployment!.spec.template.spec.containers.find((c) => c.name === "gitcert")!;
// The configuration the Deployment runs with: the ConfigMap's file over the defaults.
const { config, errors } = loadConfig({ file: join(CONTROLLER, "config.yaml") });
const endpoints = endpointsOf(config);

function portOf(ref: string | number): number {
  if (typeof ref === "number") return ref;
  const port = container.ports.find((p) => p.name === ref);
  assert.ok(port, `port ${ref} is one of the container's ports`);
  return port.containerPort;
}

function routesOn(port: number): ReadonlySet<Route> {
  return endpoints.find((e) => e.port === port)?.routes ?? new Set();
}

test("deploy/controller's config loads as serve loads it", () => {
  assert.deepEqual(errors, []);
});

test("every probe of the Deployment reaches the listener that serves /healthz and /readyz", () => {
  const probes = (["livenessProbe", "readinessProbe", "startupProbe"] as const).flatMap((kind) => (container[kind] ? [[kind, container[kind]!] as const] : []));
  assert.deepEqual(probes.map(([kind, p]) => [kind, p.httpGet.path]), [["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]);
  for (const [kind, probe] of probes) {
    const port = portOf(probe.httpGet.port);
    assert.ok(routesOn(port).has("health"), `${kind} on ${port}: serve answers /healthz and /readyz on ${endpoints.filter((e) => e.routes.has("health")).map((e) => e.port).join(", ")}`);
  }
});

test("the container's ports are serve's listeners: webhooks and the API, metrics, HTTP-01", () => {
  assert.ok(routesOn(portOf("http")).has("webhook"), "http: webhooks");
  assert.ok(routesOn(portOf("metrics")).has("metrics"), "metrics: /metrics");
  assert.equal(portOf("http01"), config["acme.http01.port"], "http01: where the HTTP-01 responder listens");
  const annotations = deployment!.spec.template.metadata.annotations ?? {};
  assert.equal(Number(annotations["prometheus.io/port"]), config["serve.metricsPort"]);
});

test("the Services point at the container ports that serve what they are for", () => {
  const services = new Map(documents<Service>("service.yaml").map((s) => [s.metadata.name, s.spec.ports]));
  assert.deepEqual(services.get("gitcert-http01")?.map((p) => portOf(p.targetPort)), [config["acme.http01.port"]]);
  const main = services.get("gitcert")!;
  assert.ok(routesOn(portOf(main.find((p) => p.name === "http")!.targetPort)).has("webhook"));
  assert.ok(routesOn(portOf(main.find((p) => p.name === "metrics")!.targetPort)).has("metrics"));
});
