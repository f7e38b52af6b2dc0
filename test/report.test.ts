// The status table and the commit message, from typed outcomes: what a
// person reads after `run`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { commitMessage } from "../src/commit-message.ts";
import { diagnostic } from "../src/diagnostics.ts";
import type { Outcome } from "../src/execute/index.ts";
import { plan, type PlanItem } from "../src/plan/index.ts";
import { statusRows } from "../src/report.ts";
import { certificate, issuer } from "./plan/fixtures.ts";

const now = new Date("2026-06-01T00:00:00Z");
const [item] = plan({ ready: [{ certificate: certificate(), issuer }], blocked: [], secrets: [], now, secretPathTemplate: "{dir}/{secretName}.sops.yaml", ageRecipients: ["age1fallback"], pruneSecrets: true, scanHasErrors: false }) as [PlanItem];
const ref = { kind: "Certificate", namespace: "shop", name: "web" };
const about = { certificate: ref, source: item.source, secretPath: item.secretPath, item, diagnostics: [] };
const secret = { notBefore: now.getTime(), notAfter: Date.parse("2026-08-30T00:00:00Z"), renewalTime: Date.parse("2026-07-31T00:00:00Z"), revision: 1, serial: "0a" };

const stateOf = (outcome: Outcome) => statusRows([item], [outcome])[0]!.state;

test("status after a run: issued, a failure at the CA with its next attempt, a local failure with none", () => {
  assert.equal(stateOf({ ...about, kind: "issued", reason: "DoesNotExist", message: "", issuer: { kind: "ClusterIssuer", name: "ca" }, secret }), "Issued");
  const d = { ...diagnostic("AcmeOrderFailed", "creating the order failed: urn:ietf:params:acme:error:rejectedIdentifier"), atCA: true as const };
  assert.equal(
    stateOf({ ...about, kind: "failed", reason: d.code, message: d.message, diagnostics: [d], atCA: true, retryAt: new Date("2026-06-01T01:00:00Z") }),
    "Failed at the CA: creating the order failed: urn:ietf:params:acme:error:rejectedIdentifier; next attempt after 2026-06-01T01:00:00Z (`gitcert renew shop/web` tries now)",
  );
  const local = diagnostic("NoAgeIdentity", "Secret cert-manager/root must be decrypted, but no age identity is configured");
  assert.equal(
    stateOf({ ...about, kind: "failed", reason: local.code, message: local.message, diagnostics: [local], atCA: false }),
    "Failed: Secret cert-manager/root must be decrypted, but no age identity is configured (not a failure at the CA: no backoff, the next run tries again)",
  );
});

test("the commit message lists what changed and the failures at the CA, never a local failure", () => {
  const issued: Outcome = { ...about, kind: "issued", reason: "DoesNotExist", message: "", issuer: { kind: "ClusterIssuer", name: "ca" }, secret };
  const api = { ...about, certificate: { ...ref, name: "api" } };
  const refused: Outcome = { ...api, kind: "failed", reason: "AcmeOrderFailed", message: "rejectedIdentifier", atCA: true };
  const blog = { ...about, certificate: { ...ref, name: "blog" } };
  const local: Outcome = { ...blog, kind: "failed", reason: "NoRecipients", message: "cannot encrypt", atCA: false };
  const message = commitMessage("gitcert: {summary}\\n\\n{details}", { outcomes: [issued, refused, local], stored: [] });
  assert.equal(message, "gitcert: issued 1, failed 1 certificates\n\n- issued shop/web (DoesNotExist) by ClusterIssuer/ca, valid until 2026-08-30T00:00:00Z: apps/shop/web-tls.sops.yaml\n- failed shop/api: rejectedIdentifier\n");
});
