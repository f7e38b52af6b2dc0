// Reading cert-manager's spec.acme: defaults, and a `field: problem` for
// each mistake, including DNS-01 providers gitcert does not have. Also the
// order identifiers taken from a Certificate.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { acmeSpecSchema, type AcmeIssuerSpec, type Dns01ProviderInfo } from "../../src/acme/schema.ts";
import { orderIdentifiers } from "../../src/acme/identifiers.ts";
import { createAcmeIssuer } from "../../src/issuers/acme.ts";
import { readIssuer } from "../../src/issuers/read.ts";
import { GitcertError } from "../../src/diagnostics.ts";
import { mapping, problemText, read } from "../../src/schema/index.ts";

const providers = new Map<string, Dns01ProviderInfo>([
  ["rfc2136", { schema: mapping({ nameserver: z.string() }) }],
  ["cloudflare", { schema: mapping({}) }],
]);
const schema = acmeSpecSchema(providers);

/** The spec, or every problem as `spec.acme.<field>: <problem>`. */
function parseAcmeSpec(raw: unknown): { spec?: AcmeIssuerSpec; errors: string[] } {
  const r = read(schema, raw);
  return r.ok ? { spec: r.value, errors: [] } : { errors: r.problems.map((p) => problemText("spec.acme", p)) };
}
const minimal = { server: "https://acme.example/dir", privateKeySecretRef: { name: "le-account" } };

test("a minimal spec: defaults as cert-manager's", () => {
  const { spec, errors } = parseAcmeSpec(minimal);
  assert.deepEqual(errors, []);
  assert.deepEqual(spec, {
    server: "https://acme.example/dir",
    email: undefined,
    privateKeySecretRef: { name: "le-account", key: "tls.key" },
    externalAccountBinding: undefined,
    preferredChain: undefined,
    caBundlePem: undefined,
    skipTLSVerify: false,
    disableAccountKeyGeneration: false,
    profile: undefined,
    solvers: [],
  });
});

test("a full spec", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const { spec, errors } = parseAcmeSpec(
    {
      ...minimal,
      email: "ops@example.com",
      privateKeySecretRef: { name: "le-account", key: "key.pem" },
      externalAccountBinding: { keyID: "kid-1", keySecretRef: { name: "eab", key: "secret" }, keyAlgorithm: "HS256" },
      preferredChain: "ISRG Root X1",
      caBundle: Buffer.from(pem).toString("base64"),
      profile: "shortlived",
      solvers: [
        { selector: { dnsZones: ["example.com"], matchLabels: { team: "a" } }, dns01: { cnameStrategy: "Follow", rfc2136: { nameserver: "10.0.0.1" } } },
        { http01: { ingress: { ingressClassName: "nginx" } } },
        { http01: null },
      ],
    },
  );
  assert.deepEqual(errors, []);
  assert.equal(spec!.caBundlePem, pem);
  assert.deepEqual(spec!.privateKeySecretRef, { name: "le-account", key: "key.pem" });
  assert.deepEqual(spec!.externalAccountBinding, { keyID: "kid-1", keySecretRef: { name: "eab", key: "secret" } });
  assert.deepEqual(spec!.solvers, [
    { index: 0, selector: { matchLabels: { team: "a" }, dnsNames: undefined, dnsZones: ["example.com"] }, dns01: { cnameStrategy: "Follow", provider: "rfc2136", config: { nameserver: "10.0.0.1" } } },
    { index: 1, http01: { ingress: { ingressClassName: "nginx" } } },
    { index: 2, http01: {} },
  ]);
});

