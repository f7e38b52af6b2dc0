import { test } from "node:test";
import assert from "node:assert/strict";
import { certificatesFromIngress } from "../../../src/manifests/shim/index.ts";
import type { ShimOptions } from "../../../src/manifests/shim/index.ts";
import type { CertificateSpec, ManifestDocument } from "../../../src/manifests/types.ts";

const source = { file: "apps/web/ingress.yaml", line: 3 };

function ingress(annotations: Record<string, unknown>, tls: unknown, labels?: Record<string, unknown>): ManifestDocument {
  return {
    source,
    object: {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "web", annotations, ...(labels ? { labels } : {}) },
      spec: { rules: [{ host: "web.example.com" }], ...(tls === undefined ? {} : { tls }) },
    },
  };
}

const oneEntry = [{ hosts: ["web.example.com"], secretName: "web-tls" }];
const le = { "cert-manager.io/cluster-issuer": "letsencrypt" };
const leRef = { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" };

interface Case {
  name: string;
  doc: ManifestDocument;
  options?: ShimOptions;
  /** Expected Certificates: name and the spec fields that matter for the case. */
  certificates?: Array<{ name: string; spec: Partial<CertificateSpec> }>;
  errors?: string[];
  warnings?: string[];
}

const cases: Case[] = [
  { name: "no trigger annotation: nothing, silently", doc: ingress({ "cert-manager.io/common-name": "x" }, oneEntry), certificates: [] },
  { name: "tls-acme false: nothing", doc: ingress({ "kubernetes.io/tls-acme": "false" }, oneEntry), options: { defaultIssuer: leRef }, certificates: [] },
  {
    name: "issuer annotation",
    doc: ingress({ "cert-manager.io/issuer": "ca" }, oneEntry),
    certificates: [
      {
        name: "web-tls",
        spec: {
          secretName: "web-tls",
          dnsNames: ["web.example.com"],
          ipAddresses: [],
          issuerRef: { name: "ca", kind: "Issuer", group: "cert-manager.io" },
          usages: ["digital signature", "key encipherment"],
          duration: 7_776_000,
        },
      },
    ],
  },
  { name: "cluster-issuer annotation", doc: ingress(le, oneEntry), certificates: [{ name: "web-tls", spec: { issuerRef: leRef } }] },
  {
    name: "tls-acme uses the default issuer",
    doc: ingress({ "kubernetes.io/tls-acme": "true" }, oneEntry),
    options: { defaultIssuer: leRef },
    certificates: [{ name: "web-tls", spec: { issuerRef: leRef } }],
  },
  {
    name: "tls-acme accepts Go's other truths",
    doc: ingress({ "kubernetes.io/tls-acme": "True" }, oneEntry),
    options: { defaultIssuer: leRef },
    certificates: [{ name: "web-tls", spec: { issuerRef: leRef } }],
  },
  {
    name: "tls-acme without a default issuer",
    doc: ingress({ "kubernetes.io/tls-acme": "true" }, oneEntry),
    errors: ["kubernetes.io/tls-acme is set but no default issuer is configured"],
  },
  {
    name: "tls-acme unquoted in YAML",
    doc: ingress({ "kubernetes.io/tls-acme": true }, oneEntry),
    options: { defaultIssuer: leRef },
    errors: ["annotation kubernetes.io/tls-acme: must be a string, not true (quote it in YAML)"],
  },
  {
    name: "issuer kind and group overrides",
    doc: ingress({ "cert-manager.io/issuer": "pca", "cert-manager.io/issuer-kind": "AWSPCAIssuer", "cert-manager.io/issuer-group": "awspca.cert-manager.io" }, oneEntry),
    certificates: [{ name: "web-tls", spec: { issuerRef: { name: "pca", kind: "AWSPCAIssuer", group: "awspca.cert-manager.io" } } }],
  },
  {
    name: "issuer and cluster-issuer together",
    doc: ingress({ "cert-manager.io/issuer": "a", "cert-manager.io/cluster-issuer": "b" }, oneEntry),
    errors: ['both "cert-manager.io/issuer" and "cert-manager.io/cluster-issuer" may not be set'],
  },
  {
    name: "cluster-issuer with issuer-kind and issuer-group",
    doc: ingress({ ...le, "cert-manager.io/issuer-kind": "Issuer", "cert-manager.io/issuer-group": "x.io" }, oneEntry),
    errors: [
      'both "cert-manager.io/cluster-issuer" and "cert-manager.io/issuer-kind" may not be set',
      'both "cert-manager.io/cluster-issuer" and "cert-manager.io/issuer-group" may not be set',
    ],
  },
  { name: "empty issuer name", doc: ingress({ "cert-manager.io/issuer": "" }, oneEntry), errors: ["annotation cert-manager.io/issuer is empty"] },
  {
    name: "hosts split into DNS names and IPs, de-duplicated",
    doc: ingress(le, [{ hosts: ["web.example.com", "10.0.0.1", "web.example.com", "*.web.example.com", "2001:db8::1", "10.0.0.1"], secretName: "web-tls" }]),
    certificates: [{ name: "web-tls", spec: { dnsNames: ["web.example.com", "*.web.example.com"], ipAddresses: ["10.0.0.1", "2001:db8::1"] } }],
  },
  {
    name: "one Certificate per entry, in order",
    doc: ingress(le, [
      { hosts: ["a.example.com"], secretName: "a-tls" },
      { hosts: ["b.example.com"], secretName: "b-tls" },
    ]),
    certificates: [
      { name: "a-tls", spec: { dnsNames: ["a.example.com"], secretName: "a-tls" } },
      { name: "b-tls", spec: { dnsNames: ["b.example.com"], secretName: "b-tls" } },
    ],
  },
  {
    name: "entries without hosts or secretName are skipped with a warning",
    doc: ingress(le, [{ secretName: "nohosts-tls" }, { hosts: ["b.example.com"] }, { hosts: [], secretName: "" }, ...oneEntry]),
    certificates: [{ name: "web-tls", spec: { dnsNames: ["web.example.com"] } }],
    warnings: [
      "skipped a TLS entry: spec.tls[0].hosts: required",
      "skipped a TLS entry: spec.tls[1].secretName: required",
      "skipped a TLS entry: spec.tls[2].hosts: required, spec.tls[2].secretName: required",
    ],
  },
  {
    name: "two entries sharing a secretName reject the Ingress",
    doc: ingress(le, [
      { hosts: ["a.example.com"], secretName: "shared" },
      { hosts: ["b.example.com"], secretName: "ok" },
      { hosts: ["c.example.com"], secretName: "shared" },
    ]),
    errors: ['spec.tls[0].secretName: "shared" must only appear in a single TLS entry but is also used in spec.tls[2].secretName'],
  },
  { name: "trigger without spec.tls", doc: ingress(le, undefined), certificates: [], warnings: ["no spec.tls entries"] },
  {
    name: "every shaping annotation",
    doc: ingress(
      {
        ...le,
        "cert-manager.io/common-name": "web.example.com",
        "cert-manager.io/alt-names": "alt.example.com, web.example.com,",
        "cert-manager.io/ip-sans": "192.0.2.1, 192.0.2.2",
        "cert-manager.io/email-sans": "ops@example.com",
        "cert-manager.io/subject-organizations": '"Example, Inc.",Other Org',
        "cert-manager.io/subject-organizationalunits": "Web",
        "cert-manager.io/subject-countries": "GB",
        "cert-manager.io/subject-provinces": "London",
        "cert-manager.io/subject-localities": "Westminster",
        "cert-manager.io/subject-postalcodes": "SW1A 2AA",
        "cert-manager.io/subject-streetaddresses": '"10 Downing Street, Westminster"',
        "cert-manager.io/subject-serialnumber": "1234",
        "cert-manager.io/duration": "2160h",
        "cert-manager.io/renew-before": "720h",
        "cert-manager.io/usages": "digital signature, key encipherment, server auth",
        "cert-manager.io/revision-history-limit": "3",
        "cert-manager.io/private-key-algorithm": "ECDSA",
        "cert-manager.io/private-key-encoding": "PKCS8",
        "cert-manager.io/private-key-size": "384",
        "cert-manager.io/private-key-rotation-policy": "Never",
        "cert-manager.io/secret-template": '{"labels":{"team":"web"},"annotations":{"example.com/owner":"web"}}',
      },
      oneEntry,
    ),
    certificates: [
      {
        name: "web-tls",
        spec: {
          commonName: "web.example.com",
          dnsNames: ["web.example.com", "alt.example.com"],
          ipAddresses: ["192.0.2.1", "192.0.2.2"],
          emailAddresses: ["ops@example.com"],
          subject: {
            organizations: ["Example, Inc.", "Other Org"],
            organizationalUnits: ["Web"],
            countries: ["GB"],
            provinces: ["London"],
            localities: ["Westminster"],
            postalCodes: ["SW1A 2AA"],
            streetAddresses: ["10 Downing Street, Westminster"],
            serialNumber: "1234",
          },
          duration: 7_776_000,
          renewBefore: 2_592_000,
          usages: ["digital signature", "key encipherment", "server auth"],
          revisionHistoryLimit: 3,
          privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS8", rotationPolicy: "Never" },
          secretTemplate: { labels: { team: "web" }, annotations: { "example.com/owner": "web" } },
        },
      },
    ],
  },
  {
    name: "renew-before-percentage",
    doc: ingress({ ...le, "cert-manager.io/renew-before-percentage": "20" }, oneEntry),
    certificates: [{ name: "web-tls", spec: { renewBeforePercentage: 20 } }],
  },
  {
    name: "duration in days is reported against the annotation",
    doc: ingress({ ...le, "cert-manager.io/duration": "90d" }, oneEntry),
    errors: ['Certificate "web-tls": spec.duration (from annotation cert-manager.io/duration): "90d" is not a valid duration: Go durations have no "d" unit'],
  },
  {
    name: "duration below the minimum",
    doc: ingress({ ...le, "cert-manager.io/duration": "30m" }, oneEntry),
    errors: ["spec.duration (from annotation cert-manager.io/duration): 30m0s is too short"],
  },
  {
    name: "bad ip-sans and email-sans",
    doc: ingress({ ...le, "cert-manager.io/ip-sans": "192.0.2.1,nope", "cert-manager.io/email-sans": "Ops <ops@example.com>" }, oneEntry),
    errors: [
      'spec.ipAddresses[1] (from annotation cert-manager.io/ip-sans): "nope" is not a valid IP address',
      'spec.emailAddresses[0] (from annotation cert-manager.io/email-sans): "Ops <ops@example.com>" is not a valid email address',
    ],
  },
  {
    name: "unknown usage",
    doc: ingress({ ...le, "cert-manager.io/usages": "server auth,serverAuth" }, oneEntry),
    errors: ['spec.usages[1] (from annotation cert-manager.io/usages): "serverAuth" is not a known key usage'],
  },
  {
    name: "private key annotations are validated",
    doc: ingress({ ...le, "cert-manager.io/private-key-algorithm": "ECDSA", "cert-manager.io/private-key-size": "2048" }, oneEntry),
    errors: ["spec.privateKey.size (from annotation cert-manager.io/private-key-size): must be 256, 384 or 521 for ECDSA keys"],
  },
  { name: "private key size not a number", doc: ingress({ ...le, "cert-manager.io/private-key-size": "big" }, oneEntry), errors: ['annotation cert-manager.io/private-key-size: "big" is not an integer'] },
  { name: "revision history limit 0", doc: ingress({ ...le, "cert-manager.io/revision-history-limit": "0" }, oneEntry), errors: ["spec.revisionHistoryLimit (from annotation cert-manager.io/revision-history-limit): must not be less than 1"] },
  { name: "revision history limit unquoted", doc: ingress({ ...le, "cert-manager.io/revision-history-limit": 3 }, oneEntry), errors: ["annotation cert-manager.io/revision-history-limit: must be a string, not 3 (quote it in YAML)"] },
  { name: "secret-template not JSON", doc: ingress({ ...le, "cert-manager.io/secret-template": "{labels: x}" }, oneEntry), errors: ["annotation cert-manager.io/secret-template: is not valid JSON"] },
  { name: "secret-template unknown field", doc: ingress({ ...le, "cert-manager.io/secret-template": '{"label":{}}' }, oneEntry), errors: ['annotation cert-manager.io/secret-template: unknown field "label"'] },
  {
    name: "secret-template with a cert-manager.io annotation",
    doc: ingress({ ...le, "cert-manager.io/secret-template": '{"annotations":{"cert-manager.io/issuer-name":"x"}}' }, oneEntry),
    errors: ["(from annotation cert-manager.io/secret-template): cert-manager.io/* annotations are not allowed"],
  },
  { name: "subject CSV with a bare quote", doc: ingress({ ...le, "cert-manager.io/subject-organizations": 'Acme "Inc"' }, oneEntry), errors: ['annotation cert-manager.io/subject-organizations: failed to parse "Acme \\"Inc\\"" as CSV: bare "'] },
  { name: "subject CSV empty", doc: ingress({ ...le, "cert-manager.io/subject-countries": "" }, oneEntry), errors: ["annotation cert-manager.io/subject-countries: no values found"] },
  { name: "renew-before-percentage not a number", doc: ingress({ ...le, "cert-manager.io/renew-before-percentage": "20%" }, oneEntry), errors: ['annotation cert-manager.io/renew-before-percentage: "20%" is not an integer'] },
  {
    name: "a bad host fails its own Certificate only",
    doc: ingress(le, [
      { hosts: ["ok.example.com", "foo..bar"], secretName: "bad-tls" },
      { hosts: ["b.example.com"], secretName: "b-tls" },
    ]),
    certificates: [{ name: "b-tls", spec: { dnsNames: ["b.example.com"] } }],
    errors: ['Certificate "bad-tls": spec.dnsNames[1] (from spec.tls[0].hosts[1]): "foo..bar" is not a valid DNS name'],
  },
  {
    name: "secretName that is not a valid name",
    doc: ingress(le, [{ hosts: ["a.example.com"], secretName: "../etc" }]),
    certificates: [],
    errors: ['spec.secretName (from spec.tls[0].secretName): "../etc" is not a valid Secret name'],
  },
  {
    name: "bad alt-name",
    doc: ingress({ ...le, "cert-manager.io/alt-names": "a b.example.com" }, oneEntry),
    errors: ['spec.dnsNames[1] (from annotation cert-manager.io/alt-names): "a b.example.com" is not a valid DNS name'],
  },
  {
    name: "common name too long",
    doc: ingress({ ...le, "cert-manager.io/common-name": "a".repeat(65) }, oneEntry),
    errors: ["spec.commonName (from annotation cert-manager.io/common-name): common name must be no more than 64 bytes"],
  },
];

for (const c of cases) {
  test(`ingress-shim: ${c.name}`, () => {
    const { certificates, diagnostics } = certificatesFromIngress(c.doc, "web", c.options ?? {});
    const errors = diagnostics.filter((d) => d.severity === "error");
    const warnings = diagnostics.filter((d) => d.severity === "warning");
    const show = () => diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`).join("\n");

    for (const d of diagnostics) {
      assert.deepEqual(d.source, source);
      assert.deepEqual(d.object, { kind: "Ingress", namespace: "web", name: "web" });
    }
    for (const fragment of c.errors ?? []) {
      assert.ok(errors.some((d) => d.message.includes(fragment)), `no error contains ${JSON.stringify(fragment)}; got:\n${show()}`);
    }
    if (!c.errors) assert.deepEqual(errors, [], show());
    for (const fragment of c.warnings ?? []) {
      assert.ok(
        warnings.some((d) => d.code === "BadConfig" && d.message.includes(fragment)),
        `no BadConfig warning contains ${JSON.stringify(fragment)}; got:\n${show()}`,
      );
    }
    if (!c.warnings) assert.deepEqual(warnings, [], show());

    const expected = c.certificates ?? [];
    assert.deepEqual(certificates.map((x) => x.name), expected.map((x) => x.name));
    for (const [i, want] of expected.entries()) {
      const got = certificates[i]!;
      assert.equal(got.namespace, "web");
      assert.deepEqual(got.owner, { kind: "Ingress", namespace: "web", name: "web" });
      assert.deepEqual(got.source, source);
      const picked = Object.fromEntries(Object.keys(want.spec).map((k) => [k, got.spec[k as keyof CertificateSpec]]));
      assert.deepEqual(picked, want.spec);
    }
  });
}

test("ingress-shim: labels are copied without the applyset label", () => {
  const { certificates } = certificatesFromIngress(
    ingress(le, oneEntry, { app: "web", "applyset.kubernetes.io/part-of": "applyset-x" }),
    "web",
    {},
  );
  assert.deepEqual(certificates[0]?.labels, { app: "web" });
});

test("ingress-shim: a derived Certificate gets every cert-manager default", () => {
  const { certificates } = certificatesFromIngress(ingress(le, oneEntry), "web", {});
  assert.deepEqual(certificates[0]?.spec, {
    secretName: "web-tls",
    dnsNames: ["web.example.com"],
    ipAddresses: [],
    uris: [],
    emailAddresses: [],
    duration: 7_776_000,
    renewalPolicy: "RenewBefore",
    issuerRef: leRef,
    isCA: false,
    usages: ["digital signature", "key encipherment"],
    privateKey: { algorithm: "RSA", size: 2048, encoding: "PKCS1", rotationPolicy: "Always" },
    secretTemplate: { annotations: {}, labels: {} },
    additionalOutputFormats: [],
    revisionHistoryLimit: 1,
  } satisfies CertificateSpec);
});
