// The plaintext TLS Secret gitcert renders, and reading bytes back out of a
// decrypted one.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { GitcertError } from "../../src/diagnostics.ts";
import { readSecretData, renderSecretManifest } from "../../src/secrets/secret-manifest.ts";

const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;

const input = {
  name: "web-tls",
  namespace: "shop",
  type: "kubernetes.io/tls",
  labels: { "app.kubernetes.io/name": "web", "a-first": "yes" },
  annotations: {
    "gitcert.dev/not-after": "2025-10-01T12:00:00Z",
    "cert-manager.io/certificate-name": "web",
    "gitcert.dev/revision": "3",
    "gitcert.dev/renew": "true",
  },
  data: { "tls.key": Buffer.from("KEY\n"), "tls.crt": Buffer.from("CERT\n"), "ca.crt": Buffer.from([0, 255, 1]) },
};

describe("renderSecretManifest", () => {
  it("renders a sorted, deterministic v1 Secret", () => {
    const text = renderSecretManifest(input);
    assert.equal(
      text,
      `apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: shop
  labels:
    a-first: "yes"
    app.kubernetes.io/name: web
  annotations:
    cert-manager.io/certificate-name: web
    gitcert.dev/not-after: "2025-10-01T12:00:00Z"
    gitcert.dev/renew: "true"
    gitcert.dev/revision: "3"
type: kubernetes.io/tls
data:
  ca.crt: AP8B
  tls.crt: Q0VSVAo=
  tls.key: S0VZCg==
`,
    );
    assert.equal(renderSecretManifest({ ...input, labels: { ...input.labels } }), text);
  });

  it("keeps every annotation a string for any YAML reader", () => {
    const doc = parse(renderSecretManifest(input)) as { metadata: { annotations: Record<string, unknown> } };
    assert.deepEqual(doc.metadata.annotations, input.annotations);
  });

  it("omits empty labels and annotations", () => {
    const text = renderSecretManifest({ ...input, labels: {}, annotations: {} });
    assert.doesNotMatch(text, /labels|annotations/);
  });

  it("refuses invalid data keys and a missing name", () => {
    assert.throws(() => renderSecretManifest({ ...input, data: { "../x": Buffer.from("") } }), isCode("SecretInvalid"));
    assert.throws(() => renderSecretManifest({ ...input, name: "" }), isCode("SecretInvalid"));
  });
});

describe("readSecretData", () => {
  it("decodes data and stringData, stringData winning a clash", () => {
    const got = readSecretData({ data: { "tls.crt": "Q0VSVAo=", a: "YQ==" }, stringData: { a: "b", note: "hi" } });
    assert.deepEqual(got, { "tls.crt": Buffer.from("CERT\n"), a: Buffer.from("b"), note: Buffer.from("hi") });
  });
  it("reads what renderSecretManifest wrote", () => {
    assert.deepEqual(readSecretData(parse(renderSecretManifest(input)) as Record<string, unknown>), input.data);
  });
  it("accepts a Secret without data", () => {
    assert.deepEqual(readSecretData({ kind: "Secret" }), {});
  });
  it("refuses what is not base64 or not a string, naming only the key", () => {
    assert.throws(
      () => readSecretData({ data: { "tls.key": "not base64!" } }),
      (e: unknown) => isCode("SecretInvalid")(e) && (e as Error).message.includes("tls.key") && !(e as Error).message.includes("not base64!"),
    );
    assert.throws(() => readSecretData({ stringData: { a: 1 } }), isCode("SecretInvalid"));
    assert.throws(() => readSecretData({ data: ["x"] }), isCode("SecretInvalid"));
  });
});
