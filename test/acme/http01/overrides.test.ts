// cert-manager's per-Certificate HTTP-01 overrides (acmeorders/util.go
// applyIngressParameterAnnotationOverrides) and the ingress-shim annotations
// that produce them (certificate-shim/sync.go setIssuerSpecificConfig).
import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateSync } from "node:zlib";
import { HTTP01_OVERRIDE, routeWanted, solverLabels, withOverrides, type Http01SolverSpec } from "../../../src/acme/http01/index.ts";
import { adler32 } from "../../../src/acme/http01/routes/challenge-objects.ts";
import { certificatesFromGateway } from "../../../src/manifests/shim/gateway.ts";
import { certificatesFromIngress } from "../../../src/manifests/shim/ingress.ts";

const cases: Array<{ name: string; solver: Http01SolverSpec; annotations: Record<string, string>; want: Http01SolverSpec }> = [
  { name: "no annotation: the solver as written", solver: { ingress: { class: "nginx" } }, annotations: {}, want: { ingress: { class: "nginx" } } },
  { name: "edit in place names the Ingress and drops the class", solver: { ingress: { class: "nginx", serviceType: "ClusterIP" } }, annotations: { [HTTP01_OVERRIDE.ingressName]: "web" }, want: { ingress: { serviceType: "ClusterIP", name: "web" } } },
  { name: "ingress-class replaces ingressClassName", solver: { ingress: { ingressClassName: "nginx" } }, annotations: { [HTTP01_OVERRIDE.ingressClass]: "traefik" }, want: { ingress: { class: "traefik" } } },
  { name: "ingressclassname replaces a named Ingress", solver: { ingress: { name: "old" } }, annotations: { [HTTP01_OVERRIDE.ingressClassName]: "haproxy" }, want: { ingress: { ingressClassName: "haproxy" } } },
  { name: "a gateway solver is not touched by ingress overrides", solver: { gatewayHTTPRoute: { parentRefs: [{ name: "gw" }] } }, annotations: { [HTTP01_OVERRIDE.ingressClass]: "traefik" }, want: { gatewayHTTPRoute: { parentRefs: [{ name: "gw" }] } } },
];

for (const c of cases) {
  test(`HTTP-01 overrides: ${c.name}`, () => {
    assert.deepEqual(withOverrides(c.solver, c.annotations), c.want);
  });
}

test("HTTP-01 overrides: two at once are a configuration error naming both", () => {
  assert.throws(
    () => withOverrides({ ingress: {} }, { [HTTP01_OVERRIDE.ingressName]: "web", [HTTP01_OVERRIDE.ingressClass]: "nginx" }),
    (err: Error & { code?: string }) => err.code === "BadConfig" && err.message.includes(HTTP01_OVERRIDE.ingressName) && err.message.includes(HTTP01_OVERRIDE.ingressClass),
  );
});

const edge = { name: "edge", namespace: "infra", kind: "Gateway" };
const parentRefCases: Array<{ name: string; parentRefs?: Array<Record<string, unknown>>; annotations: Record<string, string>; want: Array<Record<string, unknown>> }> = [
  { name: "none: the solver's", parentRefs: [edge], annotations: {}, want: [edge] },
  {
    name: "name and kind: added, in the Certificate's namespace",
    parentRefs: [edge],
    annotations: { [HTTP01_OVERRIDE.parentRefName]: "shop-gw", [HTTP01_OVERRIDE.parentRefKind]: "Gateway" },
    want: [edge, { name: "shop-gw", namespace: "shop", kind: "Gateway" }],
  },
  {
    name: "the solver's parentRef to the same Gateway gives way",
    parentRefs: [{ name: "edge", namespace: "infra", sectionName: "http" }],
    annotations: { [HTTP01_OVERRIDE.parentRefName]: "edge", [HTTP01_OVERRIDE.parentRefKind]: "Gateway", [HTTP01_OVERRIDE.parentRefNamespace]: "infra" },
    want: [edge],
  },
  { name: "no parentRefs in the solver: the annotation's alone", annotations: { [HTTP01_OVERRIDE.parentRefName]: "gw", [HTTP01_OVERRIDE.parentRefKind]: "Gateway" }, want: [{ name: "gw", namespace: "shop", kind: "Gateway" }] },
];

