// Reading cert-manager's spec.venafi: exactly one of tpp and cloud, the
// webhook's checks in its words, and the Secrets `plan` holds a Certificate
// back for.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/diagnostics.ts";
import { defaultIssuers, secretsOf } from "../../../src/issuers/index.ts";
import { venafiSchema } from "../../../src/issuers/venafi/schema.ts";
import { resolve } from "../../../src/manifests/resolve.ts";
import type { CertificateResource, IssuerResource } from "../../../src/manifests/types.ts";
import { problemText, read } from "../../../src/schema/index.ts";
import { certificateSpec } from "../../fixtures/certificate-spec.ts";

function parse(raw: unknown): { spec?: unknown; errors: string[] } {
  const r = read(venafiSchema, raw);
  return r.ok ? { spec: r.value, errors: [] } : { errors: r.problems.map((p) => problemText("spec.venafi", p)) };
}

const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const tpp = { url: "https://tpp.example.com/vedsdk", credentialsRef: { name: "tpp-credentials" } };
const cloud = { apiTokenSecretRef: { name: "cloud-key" } };

test("TPP and Cloud as cert-manager documents them, with its default keys", () => {
  assert.deepEqual(parse({ zone: "Certificates\\Web", tpp: { ...tpp, caBundle: Buffer.from(pem).toString("base64") } }), {
    spec: { zone: "Certificates\\Web", platform: "tpp", tpp: { ...tpp, caBundlePem: pem } },
    errors: [],
  });
  assert.deepEqual(parse({ zone: "Certificates\\Web", tpp: { ...tpp, caBundleSecretRef: { name: "tpp-ca" } } }).spec, {
    zone: "Certificates\\Web",
    platform: "tpp",
    tpp: { ...tpp, caBundleSecretRef: { name: "tpp-ca", key: "ca.crt" } },
  });
  assert.deepEqual(parse({ zone: "Web\\Default", cloud }), { spec: { zone: "Web\\Default", platform: "cloud", cloud: { apiTokenSecretRef: { name: "cloud-key", key: "api-key" } } }, errors: [] });
  assert.deepEqual(parse({ zone: "Web\\Default", cloud: { url: "https://api.eu.venafi.cloud", apiTokenSecretRef: { name: "k", key: "token" } } }).spec, {
    zone: "Web\\Default",
    platform: "cloud",
    cloud: { url: "https://api.eu.venafi.cloud", apiTokenSecretRef: { name: "k", key: "token" } },
  });
});

test("each mistake is named with its field, in cert-manager's words", () => {
  const cases: Array<[unknown, string[]]> = [
    [{ tpp }, ["spec.venafi.zone: is required"]],
    [{ zone: "z" }, ["spec.venafi: please supply one of: tpp, cloud"]],
    [{ zone: "z", tpp, cloud }, ["spec.venafi: please supply one of: tpp, cloud"]],
    [{ zone: "z", tpp: { credentialsRef: { name: "c" } } }, ["spec.venafi.tpp.url: is required"]],
    [{ zone: "z", tpp: { url: "https://tpp" } }, ["spec.venafi.tpp.credentialsRef: is required"]],
    [{ zone: "z", tpp: { ...tpp, caBundle: Buffer.from(pem).toString("base64"), caBundleSecretRef: { name: "ca" } } }, ["spec.venafi.tpp: may not specify more than one of caBundle/caBundleSecretRef as TPP CA Bundle"]],
    [{ zone: "z", cloud: {} }, ["spec.venafi.cloud.apiTokenSecretRef: is required"]],
    [{ zone: "z", cloud: { ...cloud, url: "api.venafi.cloud" } }, ['spec.venafi.cloud.url: "api.venafi.cloud" is not an http:// or https:// URL']],
  ];
  for (const [raw, expected] of cases) assert.deepEqual(parse(raw).errors, expected, JSON.stringify(raw));
});

const registry = defaultIssuers();
const issuer = (venafi: Record<string, unknown>): IssuerResource => ({ kind: "Issuer", name: "venafi", namespace: "shop", spec: { venafi }, source: { file: "apps/shop/venafi.yaml", line: 7 } });

test("the Secrets needed: TPP credentials (whichever keys) and CA bundle; Cloud's API key", () => {
  const needs = (i: IssuerResource) => secretsOf(registry, i, "cert-manager").map((n) => `${n.namespace}/${n.name} [${n.keys.join(",")}] ${n.field}`);
  assert.deepEqual(needs(issuer({ zone: "z", tpp: { ...tpp, caBundleSecretRef: { name: "tpp-ca" } } })), [
    "shop/tpp-credentials [] spec.venafi.tpp.credentialsRef",
    "shop/tpp-ca [ca.crt] spec.venafi.tpp.caBundleSecretRef",
  ]);
  assert.deepEqual(needs(issuer({ zone: "z", cloud })), ["shop/cloud-key [api-key] spec.venafi.cloud.apiTokenSecretRef"]);
});

test("plan holds back a Certificate whose TPP credentials Secret is missing, naming the issuer's file:line", () => {
  const certificate: CertificateResource = {
    name: "web",
    namespace: "shop",
    labels: {},
    source: { file: "apps/shop/web.yaml", line: 1 },
    spec: certificateSpec({ issuerRef: { name: "venafi", kind: "Issuer", group: "cert-manager.io" } }),
  };
  const scan = { issuers: [issuer({ zone: "z", tpp })], certificates: [certificate], secrets: [], kustomizations: [], diagnostics: [], stats: { files: 0, documents: 0 } };
  const { blocked } = resolve(scan, { clusterResourceNamespace: "cert-manager", issuers: registry });
  assert.equal(
    blocked.flatMap((b) => b.diagnostics.map(formatDiagnostic)).join("\n"),
    "apps/shop/web.yaml:1: Certificate shop/web: Issuer shop/venafi at apps/shop/venafi.yaml:7 is not ready: Secret shop/tpp-credentials (Venafi TPP credentials, spec.venafi.tpp.credentialsRef): not found in the repository (no cluster configured)",
  );
});
