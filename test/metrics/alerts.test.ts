// deploy/monitoring's alerts, run for real: promtool (Prometheus's own rule
// checker and unit-test runner, built by scripts/peers.sh) checks the rules
// and runs test/metrics/alerts.promtool.yaml against them — each alert fires
// when it should and stays quiet when it should not. And every series the
// rules read is one gitcert exports, with the labels they group by, so a
// renamed metric or label fails here instead of silencing an alert.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { parse as parseYaml, stringify } from "yaml";
import { GitcertMetrics } from "../../src/metrics/index.ts";
import { tempDir } from "../helpers.ts";
import { peer } from "../peers/tools.ts";

const ROOT = join(import.meta.dirname, "../..");

interface Rule {
  alert: string;
  expr: string;
}

function ruleGroups(): { groups: Array<{ name: string; rules: Rule[] }> } {
  const rule = parseYaml(readFileSync(join(ROOT, "deploy/monitoring/prometheusrule.yaml"), "utf8")) as { kind: string; spec: { groups: Array<{ name: string; rules: Rule[] }> } };
  assert.equal(rule.kind, "PrometheusRule");
  return rule.spec;
}

test("the PrometheusRule's alerts pass promtool's check and fire exactly as alerts.promtool.yaml expects", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "rules.yaml"), stringify(ruleGroups()));
  copyFileSync(join(import.meta.dirname, "alerts.promtool.yaml"), join(dir, "alerts.promtool.yaml"));
  const promtool = peer("promtool");
  const checked = execFileSync(promtool, ["check", "rules", "rules.yaml"], { cwd: dir, encoding: "utf8" });
  assert.match(checked, /SUCCESS: 7 rules found/);
  const tested = execFileSync(promtool, ["test", "rules", "alerts.promtool.yaml"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.match(tested, /SUCCESS/);
});

test("every alert is unit-tested, and every series it reads is one gitcert exports, with the labels it groups by", async () => {
  const groups = ruleGroups().groups;
  const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));
  const unitTests = parseYaml(readFileSync(join(import.meta.dirname, "alerts.promtool.yaml"), "utf8")) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
  const firing = new Set(unitTests.tests.flatMap((u) => u.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  const quiet = new Set(unitTests.tests.flatMap((u) => u.alert_rule_test.filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)));
  assert.deepEqual(alerts.filter((a) => !firing.has(a)), [], "each alert is seen firing");
  assert.deepEqual(alerts.filter((a) => !quiet.has(a)), [], "each alert is seen staying quiet");

  // A scrape with every family filled: a Certificate, an Issuer, a reconcile with an issuance failure.
  const metrics = new GitcertMetrics({ processMetrics: false });
  const issuer = { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" };
  metrics.setInventory([{ name: "site", namespace: "web", issuer, ready: "True", notBefore: 0, notAfter: 1e12, renewalTime: 5e11 }], [{ name: "letsencrypt", kind: "ClusterIssuer", ready: "True" }]);
  metrics.reconciled({ trigger: "schedule", ok: true, seconds: 1, commitsPushed: 1, pushRetries: 0, actions: { ok: 1 }, failures: [issuer] }, new Date());
  const families = new Map(parsePrometheusTextFormat(await metrics.text()).map((f) => [f.name, f]));
  // What Prometheus adds at scrape time: the target's job, and the exported metric's own `namespace` kept as exported_namespace.
  const added = new Set(["job"]);
  const asExported = (label: string) => (label === "exported_namespace" ? "namespace" : label);
  for (const { alert, expr } of groups.flatMap((g) => g.rules)) {
    const names = [...expr.matchAll(/\b((?:certmanager|gitcert)_\w+)/g)].map((m) => m[1]!);
    assert.ok(names.length > 0 || alert === "GitcertAbsent", `${alert} reads a gitcert series`);
    const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(",").map((l) => l.trim()));
    const matched = [...expr.matchAll(/(\w+)="[^"]*"/g)].map((m) => m[1]!);
    for (const name of names) {
      const family = families.get(name);
      assert.ok(family, `${alert}: gitcert exports ${name}`);
      const labels = new Set(family.metrics.flatMap((m) => Object.keys(m.labels ?? {})));
      for (const label of [...grouped, ...matched].filter((l) => !added.has(l))) assert.ok(labels.has(asExported(label)), `${alert}: ${name} has the label ${label}`);
    }
  }
});
