// cert-manager's ACME client metrics from a real ACME server (Pebble).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { acmeOptionsFromConfig } from "../../src/acme/index.ts";
import { acmeRequestLabels } from "../../src/daemon/acme-requests.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { freePorts, startPebble, type Pebble } from "../peers/pebble.ts";
import { annotation, serveDemo } from "./helpers.ts";

let pebble: Pebble;
let port: number;
before(async () => {
  [port] = (await freePorts(1)) as [number];
  pebble = await startPebble({ httpPort: port });
});
after(() => pebble?.stop());

test("ACME requests are counted and timed with cert-manager's labels, host and action included", async (t) => {
  const config: Config = {
    ...loadConfig({}).config,
    "acme.http01.address": "127.0.0.1",
    "acme.http01.port": port,
    "acme.http01.selfCheckPort": port,
    "acme.http01.selfCheckNameservers": [pebble.dnsServer],
    "acme.http01.selfCheckPasses": 1,
  };
  const served = await serveDemo(t, {
    issuers: (metrics) => defaultIssuers({ acme: { ...acmeOptionsFromConfig(config), onRequest: (e) => metrics.acmeRequest(acmeRequestLabels(e), e.durationMs / 1000) } }),
  });
  await served.daemon.started;
  served.pushOther((clone) => {
    writeFileSync(
      join(clone, "platform/cert-manager/pebble.yaml"),
      `apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: pebble}\nspec:\n  acme:\n    server: ${pebble.directoryUrl}\n    caBundle: ${Buffer.from(pebble.tlsCaPem).toString("base64")}\n    privateKeySecretRef: {name: pebble-account}\n    solvers: [{http01: {ingress: {}}}]\n`,
    );
    writeFileSync(
      join(clone, "apps/blog/acme.yaml"),
      "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: acme}\nspec:\n  secretName: acme-tls\n  dnsNames: [acme.blog.example.com]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: pebble, kind: ClusterIssuer}\n",
    );
  }, "an ACME issuer and a Certificate from it");
  const outcome = await served.tick();
  assert.equal(outcome.status, "done");
  assert.ok(annotation(join(served.checkout(), "apps/blog/acme-tls.sops.yaml"), "gitcert.dev/not-after"), "issued by Pebble and pushed");

  const families = await served.scrape();
  const counts = families.get("certmanager_http_acme_client_request_count")!.metrics;
  const host = new URL(pebble.directoryUrl).host;
  const count = (action: string) => counts.filter((m) => m.labels?.action === action && m.labels?.host === host).reduce((n, m) => n + Number(m.value), 0);
  for (const action of ["get_directory", "register_account", "authorize_order", "get_authorization", "accept_challenge", "finalize_order"]) {
    assert.ok(count(action) >= 1, `${action} counted`);
  }
  assert.ok(counts.every((m) => m.labels?.scheme === "https" && /^\d{3}$/.test(m.labels?.status ?? "")));
  assert.equal(families.get("certmanager_http_acme_client_request_duration_seconds")!.type, "SUMMARY");
});
