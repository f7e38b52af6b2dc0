// The acme.* configuration rows become the ACME issuer's options.
import assert from "node:assert/strict";
import { test } from "node:test";
import { acmeOptionsFromConfig } from "../../src/acme/options.ts";
import { loadConfig } from "../../src/config.ts";

test("defaults: HTTP-01 on every interface at 8089, self-check on port 80 via the system resolver, 5 good answers in a row", () => {
  const { config, errors } = loadConfig({});
  assert.deepEqual(errors, []);
  assert.deepEqual(acmeOptionsFromConfig(config), {
    http01: { address: "", port: 8089 },
    selfCheck: { enabled: true, port: 80, nameservers: [], passes: 5 },
    dns01: { nameservers: [], propagationTimeoutMs: 300_000 },
  });
});

test("environment overrides, as for every option", () => {
  const { config, errors } = loadConfig({
    env: {
      GITCERT_ACME_HTTP01_ADDRESS: "0.0.0.0",
      GITCERT_ACME_HTTP01_PORT: "8080",
      GITCERT_ACME_HTTP01_SELF_CHECK: "false",
      GITCERT_ACME_HTTP01_SELF_CHECK_NAMESERVERS: "10.0.0.10, 10.0.0.11:5353",
      GITCERT_ACME_HTTP01_SELF_CHECK_PASSES: "1",
      GITCERT_ACME_DNS01_NAMESERVERS: "1.1.1.1:53",
      GITCERT_ACME_DNS01_PROPAGATION_TIMEOUT_SECONDS: "60",
    },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(acmeOptionsFromConfig(config), {
    http01: { address: "0.0.0.0", port: 8080 },
    selfCheck: { enabled: false, port: 80, nameservers: ["10.0.0.10", "10.0.0.11:5353"], passes: 1 },
    dns01: { nameservers: ["1.1.1.1:53"], propagationTimeoutMs: 60_000 },
  });
});
