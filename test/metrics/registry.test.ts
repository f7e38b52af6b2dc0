import assert from "node:assert/strict";
import { test } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { GitcertMetrics, type CertificateMetric } from "../../src/metrics/index.ts";

const issuer = { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" };
const site: CertificateMetric = {
  name: "site",
  namespace: "web",
  issuer,
  ready: "True",
  notBefore: Date.parse("2026-06-01T00:00:00Z"),
  notAfter: Date.parse("2026-08-30T00:00:00Z"),
  renewalTime: Date.parse("2026-07-31T00:00:00Z"),
};
const broken: CertificateMetric = { name: "broken", namespace: "api", issuer: { name: "ca", kind: "Issuer", group: "cert-manager.io" }, ready: "False" };

async function scrape(metrics: GitcertMetrics) {
  return new Map(parsePrometheusTextFormat(await metrics.text()).map((f) => [f.name, f]));
}

function sample(families: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string>): number | undefined {
  const family = families.get(name);
  const found = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return found?.value === undefined ? undefined : Number(found.value);
}

test("certificate series carry cert-manager's names and labels; the expiration is notAfter", async () => {
  const metrics = new GitcertMetrics({ processMetrics: false });
  metrics.setInventory([site, broken]);
  const families = await scrape(metrics);
  const labels = { name: "site", namespace: "web", issuer_name: "letsencrypt", issuer_kind: "ClusterIssuer", issuer_group: "cert-manager.io" };
  assert.equal(sample(families, "certmanager_certificate_expiration_timestamp_seconds", labels), site.notAfter! / 1000);
  assert.equal(sample(families, "certmanager_certificate_not_after_timestamp_seconds", labels), site.notAfter! / 1000);
  assert.equal(sample(families, "certmanager_certificate_not_before_timestamp_seconds", labels), site.notBefore! / 1000);
  assert.equal(sample(families, "certmanager_certificate_renewal_timestamp_seconds", labels), site.renewalTime! / 1000);
  // Unknown times read 0, as cert-manager's collector reports them.
  assert.equal(sample(families, "certmanager_certificate_expiration_timestamp_seconds", { name: "broken" }), 0);
  assert.deepEqual(Object.keys(families.get("certmanager_certificate_expiration_timestamp_seconds")!.metrics[0]!.labels!).sort(), ["issuer_group", "issuer_kind", "issuer_name", "name", "namespace"]);
});

test("ready status: one series per condition, 1 on the certificate's own", async () => {
  const metrics = new GitcertMetrics({ processMetrics: false });
  metrics.setInventory([site, broken]);
  const families = await scrape(metrics);
  const ready = (name: string, condition: string) => sample(families, "certmanager_certificate_ready_status", { name, condition });
  assert.deepEqual([ready("site", "True"), ready("site", "False"), ready("site", "Unknown")], [1, 0, 0]);
  assert.deepEqual([ready("broken", "True"), ready("broken", "False"), ready("broken", "Unknown")], [0, 1, 0]);
});

test("a Certificate gone from Git leaves no series behind", async () => {
  const metrics = new GitcertMetrics({ processMetrics: false });
  metrics.setInventory([site, broken]);
  await scrape(metrics);
  metrics.setInventory([site]);
  const families = await scrape(metrics);
  assert.equal(sample(families, "certmanager_certificate_ready_status", { name: "broken" }), undefined);
  assert.equal(families.get("certmanager_certificate_ready_status")!.metrics.length, 3);
});

test("issuer readiness, as cert-manager labels Issuers and ClusterIssuers", async () => {
  const metrics = new GitcertMetrics({ processMetrics: false });
  metrics.setInventory([], [
    { kind: "Issuer", name: "ca", namespace: "api", ready: "False" },
    { kind: "ClusterIssuer", name: "letsencrypt", ready: "True" },
  ]);
  const families = await scrape(metrics);
  assert.equal(sample(families, "certmanager_issuer_ready_status", { name: "ca", namespace: "api", condition: "False" }), 1);
  assert.equal(sample(families, "certmanager_clusterissuer_ready_status", { name: "letsencrypt", condition: "True" }), 1);
});

test("ACME requests counted and timed with cert-manager's labels (scheme, host, action, method, status)", async () => {
  const metrics = new GitcertMetrics({ processMetrics: false });
  const labels = { scheme: "https", host: "acme.example:14000", action: "finalize_order", method: "POST", status: 200 };
  metrics.acmeRequest(labels, 0.25);
  metrics.acmeRequest(labels, 0.75);
  metrics.acmeRequest({ ...labels, status: 999 }, 5);
  const families = await scrape(metrics);
  assert.equal(sample(families, "certmanager_http_acme_client_request_count", { ...labels, status: "200" }), 2);
  assert.equal(sample(families, "certmanager_http_acme_client_request_count", { ...labels, status: "999" }), 1);
  // The parser folds labelled summaries into one sample, so only the family is read here.
  const summary = families.get("certmanager_http_acme_client_request_duration_seconds")!;
  assert.equal(summary.type, "SUMMARY");
  assert.deepEqual(Object.keys(summary.metrics[0]!.quantiles!).sort(), ["0.5", "0.9", "0.99"]);
});

test("gitcert's own: reconcile duration, last success, commits, push retries, plan actions, failures by issuer", async () => {
  const metrics = new GitcertMetrics({ processMetrics: false });
  const endedAt = new Date("2026-06-10T12:00:00Z");
  metrics.reconciled({ trigger: "schedule", seconds: 1.5, ok: true, commitsPushed: 1, pushRetries: 2, actions: { ok: 3, renew: 1 }, failures: [] }, endedAt);
  metrics.reconciled({ trigger: "webhook", seconds: 0.5, ok: false, commitsPushed: 0, pushRetries: 0, actions: { ok: 3, blocked: 1 }, failures: [issuer, issuer] }, new Date("2026-06-10T12:05:00Z"));
  const families = await scrape(metrics);
  assert.equal(sample(families, "gitcert_last_successful_reconcile_timestamp_seconds", {}), endedAt.getTime() / 1000);
  assert.equal(sample(families, "gitcert_commits_pushed_total", {}), 1);
  assert.equal(sample(families, "gitcert_push_retries_total", {}), 2);
  assert.equal(sample(families, "gitcert_reconciles_total", { trigger: "webhook", result: "error" }), 1);
  assert.equal(sample(families, "gitcert_certificates", { action: "blocked" }), 1);
  assert.equal(sample(families, "gitcert_certificates", { action: "renew" }), undefined, "the latest plan only");
  assert.equal(sample(families, "gitcert_issuance_failures_total", { issuer_name: "letsencrypt", issuer_kind: "ClusterIssuer" }), 2);
  assert.equal(families.get("gitcert_reconcile_duration_seconds")!.type, "HISTOGRAM");
});

test("process metrics are there for the memory and CPU dashboards", async () => {
  const families = await scrape(new GitcertMetrics());
  assert.ok(families.has("process_resident_memory_bytes"));
  assert.ok(families.has("certmanager_clock_time_seconds_gauge"));
});