const bad: Array<[string, unknown, RegExp]> = [
  ["not a mapping", "acme", /spec\.acme: must be a mapping/],
  ["no server", { privateKeySecretRef: { name: "a" } }, /spec\.acme\.server: is required/],
  ["a server that is no URL", { ...minimal, server: "acme.example" }, /spec\.acme\.server: "acme\.example" is not an https:\/\/ URL/],
  ["no privateKeySecretRef", { server: minimal.server }, /spec\.acme\.privateKeySecretRef: is required/],
  ["a Secret name that is no name", { ...minimal, privateKeySecretRef: { name: "../x" } }, /privateKeySecretRef\.name: "\.\.\/x" is not a valid Secret name/],
  ["EAB without keyID", { ...minimal, externalAccountBinding: { keySecretRef: { name: "eab", key: "k" } } }, /externalAccountBinding\.keyID: is required/],
  ["EAB Secret without key", { ...minimal, externalAccountBinding: { keyID: "k", keySecretRef: { name: "eab" } } }, /externalAccountBinding\.keySecretRef\.key: is required/],
  ["caBundle that is not PEM", { ...minimal, caBundle: "bm90IGEgY2VydA==" }, /caBundle: must be base64-encoded PEM/],
  ["caBundle and skipTLSVerify", { ...minimal, caBundle: Buffer.from("-----BEGIN CERTIFICATE-----").toString("base64"), skipTLSVerify: true }, /cannot both be set/],
  ["skipTLSVerify not a boolean", { ...minimal, skipTLSVerify: "yes" }, /skipTLSVerify: must be true or false/],
  ["solvers not a list", { ...minimal, solvers: { http01: {} } }, /spec\.acme\.solvers: must be a list/],
  ["a solver with both types", { ...minimal, solvers: [{ http01: {}, dns01: { cloudflare: {} } }] }, /solvers\[0\]: must have exactly one of http01 and dns01/],
  ["a solver with neither", { ...minimal, solvers: [{ selector: {} }] }, /solvers\[0\]: must have exactly one of http01 and dns01/],
  ["two DNS providers", { ...minimal, solvers: [{ dns01: { cloudflare: {}, rfc2136: {} } }] }, /solvers\[0\]\.dns01: must configure exactly one provider \(gitcert supports: cloudflare, rfc2136\)/],
  ["a cert-manager provider gitcert lacks", { ...minimal, solvers: [{ dns01: { akamai: {} } }] }, /solvers\[0\]\.dns01\.akamai: is a cert-manager provider gitcert does not support \(gitcert supports: cloudflare, rfc2136\)/],
  ["no provider at all", { ...minimal, solvers: [{ dns01: { cnameStrategy: "Follow" } }] }, /must configure exactly one provider/],
  ["a bad cnameStrategy", { ...minimal, solvers: [{ dns01: { cnameStrategy: "Always", cloudflare: {} } }] }, /cnameStrategy: "Always" is not supported \(use None or Follow\)/],
  ["the provider's own validation", { ...minimal, solvers: [{ dns01: { rfc2136: {} } }] }, /solvers\[0\]\.dns01\.rfc2136\.nameserver: is required/],
  ["bad selector fields", { ...minimal, solvers: [{ selector: { dnsNames: "a", matchLabels: { a: 1 } }, http01: {} }] }, /selector\.matchLabels\["a"\]: must be a string.*|selector\.dnsNames: must be a list/],
];
for (const [name, raw, want] of bad) {
  test(`spec.acme: ${name}`, () => {
    const { spec, errors } = parseAcmeSpec(raw);
    assert.equal(spec, undefined);
    assert.match(errors.join("\n"), want);
  });
}

/** The issuer's problems as readIssuer() reports them. */
function validate(issuer: Parameters<typeof readIssuer>[1]) {
  const acme = createAcmeIssuer();
  const r = readIssuer(new Map([["acme", acme]]), issuer, "cert-manager");
  return r.ok ? [] : r.problems;
}

test("reading the issuer reports spec problems against the Issuer", () => {
  const issuer = { kind: "Issuer" as const, name: "le", namespace: "shop", source: { file: "i.yaml", line: 3 }, spec: { acme: { server: "https://acme.example/dir" } } };
  const [d, ...rest] = validate(issuer);
  assert.equal(rest.length, 0);
  assert.equal(d!.code, "InvalidIssuer");
  assert.deepEqual(d!.object, { kind: "Issuer", namespace: "shop", name: "le" });
  assert.deepEqual(d!.source, { file: "i.yaml", line: 3 });
  assert.match(d!.message, /privateKeySecretRef: is required/);
  // gitcert's DNS-01 providers are the registry's.
  const withDns = { ...issuer, spec: { acme: { ...minimal, solvers: [{ dns01: { digitalocean: {} } }] } } };
  assert.match(validate(withDns)[0]!.message, /digitalocean: is a cert-manager provider gitcert does not support \(gitcert supports: .*rfc2136.*\)/);
});

const sans = { commonName: undefined as string | undefined, dnsNames: [] as string[], ipAddresses: [] as string[], emailAddresses: [] as string[], uris: [] as string[] };
test("order identifiers: the common name joins the DNS names, once, lower case; IPs as ip", () => {
  assert.deepEqual(orderIdentifiers({ ...sans, commonName: "WWW.example.com", dnsNames: ["www.example.com", "example.com"], ipAddresses: ["192.0.2.1"] }), [
    { type: "dns", value: "www.example.com" },
    { type: "dns", value: "example.com" },
    { type: "ip", value: "192.0.2.1" },
  ]);
  assert.deepEqual(orderIdentifiers({ ...sans, commonName: "192.0.2.7" }), [{ type: "ip", value: "192.0.2.7" }]);
});

test("order identifiers: e-mail and URI SANs cannot be validated by ACME", () => {
  assert.throws(() => orderIdentifiers({ ...sans, dnsNames: ["a.example"], emailAddresses: ["a@example.com"], uris: ["spiffe://x"] }), (e: unknown) => {
    assert.ok(e instanceof GitcertError);
    assert.equal(e.code, "AcmeUnsupportedSans");
    assert.match(e.message, /remove emailAddresses and uris/);
    return true;
  });
  assert.throws(() => orderIdentifiers(sans), /at least one DNS name or IP address/);
});
