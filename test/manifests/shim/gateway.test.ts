import { test } from "node:test";
import assert from "node:assert/strict";
import { certificatesFromGateway } from "../../../src/manifests/shim/index.ts";
import type { ShimOptions } from "../../../src/manifests/shim/index.ts";
import type { CertificateSpec, ManifestDocument } from "../../../src/manifests/types.ts";

const source = { file: "infra/gateway.yaml", line: 12 };

function gateway(annotations: Record<string, unknown>, listeners: unknown[], labels?: Record<string, string>): ManifestDocument {
  return {
    source,
    object: {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "edge", annotations, ...(labels ? { labels } : {}) },
      spec: { gatewayClassName: "envoy", listeners },
    },
  };
}

const le = { "cert-manager.io/cluster-issuer": "letsencrypt" };
const leRef = { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" };

function https(name: string, hostname: string | undefined, refs: unknown[], extra: Record<string, unknown> = {}) {
  return { name, port: 443, protocol: "HTTPS", ...(hostname === undefined ? {} : { hostname }), tls: { certificateRefs: refs, ...extra }, };
}
const secret = (name: string, more: Record<string, unknown> = {}) => ({ name, ...more });

interface Case {
  name: string;
  doc: ManifestDocument;
  options?: ShimOptions;
  certificates?: Array<{ name: string; spec: Partial<CertificateSpec> }>;
  errors?: string[];
  warnings?: string[];
  debug?: string[];
}

const cases: Case[] = [
  { name: "no trigger: nothing", doc: gateway({}, [https("a", "a.example.com", [secret("a-tls")])]), certificates: [] },
  {
    name: "tls-acme does not trigger on a Gateway",
    doc: gateway({ "kubernetes.io/tls-acme": "true" }, [https("a", "a.example.com", [secret("a-tls")])]),
    options: { defaultIssuer: leRef },
    certificates: [],
  },
  {
    name: "one HTTPS listener",
    doc: gateway(le, [https("a", "a.example.com", [secret("a-tls")])]),
    certificates: [{ name: "a-tls", spec: { secretName: "a-tls", dnsNames: ["a.example.com"], issuerRef: leRef, usages: ["digital signature", "key encipherment"] } }],
  },
  {
    name: "issuer with kind and group overrides",
    doc: gateway({ "cert-manager.io/issuer": "pca", "cert-manager.io/issuer-kind": "PCAIssuer", "cert-manager.io/issuer-group": "pca.example.com" }, [https("a", "a.example.com", [secret("a-tls")])]),
    certificates: [{ name: "a-tls", spec: { issuerRef: { name: "pca", kind: "PCAIssuer", group: "pca.example.com" } } }],
  },
  {
    name: "listeners sharing a Secret give one Certificate with all their hostnames",
    doc: gateway(le, [
      https("a", "a.example.com", [secret("shared-tls")]),
      https("b", "*.b.example.com", [secret("b-tls")]),
      { name: "c", port: 8443, protocol: "TLS", hostname: "c.example.com", tls: { mode: "Terminate", certificateRefs: [secret("shared-tls")] } },
      https("a-again", "a.example.com", [secret("shared-tls")]),
    ]),
    certificates: [
      { name: "shared-tls", spec: { dnsNames: ["a.example.com", "c.example.com"] } },
      { name: "b-tls", spec: { dnsNames: ["*.b.example.com"] } },
    ],
  },
  {
    name: "HTTP and Passthrough listeners are ignored",
    doc: gateway(le, [
      { name: "http", port: 80, protocol: "HTTP", hostname: "a.example.com" },
      { name: "pt", port: 443, protocol: "TLS", hostname: "p.example.com", tls: { mode: "Passthrough" } },
      https("a", "a.example.com", [secret("a-tls")]),
    ]),
    certificates: [{ name: "a-tls", spec: { dnsNames: ["a.example.com"] } }],
  },
  {
    name: "listener without a hostname is skipped with a warning",
    doc: gateway(le, [https("any", undefined, [secret("any-tls")]), https("a", "a.example.com", [secret("a-tls")])]),
    certificates: [{ name: "a-tls", spec: {} }],
    warnings: ['skipped listener spec.listeners[0] ("any"): spec.listeners[0].hostname: required'],
  },
  {
    name: "HTTPS listener without tls or refs is skipped with a warning",
    doc: gateway(le, [
      { name: "x", port: 443, protocol: "HTTPS", hostname: "x.example.com" },
      https("y", "y.example.com", []),
    ]),
    certificates: [],
    warnings: ["spec.listeners[0].tls: required for protocol HTTPS", "spec.listeners[1].tls.certificateRefs: required"],
  },
  {
    name: "refs to something other than a Secret are skipped",
    doc: gateway(le, [
      https("a", "a.example.com", [
        secret("a-tls", { group: "", kind: "Secret" }),
        secret("core-tls", { group: "core" }),
        secret("other", { group: "example.com", kind: "Certificate" }),
        secret("cm", { kind: "ConfigMap" }),
      ]),
    ]),
    certificates: [
      { name: "a-tls", spec: { dnsNames: ["a.example.com"] } },
      { name: "core-tls", spec: { dnsNames: ["a.example.com"] } },
    ],
    debug: ['refers to "Certificate" in group "example.com"', 'refers to "ConfigMap" in group ""'],
  },
  {
    name: "a ref in another namespace is skipped with a diagnostic",
    doc: gateway(le, [https("a", "a.example.com", [secret("a-tls", { namespace: "certs" }), secret("b-tls", { namespace: "web" })])]),
    certificates: [{ name: "b-tls", spec: {} }],
    warnings: ['skipped spec.listeners[0].tls.certificateRefs[0]: Secret "a-tls" is in namespace "certs"; cross-namespace Secret references are not allowed'],
  },
  {
    name: "ignore-tls-listeners",
    doc: gateway({ ...le, "cert-manager.io/ignore-tls-listeners": "a, c" }, [https("a", "a.example.com", [secret("a-tls")]), https("b", "b.example.com", [secret("b-tls")])]),
    certificates: [{ name: "b-tls", spec: {} }],
  },
  {
    name: "annotations shape the Certificate",
    doc: gateway({ ...le, "cert-manager.io/duration": "720h", "cert-manager.io/private-key-algorithm": "Ed25519", "cert-manager.io/alt-names": "extra.example.com" }, [https("a", "a.example.com", [secret("a-tls")])]),
    certificates: [
      {
        name: "a-tls",
        spec: { duration: 2_592_000, dnsNames: ["a.example.com", "extra.example.com"], privateKey: { algorithm: "Ed25519", size: 0, encoding: "PKCS8", rotationPolicy: "Always" } },
      },
    ],
  },
  {
    name: "invalid annotation value names the annotation",
    doc: gateway({ ...le, "cert-manager.io/renew-before": "1m" }, [https("a", "a.example.com", [secret("a-tls")])]),
    errors: ['Certificate "a-tls": spec.renewBefore (from annotation cert-manager.io/renew-before): 1m0s is too short'],
  },
  {
    name: "invalid hostname names the listener",
    doc: gateway(le, [https("a", "a..example.com", [secret("a-tls")])]),
    errors: ['spec.dnsNames[0] (from spec.listeners[0].hostname): "a..example.com" is not a valid DNS name'],
  },
  {
    name: "Secret name that is not a valid name",
    doc: gateway(le, [https("a", "a.example.com", [secret("A_TLS")])]),
    errors: ['spec.secretName (from spec.listeners[0].tls.certificateRefs[0].name): "A_TLS" is not a valid Secret name'],
  },
  {
    name: "issuer conflict",
    doc: gateway({ ...le, "cert-manager.io/issuer": "x" }, [https("a", "a.example.com", [secret("a-tls")])]),
    errors: ['both "cert-manager.io/issuer" and "cert-manager.io/cluster-issuer" may not be set'],
  },
  {
    name: "no usable listener at all",
    doc: gateway(le, [{ name: "http", port: 80, protocol: "HTTP" }]),
    certificates: [],
    warnings: ["no HTTPS or TLS listener with a hostname and a Secret"],
  },
];

for (const c of cases) {
  test(`gateway-shim: ${c.name}`, () => {
    const { certificates, diagnostics } = certificatesFromGateway(c.doc, "web", c.options ?? {});
    const show = () => diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`).join("\n");
    const bySeverity = (s: string) => diagnostics.filter((d) => d.severity === s);
    for (const d of diagnostics) {
      assert.deepEqual(d.source, source);
      assert.deepEqual(d.object, { kind: "Gateway", namespace: "web", name: "edge" });
    }
    for (const [severity, fragments] of [["error", c.errors], ["warning", c.warnings], ["debug", c.debug]] as const) {
      for (const fragment of fragments ?? []) {
        assert.ok(bySeverity(severity).some((d) => d.message.includes(fragment)), `no ${severity} contains ${JSON.stringify(fragment)}; got:\n${show()}`);
      }
      if (!fragments) assert.deepEqual(bySeverity(severity), [], show());
    }
    const expected = c.certificates ?? [];
    assert.deepEqual(certificates.map((x) => x.name), expected.map((x) => x.name));
    for (const [i, want] of expected.entries()) {
      const got = certificates[i]!;
      assert.deepEqual(got.owner, { kind: "Gateway", namespace: "web", name: "edge" });
      const picked = Object.fromEntries(Object.keys(want.spec).map((k) => [k, got.spec[k as keyof CertificateSpec]]));
      assert.deepEqual(picked, want.spec);
    }
  });
}

test("gateway-shim: labels are copied from the Gateway", () => {
  const { certificates } = certificatesFromGateway(gateway(le, [https("a", "a.example.com", [secret("a-tls")])], { tier: "edge" }), "web", {});
  assert.deepEqual(certificates[0]?.labels, { tier: "edge" });
});
