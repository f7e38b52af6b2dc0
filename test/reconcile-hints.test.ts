// Renewal hints come from the network (ACME ARI); a CA that does not answer
// must cost a bounded wait, never the plan.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../src/config.ts";
import type { Issuer } from "../src/issuers/types.ts";
import { ANNOTATION, formatTime, requestHash, secretHash } from "../src/plan/index.ts";
import { assess } from "../src/reconcile.ts";
import { mapping } from "../src/schema/index.ts";
import { certificateSpec } from "./fixtures/certificate-spec.ts";
import { tempDir } from "./helpers.ts";

function issuerAnswering(answer: () => Promise<{ renewalTime: Date } | undefined>): Issuer & { asked: number } {
  const issuer = {
    type: "slow",
    asked: 0,
    schema: mapping({}),
    secrets: () => [],
    sign: () => Promise.reject(new Error("not in this test")),
    renewalHint: () => {
      issuer.asked++;
      return answer();
    },
  };
  return issuer;
}

function repository(root: string, count: number): void {
  mkdirSync(join(root, "apps"), { recursive: true });
  // A renewal due is planned only for a Secret that can be encrypted.
  writeFileSync(join(root, ".sops.yaml"), "creation_rules:\n  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n");
  writeFileSync(join(root, "issuer.yaml"), "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ca}\nspec:\n  slow: {}\n");
  const spec = certificateSpec({ issuerRef: { name: "ca", kind: "ClusterIssuer", group: "cert-manager.io" } });
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    writeFileSync(
      join(root, "apps", `c${i}.yaml`),
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c${i}, namespace: shop}\nspec:\n  secretName: c${i}-tls\n  dnsNames: [web.example.com]\n  issuerRef: {name: ca, kind: ClusterIssuer}\n`,
    );
    const annotations = {
      [ANNOTATION.certificate]: `shop/c${i}`,
      [ANNOTATION.issuer]: "ClusterIssuer/ca",
      [ANNOTATION.notBefore]: formatTime(new Date(now - 86400_000)),
      [ANNOTATION.notAfter]: formatTime(new Date(now + 89 * 86400_000)),
      [ANNOTATION.requestHash]: requestHash({ ...spec, secretName: `c${i}-tls` }),
      [ANNOTATION.secretHash]: secretHash({ spec }),
      "acme.gitcert.dev/ari-cert-id": `id${i}`,
    };
    writeFileSync(
      join(root, "apps", `c${i}-tls.sops.yaml`),
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: c${i}-tls\n  namespace: shop\n  annotations:\n${Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join("\n")}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n`,
    );
  }
}

test("renewal hints: an issuer that never answers costs one bounded wait, and is not asked again in the run", async (t) => {
  const root = tempDir(t);
  repository(root, 20);
  const { config } = loadConfig({});
  const hanging = issuerAnswering(() => new Promise(() => {}));
  // Were the wait unbounded, the event loop would run dry with assess still
  // pending and node:test would fail this test.
  const { items } = await assess(root, config, { now: new Date(), issuers: new Map([["slow", hanging]]), consultIssuers: true, hintsDeadlineMs: 300 });
  assert.ok(hanging.asked <= 8, `asked ${hanging.asked} times: only the requests in flight when the deadline came`);
  assert.deepEqual(new Set(items.map((i) => i.action)), new Set(["ok"]), "the spec's renewal time is used");

  const failing = issuerAnswering(() => Promise.reject(new Error("connect ECONNREFUSED")));
  await assess(root, config, { now: new Date(), issuers: new Map([["slow", failing]]), consultIssuers: true });
  assert.ok(failing.asked <= 8, `asked ${failing.asked} times: after the first failure the issuer is left alone`);
});

test("renewal hints: a suggested time in the past renews; status (no consulting) does not ask", async (t) => {
  const root = tempDir(t);
  repository(root, 2);
  const { config } = loadConfig({});
  const due = issuerAnswering(async () => ({ renewalTime: new Date(Date.now() - 60_000) }));
  const planned = await assess(root, config, { now: new Date(), issuers: new Map([["slow", due]]), consultIssuers: true });
  assert.deepEqual(planned.items.map((i) => i.action), ["renew", "renew"]);
  const quiet = issuerAnswering(async () => ({ renewalTime: new Date(0) }));
  const status = await assess(root, config, { now: new Date(), issuers: new Map([["slow", quiet]]) });
  assert.equal(quiet.asked, 0);
  assert.deepEqual(status.items.map((i) => i.action), ["ok", "ok"]);
});
