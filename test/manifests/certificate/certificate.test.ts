import { test } from "node:test";
import assert from "node:assert/strict";
import { certificateFromManifest } from "../../../src/manifests/certificate/index.ts";
import type { CertificateSpec, ManifestDocument } from "../../../src/manifests/types.ts";

const source = { file: "apps/web/certificate.yaml", line: 3 };

function doc(spec: unknown, metadata: Record<string, unknown> = { name: "web" }): ManifestDocument {
  return { source, object: { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata, spec } };
}

const base = { secretName: "web-tls", issuerRef: { name: "letsencrypt" }, dnsNames: ["web.example.com"] };

/** The spec certificateFromManifest gives `base`: cert-manager's defaults. */
const defaults: CertificateSpec = {
  secretName: "web-tls",
  dnsNames: ["web.example.com"],
  ipAddresses: [],
  uris: [],
  emailAddresses: [],
  duration: 90 * 24 * 3600,
  renewalPolicy: "RenewBefore",
  issuerRef: { name: "letsencrypt", kind: "Issuer", group: "cert-manager.io" },
  isCA: false,
  usages: ["digital signature", "key encipherment"],
  privateKey: { algorithm: "RSA", size: 2048, encoding: "PKCS1", rotationPolicy: "Always" },
  secretTemplate: { annotations: {}, labels: {} },
  additionalOutputFormats: [],
  revisionHistoryLimit: 1,
};

