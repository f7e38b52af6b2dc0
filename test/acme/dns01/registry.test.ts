import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultDns01Providers } from "../../../src/acme/dns01/index.ts";
import { configProblems } from "./helpers.ts";

describe("defaultDns01Providers", () => {
  it("has cert-manager's solver keys, each provider under its own name", () => {
    const registry = defaultDns01Providers();
    assert.deepEqual([...registry.keys()].sort(), ["cloudflare", "rfc2136", "route53", "webhook"]);
    for (const [key, provider] of registry) assert.equal(provider.name, key);
  });

  it("rejects an empty config block with field problems, not exceptions", () => {
    for (const provider of defaultDns01Providers().values()) {
      const problems = configProblems(provider, {});
      assert.ok(problems.length > 0, provider.name);
      for (const p of problems) assert.match(p, /^[A-Za-z.]+: /);
    }
  });
});