for (const c of parentRefCases) {
  test(`HTTP-01 parentRef overrides: ${c.name}`, () => {
    assert.deepEqual(withOverrides({ gatewayHTTPRoute: { parentRefs: c.parentRefs } }, c.annotations, "shop").gatewayHTTPRoute?.parentRefs, c.want);
  });
}

test("HTTP-01 parentRef overrides: a name without a kind, or no parentRefs at all, is a configuration error", () => {
  assert.throws(() => withOverrides({ gatewayHTTPRoute: { parentRefs: [edge] } }, { [HTTP01_OVERRIDE.parentRefName]: "gw" }, "shop"), /go together/);
  assert.throws(() => withOverrides({ gatewayHTTPRoute: {} }, {}, "shop"), /needs parentRefs/);
});

test("the gateway-shim names the Gateway as the HTTPRoute's parent", () => {
  const doc = {
    source: { file: "apps/gw.yaml", line: 1 },
    object: {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "shop-gw", annotations: { "cert-manager.io/issuer": "acme" } },
      spec: { gatewayClassName: "x", listeners: [{ name: "https", hostname: "shop.example.com", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "shop-tls" }] } }] },
    },
  };
  const { certificates } = certificatesFromGateway(doc, "shop");
  assert.deepEqual(certificates[0]!.annotations, { [HTTP01_OVERRIDE.parentRefKind]: "Gateway", [HTTP01_OVERRIDE.parentRefName]: "shop-gw" });
});

test("what a solver asks the cluster for, in words", () => {
  assert.equal(routeWanted({}, "shop"), undefined);
  assert.equal(routeWanted({ ingress: {} }, "shop"), "a temporary challenge Ingress in shop");
  assert.equal(routeWanted({ ingress: { ingressClassName: "nginx" } }, "shop"), "a temporary challenge Ingress of class nginx in shop");
  assert.equal(routeWanted({ ingress: { name: "web" } }, "shop"), "the challenge path added to Ingress shop/web (edit in place)");
  assert.equal(routeWanted({ gatewayHTTPRoute: {} }, "shop"), "a temporary HTTPRoute in shop");
});

test("the shim turns an Ingress's HTTP-01 annotations into the Certificate's override annotations", () => {
  const doc = {
    source: { file: "apps/web.yaml", line: 1 },
    object: {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "web",
        annotations: {
          "cert-manager.io/issuer": "acme",
          "acme.cert-manager.io/http01-edit-in-place": "true",
          "acme.cert-manager.io/http01-ingress-class": "traefik",
        },
      },
      spec: { tls: [{ hosts: ["web.example.com"], secretName: "web-tls" }] },
    },
  };
  const { certificates } = certificatesFromIngress(doc, "shop");
  assert.deepEqual(certificates[0]!.annotations, {
    "acme.cert-manager.io/http01-override-ingress-name": "web",
    "acme.cert-manager.io/http01-override-ingress-class": "traefik",
  });
});

test("solver labels are cert-manager's: adler32 of domain and token, in decimal (checked against zlib's own adler32)", () => {
  for (const text of ["example.com", "www.example.com", "tok-0123456789abcdef0123456789", ""]) {
    const deflated = deflateSync(Buffer.from(text));
    assert.equal(adler32(text), deflated.readUInt32BE(deflated.length - 4), text);
  }
  assert.deepEqual(solverLabels("example.com", "tok"), {
    "acme.cert-manager.io/http-domain": String(adler32("example.com")),
    "acme.cert-manager.io/http-token": String(adler32("tok")),
    "acme.cert-manager.io/http01-solver": "true",
  });
});
