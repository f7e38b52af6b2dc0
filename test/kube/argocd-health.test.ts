// The runner that evaluates Argo CD's Lua health checks gives the results
// Argo CD's own tests expect for its own test objects, so what it says about
// the status gitcert writes is what Argo CD would show.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { peerBinDir } from "../peers/tools.ts";
import { argoHealth } from "./helpers.ts";

for (const kind of ["Certificate", "Issuer", "ClusterIssuer"]) {
  test(`argo-cd's own health_test.yaml cases for cert-manager.io/${kind}`, () => {
    const dir = join(peerBinDir(), "gitops.d", "cert-manager.io", kind);
    const cases = (parseYaml(readFileSync(join(dir, "health_test.yaml"), "utf8")) as { tests: Array<{ healthStatus: { status: string; message?: string }; inputPath: string }> }).tests;
    assert.ok(cases.length >= 2);
    for (const c of cases) {
      const object = parseYaml(readFileSync(join(dir, c.inputPath), "utf8"));
      assert.deepEqual(argoHealth(kind, object), { status: c.healthStatus.status, message: c.healthStatus.message ?? "" }, c.inputPath);
    }
  });
}
