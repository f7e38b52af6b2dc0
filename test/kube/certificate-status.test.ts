// The status and Events gitcert writes for a Certificate, from real plans:
// cert-manager's conditions, reasons and messages for each thing a
// reconcile can do.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Outcome } from "../../src/execute/index.ts";
import { certificateEvents } from "../../src/kube/certificate-events.ts";
import { certificateStatus, type CertificateStatus } from "../../src/kube/certificate-status.ts";
import { nextFailureLog, plan, type FailureRecord, type PlanInput, type PlanItem } from "../../src/plan/index.ts";
import { certificate, issuer, secretFor } from "../plan/fixtures.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;

function planOne(options: { secret?: "none" | "valid" | "due" | "expired"; failures?: Map<string, FailureRecord>; blocked?: string; extra?: Partial<PlanInput> } = {}): PlanItem {
  const cert = certificate();
  const secrets = {
    none: [],
    valid: [secretFor(cert, new Date(NOW.getTime() - 10 * DAY), new Date(NOW.getTime() + 80 * DAY))],
    due: [secretFor(cert, new Date(NOW.getTime() - 70 * DAY), new Date(NOW.getTime() + 20 * DAY))],
    expired: [secretFor(cert, new Date(NOW.getTime() - 100 * DAY), new Date(NOW.getTime() - DAY))],
  }[options.secret ?? "none"];
  const blocked = options.blocked ? [{ certificate: cert, diagnostics: [{ severity: "error" as const, code: "UnknownIssuer", message: options.blocked }] }] : [];
  const [item] = plan({
    ready: options.blocked ? [] : [{ certificate: cert, issuer }],
    blocked,
    secrets,
    now: NOW,
    secretPathTemplate: "{dir}/{secretName}.sops.yaml",
    // The plan blocks a Secret it could not encrypt: give it a recipient.
    ageRecipients: ["age1fallback"],
    pruneSecrets: true,
    scanHasErrors: false,
    failures: options.failures,
    ...options.extra,
  });
  return item!;
}

/** execute's outcome for a certificate it issued now (90 days, renewal at 60). */
function issued(item: PlanItem): Outcome {
  const secret = { notBefore: NOW.getTime(), notAfter: NOW.getTime() + 90 * DAY, renewalTime: NOW.getTime() + 60 * DAY, revision: (item.state?.revision ?? 0) + 1, serial: "01" };
  return { kind: "issued", certificate: item.object, reason: item.reason, message: item.message, diagnostics: [], item, issuer: { kind: "ClusterIssuer", name: "ca" }, secret };
}

/** execute's outcome for a failure at the CA. */
function failed(item: PlanItem, message = "urn:ietf:params:acme:error:rejectedIdentifier: no"): Outcome {
  return { kind: "failed", atCA: true, certificate: item.object, reason: "IssuanceFailed", message, diagnostics: [{ severity: "error", code: "IssuanceFailed", message }], item };
}

/** The failure log after `outcome` failed, as the reconcile writes it to Git. */
function logAfter(item: PlanItem, outcome: Outcome, before: ReadonlyMap<string, FailureRecord> = new Map()): FailureRecord | undefined {
  const key = "shop/web";
  return nextFailureLog(before, [{ key, requestHash: item.requestHash!, issuerHash: item.issuerHash!, ok: false, message: outcome.diagnostics[0]?.message }], new Set([key]), NOW).get(key);
}

const condition = (status: CertificateStatus, type: string) => status.conditions?.find((c) => c.type === type);

test("a first issuance: Ready True with the certificate's times, no Issuing condition, cert-manager's three Events", () => {
  const item = planOne();
  const status = certificateStatus({ item, outcome: issued(item), generation: 3, now: NOW });
  assert.deepEqual(condition(status, "Ready"), {
    type: "Ready",
    status: "True",
    reason: "Ready",
    message: "Certificate is up to date and has not expired",
    lastTransitionTime: "2026-06-01T12:00:00Z",
    observedGeneration: 3,
  });
  assert.equal(condition(status, "Issuing"), undefined);
  assert.equal(status.notAfter, "2026-08-30T12:00:00Z");
  assert.equal(status.renewalTime, "2026-07-31T12:00:00Z");
  assert.equal(status.revision, 1);
  assert.equal(status.failedIssuanceAttempts, undefined);
  assert.deepEqual(
    certificateEvents(item, issued(item), true).map((e) => `${e.type} ${e.reason}: ${e.message}`),
    [
      "Normal Issuing: Issuing certificate as Secret does not exist",
      'Normal Generated: Stored new private key in Secret resource "web-tls"',
      "Normal Issuing: The certificate has been successfully issued",
    ],
  );
});

