// A long-running gitcert keeps plan items between ticks (plan-memo.ts): a
// kept item must never hide a renewal that falls due, nor outlive a change
// to the Secret file, the issuer or the failure log it was planned from.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CertificateResource, IssuerResource, SecretFile } from "../../src/manifests/types.ts";
import { issuerHash, plan, PlanMemo, requestHash, type FailureRecord, type PlanInput } from "../../src/plan/index.ts";
import { certificate, issuer, secretFor } from "./fixtures.ts";

const start = new Date("2026-06-01T00:00:00Z");
const hours = (h: number) => new Date(start.getTime() + h * 3600_000);

function input(cert: CertificateResource, secrets: SecretFile[], at: Date, extra: Partial<PlanInput> = {}): PlanInput {
  return { ready: [{ certificate: cert, issuer }], blocked: [], secrets, now: at, secretPathTemplate: "{dir}/{secretName}.sops.yaml", ageRecipients: ["age1fallback"], pruneSecrets: true, scanHasErrors: false, ...extra };
}

/** The memoised plan, checked against a plan made from scratch at the same time. */
function planned(memo: PlanMemo, planInput: PlanInput) {
  const [item] = plan({ ...planInput, memo });
  assert.deepEqual(item, plan(planInput)[0]);
  return item!;
}

test("a kept plan renews once the clock passes the renewal time, and expires with the certificate", () => {
  const memo = new PlanMemo();
  // 1 h certificate, renewBefore 50 m: renews 10 minutes after issuance.
  const cert = certificate({ duration: 3600, renewBefore: 3000 });
  const secret = secretFor(cert, start, hours(1));
  const first = planned(memo, input(cert, [secret], hours(0.1)));
  assert.equal(first.action, "ok");
  assert.equal(memo.planned, 1);

  const later = planned(memo, input(cert, [secret], new Date(start.getTime() + 9 * 60_000)));
  assert.equal(later, first, "nothing changed before the renewal time: the kept item");
  assert.equal(memo.reused, 1);

  const due = planned(memo, input(cert, [secret], new Date(start.getTime() + 10 * 60_000 + 1)));
  assert.equal(due.action, "renew");
  assert.equal(due.reason, "Renewing");
  assert.equal(memo.planned, 1, "planned again once the renewal time passed");

  assert.equal(planned(memo, input(cert, [secret], hours(2))).reason, "Expired");
  // A clock set back is planned again, not answered from a later plan.
  assert.equal(planned(memo, input(cert, [secret], hours(0.1))).action, "ok");
  assert.equal(memo.planned, 1);
});

test("a kept plan is made again when the Secret file, the issuer or the failure log changes", () => {
  const memo = new PlanMemo();
  const cert = certificate({ duration: 90 * 86400 });
  const old = secretFor(cert, hours(-24 * 80), hours(24 * 10));
  assert.equal(planned(memo, input(cert, [old], start)).action, "renew");

  // gitcert's renewal landed: a new Secret file.
  const renewed = secretFor(cert, hours(-1), hours(24 * 89));
  assert.equal(planned(memo, input(cert, [renewed], start)).action, "ok");
  assert.equal(memo.planned, 1);

  // The Secret file is gone from Git: issued again.
  assert.equal(planned(memo, input(cert, [], start)).reason, "DoesNotExist");

  // A failure at the CA with this issuer's spec: held by backoff until it ends.
  const failure: FailureRecord = { attempts: 1, lastFailureTime: start, requestHash: requestHash(cert.spec), issuerHash: issuerHash(issuer), message: "rate limited" };
  const failures = new Map([["shop/web", failure]]);
  const held = planned(memo, input(cert, [], hours(0.5), { failures }));
  assert.equal(held.reason, "Backoff");
  assert.equal(planned(memo, input(cert, [], hours(0.9), { failures })), held);
  assert.equal(planned(memo, input(cert, [], hours(1.01), { failures })).action, "issue", "backoff over at 1 h");

  // The issuer's spec changed: backoff starts over, whatever was kept.
  planned(memo, input(cert, [], hours(0.5), { failures }));
  const changed: IssuerResource = { ...issuer, spec: { ca: { secretName: "root-2" } } };
  const [item] = plan({ ...input(cert, [], hours(0.5), { failures }), ready: [{ certificate: cert, issuer: changed }], memo });
  assert.equal(item!.action, "issue");
  assert.equal(memo.planned, 1);

  // A renew request is planned afresh and not kept.
  const forced = plan({ ...input(cert, [renewed], start), memo, forceRenew: new Set(["shop/web"]) });
  assert.equal(forced[0]!.reason, "ManuallyTriggered");
  assert.equal(planned(memo, input(cert, [renewed], start)).action, "ok");
});

test("a change of .sops.yaml rules or settings plans every Certificate again", () => {
  const memo = new PlanMemo();
  const cert = certificate();
  planned(memo, input(cert, [], start));
  planned(memo, input(cert, [], start));
  assert.equal(memo.reused, 1);
  const moved = planned(memo, input(cert, [], start, { secretPathTemplate: "secrets/{namespace}/{secretName}.sops.yaml" }));
  assert.equal(memo.planned, 1);
  assert.equal(moved.secretPath, "secrets/shop/web-tls.sops.yaml");
});