const valid: Array<{ name: string; spec: Record<string, unknown>; expect: Partial<CertificateSpec> }> = [
  { name: "defaults", spec: {}, expect: {} },
  { name: "null fields count as unset", spec: { usages: null, privateKey: null, duration: null }, expect: {} },
  {
    name: "ClusterIssuer of an external group",
    spec: { issuerRef: { name: "pca", kind: "AWSPCAClusterIssuer", group: "awspca.cert-manager.io" } },
    expect: { issuerRef: { name: "pca", kind: "AWSPCAClusterIssuer", group: "awspca.cert-manager.io" } },
  },
  {
    name: "ClusterIssuer",
    spec: { issuerRef: { name: "le", kind: "ClusterIssuer" } },
    expect: { issuerRef: { name: "le", kind: "ClusterIssuer", group: "cert-manager.io" } },
  },
  { name: "duration and renewBefore", spec: { duration: "2160h", renewBefore: "360h" }, expect: { duration: 7_776_000, renewBefore: 1_296_000 } },
  { name: "fractional duration", spec: { duration: "1.5h" }, expect: { duration: 5400 } },
  { name: "renewBeforePercentage", spec: { renewBeforePercentage: 25 }, expect: { renewBeforePercentage: 25 } },
  { name: "renewal disabled", spec: { renewal: { policy: "Disabled" } }, expect: { renewalPolicy: "Disabled" } },
  {
    name: "wildcard, IPs, URIs, emails",
    spec: {
      dnsNames: ["*.example.com", "example.com", "xn--bcher-kva.example", "_acme.example.com"],
      ipAddresses: ["10.0.0.1", "2001:db8::1", "::ffff:10.0.0.2"],
      uris: ["spiffe://cluster.local/ns/web/sa/app"],
      emailAddresses: ["ops@example.com"],
    },
    expect: {
      dnsNames: ["*.example.com", "example.com", "xn--bcher-kva.example", "_acme.example.com"],
      ipAddresses: ["10.0.0.1", "2001:db8::1", "::ffff:10.0.0.2"],
      uris: ["spiffe://cluster.local/ns/web/sa/app"],
      emailAddresses: ["ops@example.com"],
    },
  },
  { name: "common name only", spec: { dnsNames: [], commonName: "internal service" }, expect: { dnsNames: [], commonName: "internal service" } },
  { name: "email only", spec: { dnsNames: undefined, emailAddresses: ["a@b.example"] }, expect: { dnsNames: [], emailAddresses: ["a@b.example"] } },
  {
    name: "subject",
    spec: { subject: { organizations: ["Example Ltd"], countries: ["GB"], serialNumber: "42", localities: [] } },
    expect: { subject: { organizations: ["Example Ltd"], countries: ["GB"], serialNumber: "42" } },
  },
  { name: "empty subject dropped", spec: { subject: {} }, expect: {} },
  {
    name: "literalSubject carries the common name",
    spec: { dnsNames: [], literalSubject: "CN=ldap.example.com,OU=Directory,DC=example,DC=com" },
    expect: { dnsNames: [], literalSubject: "CN=ldap.example.com,OU=Directory,DC=example,DC=com" },
  },
  { name: "literalSubject with an OID type", spec: { literalSubject: "2.5.4.3=x,O=Example\\, Inc." }, expect: { literalSubject: "2.5.4.3=x,O=Example\\, Inc." } },
  { name: "isCA", spec: { isCA: true }, expect: { isCA: true } },
  { name: "usages", spec: { usages: ["server auth", "client auth", "digital signature"] }, expect: { usages: ["server auth", "client auth", "digital signature"] } },
  {
    name: "ECDSA defaults to 256",
    spec: { privateKey: { algorithm: "ECDSA" } },
    expect: { privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS1", rotationPolicy: "Always" } },
  },
  {
    name: "ECDSA 384, PKCS8, Never",
    spec: { privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS8", rotationPolicy: "Never" } },
    expect: { privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS8", rotationPolicy: "Never" } },
  },
  {
    name: "RSA 4096",
    spec: { privateKey: { size: 4096 } },
    expect: { privateKey: { algorithm: "RSA", size: 4096, encoding: "PKCS1", rotationPolicy: "Always" } },
  },
  {
    name: "Ed25519 ignores size and is always PKCS8",
    spec: { privateKey: { algorithm: "Ed25519", size: 4096 } },
    expect: { privateKey: { algorithm: "Ed25519", size: 0, encoding: "PKCS8", rotationPolicy: "Always" } },
  },
  {
    name: "secretTemplate",
    spec: {
      secretTemplate: {
        labels: { "app.kubernetes.io/name": "web" },
        annotations: { "reflector.v1.k8s.emberstack.com/reflection-allowed": "true", "cert-manager.io/allow-direct-injection": "true" },
      },
    },
    expect: {
      secretTemplate: {
        labels: { "app.kubernetes.io/name": "web" },
        annotations: { "reflector.v1.k8s.emberstack.com/reflection-allowed": "true", "cert-manager.io/allow-direct-injection": "true" },
      },
    },
  },
  {
    name: "additionalOutputFormats",
    spec: { additionalOutputFormats: [{ type: "DER" }, { type: "CombinedPEM" }] },
    expect: { additionalOutputFormats: ["DER", "CombinedPEM"] },
  },
  { name: "revisionHistoryLimit", spec: { revisionHistoryLimit: 5 }, expect: { revisionHistoryLimit: 5 } },
  {
    name: "renewal windows are read, with their durations in seconds",
    spec: { renewal: { windows: [{ cron: "0 2 * * mon-fri", timezone: "Europe/London", windowDuration: "2h" }, { cron: "@daily", windowDuration: "30m" }] } },
    expect: {
      renewalWindows: [
        { cron: "0 2 * * mon-fri", timezone: "Europe/London", windowDuration: 7200 },
        { cron: "@daily", windowDuration: 1800 },
      ],
    },
  },
];

for (const c of valid) {
  test(`valid Certificate: ${c.name}`, () => {
    const { certificate, diagnostics } = certificateFromManifest(doc({ ...base, ...c.spec }), "web");
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
    assert.ok(certificate);
    assert.deepEqual(certificate.spec, { ...defaults, ...c.expect });
    assert.equal(certificate.name, "web");
    assert.equal(certificate.namespace, "web");
    assert.deepEqual(certificate.source, source);
  });
}

test("labels are kept and there is no owner", () => {
  const { certificate } = certificateFromManifest(doc(base, { name: "web", labels: { team: "a" } }), "web");
  assert.deepEqual(certificate?.labels, { team: "a" });
  assert.equal(certificate?.owner, undefined);
});

test("warnings do not block: unknown fields and unsupported ones", () => {
  const { certificate, diagnostics } = certificateFromManifest(
    doc({ ...base, dnsName: ["typo.example.com"], keystores: { pkcs12: { create: true, passwordSecretRef: { name: "p", key: "k" } } } }),
    "web",
  );
  assert.ok(certificate);
  const messages = diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`);
  assert.ok(messages.some((m) => m.startsWith("warning UnknownField spec.dnsName:")), messages.join("\n"));
  assert.ok(messages.some((m) => m.startsWith("warning UnsupportedField spec.keystores.pkcs12:")), messages.join("\n"));
});

/** Each case: spec overrides (or a whole object) → substrings, each found in some error. */
const invalid: Array<{ name: string; spec?: Record<string, unknown>; object?: Record<string, unknown>; namespace?: string; errors: string[] }> = [
  { name: "secretName missing", spec: { secretName: undefined }, errors: ["spec.secretName: is required"] },
  { name: "secretName traversal", spec: { secretName: "../x" }, errors: ['spec.secretName: "../x" is not a valid Secret name'] },
  { name: "secretName with slash", spec: { secretName: "a/b" }, errors: ['spec.secretName: "a/b" is not a valid Secret name'] },
  { name: "secretName upper case", spec: { secretName: "Web-TLS" }, errors: ['spec.secretName: "Web-TLS"'] },
  { name: "secretName not a string", spec: { secretName: 42 }, errors: ["spec.secretName: must be a string, not number 42"] },
  { name: "name traversal", object: { metadata: { name: ".." } }, errors: ['metadata.name: ".." is not a valid object name'] },
  { name: "name missing", object: { metadata: {} }, errors: ["metadata.name: is required"] },
  { name: "namespace traversal", namespace: "../etc", errors: ['metadata.namespace: "../etc" is not a valid namespace'] },
  { name: "namespace with dot", namespace: "a.b", errors: ['metadata.namespace: "a.b"'] },
  { name: "wrong apiVersion", object: { apiVersion: "cert-manager.io/v1alpha2" }, errors: ['apiVersion: "cert-manager.io/v1alpha2" is not supported'] },
  { name: "spec missing", object: { spec: undefined }, errors: ["spec: is required"] },
  { name: "issuerRef missing", spec: { issuerRef: undefined }, errors: ["spec.issuerRef: is required"] },
  { name: "issuerRef name missing", spec: { issuerRef: { kind: "ClusterIssuer" } }, errors: ["spec.issuerRef.name: is required"] },
  {
    name: "external kind without group",
    spec: { issuerRef: { name: "x", kind: "AWSPCAClusterIssuer" } },
    errors: ['spec.issuerRef.kind: "AWSPCAClusterIssuer" must be one of Issuer or ClusterIssuer (did you forget to set spec.issuerRef.group?)'],
  },
  { name: "common name too long", spec: { commonName: "a".repeat(65) }, errors: ["spec.commonName: common name must be no more than 64 bytes (it has 65)"] },
  {
    name: "literalSubject with commonName and subject",
    spec: { literalSubject: "CN=a", commonName: "a", subject: { organizations: ["x"] } },
    errors: ["spec.commonName: must not be set together with spec.literalSubject", "spec.subject: must not be set together with spec.literalSubject"],
  },
  { name: "literalSubject unknown key", spec: { literalSubject: "CN=a,FOO=b" }, errors: ['spec.literalSubject: unrecognised attribute type "FOO"'] },
  { name: "literalSubject lower case key", spec: { literalSubject: "cn=a" }, errors: ['unrecognised attribute type "cn"'] },
  { name: "literalSubject unparsable", spec: { literalSubject: "CN" }, errors: ["spec.literalSubject: \"CN\" is not a valid RFC 4514 subject"] },
  { name: "literalSubject CN too long", spec: { literalSubject: `CN=${"a".repeat(65)}` }, errors: ["spec.literalSubject: common name must be no more than 64 bytes"] },
  {
    name: "no identity at all",
    spec: { dnsNames: [] },
    errors: ["spec: at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailAddresses, ipAddresses, otherNames or uris must be set"],
  },
  { name: "DNS name with empty label", spec: { dnsNames: ["ok.example.com", "foo..bar"] }, errors: ['spec.dnsNames[1]: "foo..bar" is not a valid DNS name'] },
  { name: "wildcard not leftmost", spec: { dnsNames: ["foo.*.example.com"] }, errors: ['spec.dnsNames[0]: "foo.*.example.com" is not a valid DNS name: may only use a wildcard as the whole leftmost label'] },
  { name: "partial wildcard", spec: { dnsNames: ["w*.example.com"] }, errors: ["may only use a wildcard as the whole leftmost label"] },
  { name: "bare wildcard", spec: { dnsNames: ["*"] }, errors: ['spec.dnsNames[0]: "*" is not a valid DNS name'] },
  { name: "DNS name with space", spec: { dnsNames: ["a b.example.com"] }, errors: ['spec.dnsNames[0]: "a b.example.com"'] },
  { name: "DNS name with trailing dot", spec: { dnsNames: ["example.com."] }, errors: ["must not end with a dot"] },
  { name: "DNS name with leading hyphen", spec: { dnsNames: ["-a.example.com"] }, errors: ['label "-a"'] },
  { name: "DNS name unicode", spec: { dnsNames: ["bücher.example"] }, errors: ["xn--"] },
  { name: "DNS name is an IP", spec: { dnsNames: ["10.0.0.1"] }, errors: ['spec.dnsNames[0]: "10.0.0.1" is not a valid DNS name: it is an IP address'] },
  { name: "DNS name label too long", spec: { dnsNames: [`${"a".repeat(64)}.example.com`] }, errors: ["longer than 63 characters"] },
  { name: "dnsNames not a list", spec: { dnsNames: "web.example.com" }, errors: ['spec.dnsNames: must be a list, not the string "web.example.com"'] },
  { name: "dnsNames entry not a string", spec: { dnsNames: ["a.example.com", 7] }, errors: ["spec.dnsNames[1]: must be a string"] },
  { name: "bad IPv4", spec: { ipAddresses: ["10.0.0.256"] }, errors: ['spec.ipAddresses[0]: "10.0.0.256" is not a valid IP address'] },
  { name: "IPv4 with leading zero", spec: { ipAddresses: ["010.0.0.1"] }, errors: ['spec.ipAddresses[0]: "010.0.0.1"'] },
  { name: "IPv6 with zone", spec: { ipAddresses: ["fe80::1%eth0"] }, errors: ["must not carry a zone"] },
  { name: "relative URI", spec: { uris: ["/just/a/path"] }, errors: ['spec.uris[0]: "/just/a/path" is not a valid URI'] },
  { name: "email with display name", spec: { emailAddresses: ["Ops <ops@example.com>"] }, errors: ['spec.emailAddresses[0]: "Ops <ops@example.com>" is not a valid email address'] },
  { name: "email without domain", spec: { emailAddresses: ["ops@"] }, errors: ['spec.emailAddresses[0]: "ops@"'] },
  { name: "email with double dot", spec: { emailAddresses: ["a..b@example.com"] }, errors: ['spec.emailAddresses[0]: "a..b@example.com"'] },
  { name: "otherNames", spec: { otherNames: [{ oid: "1.3.6.1.4.1.311.20.2.3", utf8Value: "u@x" }] }, errors: ["spec.otherNames: is not supported"] },
  { name: "duration in days", spec: { duration: "90d" }, errors: ['spec.duration: "90d" is not a valid duration: Go durations have no "d" unit', '"2160h"'] },
  { name: "duration as a number", spec: { duration: 3600 }, errors: ['spec.duration: must be a Go duration string such as "2160h", not number 3600'] },
  { name: "duration below 1h", spec: { duration: "59m" }, errors: ["spec.duration: 59m0s is too short: a certificate duration must be at least 1h0m0s"] },
  { name: "renewBefore below 5m", spec: { renewBefore: "4m" }, errors: ["spec.renewBefore: 4m0s is too short: renewBefore must be at least 5m0s"] },
  { name: "renewBefore not below duration", spec: { duration: "24h", renewBefore: "24h" }, errors: ["spec.renewBefore: 24h0m0s must be less than the duration 24h0m0s"] },
  { name: "renewBefore over default duration", spec: { renewBefore: "2200h" }, errors: ["must be less than the duration 2160h0m0s"] },
  {
    name: "renewBefore with renewBeforePercentage",
    spec: { renewBefore: "1h", renewBeforePercentage: 10 },
    errors: ["spec.renewBefore: must not be set together with spec.renewBeforePercentage"],
  },
  { name: "percentage 0", spec: { renewBeforePercentage: 0 }, errors: ["spec.renewBeforePercentage: must be between 1 and 99 (got 0)"] },
  { name: "percentage 100", spec: { renewBeforePercentage: 100 }, errors: ["spec.renewBeforePercentage: must be between 1 and 99 (got 100)"] },
  { name: "percentage fractional", spec: { renewBeforePercentage: 33.3 }, errors: ["spec.renewBeforePercentage: must be an integer"] },
  { name: "percentage as a string", spec: { renewBeforePercentage: "25" }, errors: ["spec.renewBeforePercentage: must be an integer"] },
  {
    name: "percentage too small for the duration",
    spec: { duration: "1h", renewBeforePercentage: 5 },
    errors: ["spec.renewBeforePercentage: 5% of 1h0m0s is 3m0s, less than the minimum renewBefore of 5m0s"],
  },
  { name: "renewal policy unknown", spec: { renewal: { policy: "Sometimes" } }, errors: ['spec.renewal.policy: "Sometimes" is not supported'] },
  {
    name: "renewal windows with Disabled",
    spec: { renewal: { policy: "Disabled", windows: [{ cron: "@daily", windowDuration: "1h" }] } },
    errors: ["spec.renewal.windows: must not be set when spec.renewal.policy is Disabled"],
  },
  {
    name: "renewal window problems",
    spec: { renewal: { windows: [{ cron: "61 * * * *", timezone: "Mars/Olympus" }] } },
    errors: ["spec.renewal.windows[0].windowDuration: is required", 'spec.renewal.windows[0].timezone: "Mars/Olympus" is not an IANA time zone', 'spec.renewal.windows[0].cron: "61 * * * *" is not valid cron syntax'],
  },
  {
    name: "a renewal window that never stays open",
    spec: { renewal: { windows: [{ cron: "@daily", windowDuration: "0s" }] } },
    errors: ["spec.renewal.windows[0].windowDuration: must be a positive duration"],
  },
  { name: "RSA too small", spec: { privateKey: { size: 1024 } }, errors: ["spec.privateKey.size: must be between 2048 and 8192 for RSA keys (got 1024)"] },
  { name: "RSA too large", spec: { privateKey: { algorithm: "RSA", size: 16384 } }, errors: ["between 2048 and 8192"] },
  { name: "ECDSA odd size", spec: { privateKey: { algorithm: "ECDSA", size: 512 } }, errors: ["spec.privateKey.size: must be 256, 384 or 521 for ECDSA keys (got 512)"] },
  { name: "algorithm lower case", spec: { privateKey: { algorithm: "rsa" } }, errors: ['spec.privateKey.algorithm: "rsa" is not supported (use RSA, ECDSA or Ed25519)'] },
  { name: "encoding unknown", spec: { privateKey: { encoding: "DER" } }, errors: ['spec.privateKey.encoding: "DER" is not supported'] },
  { name: "rotationPolicy unknown", spec: { privateKey: { rotationPolicy: "Sometimes" } }, errors: ['spec.privateKey.rotationPolicy: "Sometimes" is not supported'] },
  { name: "size as a string", spec: { privateKey: { size: "2048" } }, errors: ['spec.privateKey.size: must be an integer, not the string "2048"'] },
  {
    name: "signature algorithm for another key type",
    spec: { privateKey: { algorithm: "ECDSA" }, signatureAlgorithm: "SHA256WithRSA" },
    errors: ['spec.signatureAlgorithm: "SHA256WithRSA" is not allowed for key algorithm ECDSA'],
  },
  { name: "unknown usage", spec: { usages: ["server auth", "serverAuth"] }, errors: ['spec.usages[1]: "serverAuth" is not a known key usage'] },
  { name: "isCA not a boolean", spec: { isCA: "true" }, errors: ['spec.isCA: must be true or false, not the string "true"'] },
  {
    name: "secretTemplate with a cert-manager.io annotation",
    spec: { secretTemplate: { annotations: { "cert-manager.io/issuer-name": "forged" } } },
    errors: ['spec.secretTemplate.annotations["cert-manager.io/issuer-name"]: cert-manager.io/* annotations are not allowed in a secretTemplate'],
  },
  { name: "secretTemplate bad label value", spec: { secretTemplate: { labels: { team: "a b" } } }, errors: ['spec.secretTemplate.labels["team"]: "a b" is not a valid label value'] },
  { name: "secretTemplate bad label key", spec: { secretTemplate: { labels: { "a/b/c": "x" } } }, errors: ['"a/b/c" is not a valid label key'] },
  { name: "secretTemplate non-string value", spec: { secretTemplate: { annotations: { replicas: 3 } } }, errors: ['spec.secretTemplate.annotations["replicas"]: must be a string, not number 3 (quote it in YAML)'] },
  { name: "revisionHistoryLimit 0", spec: { revisionHistoryLimit: 0 }, errors: ["spec.revisionHistoryLimit: must not be less than 1 (got 0)"] },
  { name: "output format unknown", spec: { additionalOutputFormats: [{ type: "PFX" }] }, errors: ['spec.additionalOutputFormats[0].type: "PFX" is not supported'] },
  { name: "output format twice", spec: { additionalOutputFormats: [{ type: "DER" }, { type: "DER" }] }, errors: ['spec.additionalOutputFormats[1].type: "DER" is listed more than once'] },
  {
    name: "keystore with both passwords",
    spec: { keystores: { jks: { create: true, password: "x", passwordSecretRef: { name: "s", key: "k" } } } },
    errors: ["spec.keystores.jks: set exactly one of passwordSecretRef and password for JKS keystores, not both"],
  },
  { name: "keystore empty password", spec: { keystores: { pkcs12: { create: true, password: "" } } }, errors: ["spec.keystores.pkcs12.password: a literal password must not be empty"] },
  { name: "nameConstraints", spec: { isCA: true, nameConstraints: { permitted: { dnsDomains: ["example.com"] } } }, errors: ["spec.nameConstraints: is not supported"] },
  { name: "metadata label value", object: { metadata: { name: "web", labels: { team: 5 } } }, errors: ['metadata.labels["team"]: must be a string'] },
];

for (const c of invalid) {
  test(`invalid Certificate: ${c.name}`, () => {
    const object = { ...doc({ ...base, ...c.spec }).object, ...c.object };
    const { certificate, diagnostics } = certificateFromManifest({ source, object }, c.namespace ?? "web");
    assert.equal(certificate, undefined);
    const errors = diagnostics.filter((d) => d.severity === "error");
    assert.ok(errors.length > 0);
    for (const d of errors) {
      assert.equal(d.code, "InvalidCertificate");
      assert.deepEqual(d.source, source);
      assert.equal(d.object?.kind, "Certificate");
      assert.equal(d.object?.namespace, c.namespace ?? "web");
    }
    for (const fragment of c.errors) {
      assert.ok(
        errors.some((d) => d.message.includes(fragment)),
        `no error contains ${JSON.stringify(fragment)}; got:\n${errors.map((d) => d.message).join("\n")}`,
      );
    }
  });
}

test("every problem is reported in one pass", () => {
  const { certificate, diagnostics } = certificateFromManifest(
    doc({
      secretName: "../x",
      issuerRef: {},
      dnsNames: ["ok.example.com", "foo..bar"],
      ipAddresses: ["300.1.1.1"],
      duration: "90d",
      renewBefore: "1m",
      privateKey: { algorithm: "ECDSA", size: 1 },
      usages: ["nope"],
      revisionHistoryLimit: 0,
    }),
    "web",
  );
  assert.equal(certificate, undefined);
  const paths = diagnostics.map((d) => d.message.split(":")[0]);
  assert.deepEqual(
    [...new Set(paths)].sort(),
    [
      "spec.dnsNames[1]",
      "spec.ipAddresses[0]",
      "spec.duration",
      "spec.issuerRef.name",
      "spec.privateKey.size",
      "spec.renewBefore",
      "spec.revisionHistoryLimit",
      "spec.secretName",
      "spec.usages[0]",
    ].sort(),
  );
});