test("a failed first issuance: Ready False DoesNotExist, Issuing False Failed, the attempt counted, a Warning Event", () => {
  const item = planOne();
  const status = certificateStatus({ item, outcome: failed(item), failure: logAfter(item, failed(item)), generation: 1, now: NOW });
  assert.equal(condition(status, "Ready")?.status, "False");
  assert.equal(condition(status, "Ready")?.reason, "DoesNotExist");
  assert.deepEqual(
    { ...condition(status, "Issuing"), lastTransitionTime: undefined },
    { type: "Issuing", status: "False", reason: "Failed", message: "The certificate request has failed to complete and will be retried: urn:ietf:params:acme:error:rejectedIdentifier: no", lastTransitionTime: undefined, observedGeneration: 1 },
  );
  assert.equal(status.failedIssuanceAttempts, 1);
  assert.equal(status.lastFailureTime, "2026-06-01T12:00:00Z");
  assert.equal(status.notAfter, undefined);
  const events = certificateEvents(item, failed(item), true);
  assert.deepEqual(events.at(-1), { type: "Warning", reason: "Failed", message: "The certificate request has failed to complete and will be retried: urn:ietf:params:acme:error:rejectedIdentifier: no" });
});

test("a failed renewal keeps Ready True while the certificate in Git is still valid, and counts on from the failure log", () => {
  const cert = certificate();
  const due = planOne({ secret: "due" });
  const earlier = new Map([["shop/web", { attempts: 2, lastFailureTime: new Date(NOW.getTime() - 5 * DAY), requestHash: due.requestHash!, issuerHash: due.issuerHash!, message: "old" }]]);
  const item = planOne({ secret: "due", failures: earlier });
  assert.equal(item.action, "renew", `${cert.name} is due for renewal`);
  const status = certificateStatus({ item, outcome: failed(item, "timeout"), failure: logAfter(item, failed(item, "timeout"), earlier), now: NOW });
  assert.equal(condition(status, "Ready")?.status, "True");
  assert.equal(condition(status, "Issuing")?.status, "False");
  assert.equal(status.failedIssuanceAttempts, 3);
  assert.equal(status.notAfter, "2026-06-21T12:00:00Z", "the certificate still in Git");
});

test("an expired certificate whose renewal failed is Ready False Expired", () => {
  const item = planOne({ secret: "expired" });
  const status = certificateStatus({ item, outcome: failed(item), now: NOW });
  assert.equal(condition(status, "Ready")?.reason, "Expired");
  assert.match(condition(status, "Ready")?.message ?? "", /^Certificate expired on Sun, 31 May 2026 12:00:00 UTC$/);
});

test("backoff: the last failure stays in Issuing and the counters, nothing is attempted, no Event", () => {
  const fresh = planOne();
  const failures = new Map([["shop/web", { attempts: 1, lastFailureTime: new Date(NOW.getTime() - 60_000), requestHash: fresh.requestHash!, issuerHash: fresh.issuerHash!, message: "rate limited" }]]);
  const item = planOne({ failures });
  assert.equal(item.reason, "Backoff");
  const status = certificateStatus({ item, failure: failures.get("shop/web"), now: NOW });
  assert.equal(condition(status, "Ready")?.reason, "DoesNotExist");
  assert.equal(condition(status, "Issuing")?.message, "The certificate request has failed to complete and will be retried: rate limited");
  assert.equal(status.failedIssuanceAttempts, 1);
  assert.equal(status.lastFailureTime, "2026-06-01T11:59:00Z");
  assert.deepEqual(certificateEvents(item, undefined, false), []);
});

test("an issuance under way (planned, not done yet) is Issuing True with cert-manager's trigger message", () => {
  const item = planOne({ secret: "due" });
  const status = certificateStatus({ item, now: NOW });
  assert.equal(condition(status, "Issuing")?.status, "True");
  assert.equal(condition(status, "Issuing")?.reason, "Renewing");
  assert.match(condition(status, "Issuing")?.message ?? "", /^Renewing certificate as renewal was scheduled at 2026-/);
  assert.equal(condition(status, "Ready")?.status, "True", "the current certificate is still good");
});

test("an up-to-date certificate clears an earlier failure; lastTransitionTime moves only when the status flips", () => {
  const failedItem = planOne();
  const before = certificateStatus({ item: failedItem, outcome: failed(failedItem), failure: logAfter(failedItem, failed(failedItem)), now: new Date(NOW.getTime() - DAY) });
  assert.equal(before.failedIssuanceAttempts, 1);
  const item = planOne({ secret: "valid" });
  const after = certificateStatus({ item, current: before, now: NOW });
  assert.equal(condition(after, "Issuing"), undefined);
  assert.equal(after.failedIssuanceAttempts, undefined);
  assert.equal(after.lastFailureTime, undefined);
  assert.equal(condition(after, "Ready")?.lastTransitionTime, "2026-06-01T12:00:00Z");
  const again = certificateStatus({ item, current: after, now: new Date(NOW.getTime() + DAY) });
  assert.deepEqual(again, after, "a second look at the same state changes nothing (no status write)");
});

test("a configuration problem is Ready False with its reason; its Warning Event only when Ready flips", () => {
  const item = planOne({ blocked: 'issuer ClusterIssuer/nope not found' });
  const status = certificateStatus({ item, now: NOW });
  assert.deepEqual([condition(status, "Ready")?.status, condition(status, "Ready")?.reason], ["False", "InvalidConfiguration"]);
  assert.equal(certificateEvents(item, undefined, true).length, 1);
  assert.equal(certificateEvents(item, undefined, false).length, 0);
});

test("fields gitcert does not own (another controller's) survive", () => {
  const item = planOne({ secret: "valid" });
  const status = certificateStatus({ item, current: { nextPrivateKeySecretName: "web-abc" }, now: NOW });
  assert.equal(status.nextPrivateKeySecretName, "web-abc");
});

test("a local failure (not at the CA) shows in Issuing, but counts no attempt: it is not in the failure log", () => {
  const item = planOne();
  const local: Outcome = { kind: "failed", atCA: false, certificate: item.object, reason: "NoRecipients", message: "no age recipient for apps/web-tls.sops.yaml", diagnostics: [{ severity: "error", code: "NoRecipients", message: "no age recipient for apps/web-tls.sops.yaml" }], item };
  const status = certificateStatus({ item, outcome: local, now: NOW });
  assert.equal(condition(status, "Issuing")?.message, "The certificate request has failed to complete and will be retried: no age recipient for apps/web-tls.sops.yaml");
  assert.equal(status.failedIssuanceAttempts, undefined);
  assert.equal(status.lastFailureTime, undefined);
});

test("a Secret's recipients changing is not the certificate's business: Ready stays True whether the rekey is due, done or held for an identity", () => {
  const cert = certificate();
  const valid = { ...secretFor(cert, new Date(NOW.getTime() - 10 * DAY), new Date(NOW.getTime() + 80 * DAY)), sopsRecipients: ["age1old"] };
  const sops = { get: (dir: string) => (dir === "" ? { path: ".sops.yaml", dir: "", config: { file: ".sops.yaml", creationRules: [{ index: 0, age: ["age1new"], otherKeyTypes: [], macOnlyEncrypted: false }] } } : null) };
  const due = planOne({ extra: { secrets: [valid], sops } });
  assert.equal(due.action, "rekey");
  const held = planOne({ extra: { secrets: [valid], sops, identityRecipients: new Set(["age1someone"]) } });
  assert.equal(held.reason, "NoIdentityForRekey");
  const done: Outcome = { kind: "rekeyed", certificate: due.object, reason: due.reason, message: due.message, diagnostics: [], item: due, recipients: due.recipients! };
  for (const [item, outcome] of [[due, undefined], [due, done], [held, undefined]] as const) {
    const status = certificateStatus({ item, outcome, now: NOW });
    assert.equal(condition(status, "Ready")?.status, "True", `${item.action}/${outcome?.kind}`);
    assert.equal(condition(status, "Issuing"), undefined);
    assert.deepEqual(certificateEvents(item, outcome, false), []);
  }
});
