import assert from "node:assert/strict";
import { test } from "node:test";
import { diagnostic } from "../../src/diagnostics.ts";
import { ANNOTATION, plan, type PlanInput } from "../../src/plan/index.ts";
import { certificate, issuer, secretFor } from "./fixtures.ts";

const now = new Date("2026-06-01T00:00:00Z");
const daysFrom = (d: Date, days: number) => new Date(d.getTime() + days * 86400_000);

function planInput(): PlanInput {
  return { ready: [{ certificate: certificate(), issuer }], blocked: [], secrets: [], now, secretPathTemplate: "{dir}/{secretName}.sops.yaml", ageRecipients: ["age1fallback"], pruneSecrets: true, scanHasErrors: false };
}

function planOne(input: Partial<PlanInput> & { cert?: ReturnType<typeof certificate> }) {
  const cert = input.cert ?? certificate();
  return plan({ ...planInput(), ready: [{ certificate: cert, issuer }], ...input });
}

const fresh = certificate();
const cases: Array<{ name: string; input: Parameters<typeof planOne>[0]; action: string; reason: string }> = [
  { name: "no Secret yet", input: {}, action: "issue", reason: "DoesNotExist" },
  { name: "valid and not yet due", input: { secrets: [secretFor(fresh, daysFrom(now, -10), daysFrom(now, 80))] }, action: "ok", reason: "UpToDate" },
  { name: "past the renewal time", input: { secrets: [secretFor(fresh, daysFrom(now, -70), daysFrom(now, 20))] }, action: "renew", reason: "Renewing" },
  { name: "expired", input: { secrets: [secretFor(fresh, daysFrom(now, -100), daysFrom(now, -10))] }, action: "renew", reason: "Expired" },
  {
    name: "dnsNames changed",
    input: { cert: certificate({ dnsNames: ["web.example.com", "www.example.com"] }), secrets: [secretFor(fresh, daysFrom(now, -1), daysFrom(now, 89))] },
    action: "reissue",
    reason: "RequestChanged",
  },
  {
    name: "issued by another issuer",
    input: { secrets: [secretFor(fresh, daysFrom(now, -1), daysFrom(now, 89), { [ANNOTATION.issuer]: "ClusterIssuer/other" })] },
    action: "reissue",
    reason: "IncorrectIssuer",
  },
  {
    name: "only the secretTemplate changed: the Secret is rewritten, the certificate kept",
    input: {
      cert: certificate({ secretTemplate: { annotations: {}, labels: { team: "shop" } } }),
      secrets: [secretFor(fresh, daysFrom(now, -1), daysFrom(now, 89))],
    },
    action: "update",
    reason: "SecretTemplateChanged",
  },
  {
    name: "renewBefore changed: no new certificate, renewal time follows the spec",
    input: { cert: certificate({ renewBefore: 85 * 86400 }), secrets: [secretFor(fresh, daysFrom(now, -10), daysFrom(now, 80))] },
    action: "renew",
    reason: "Renewing",
  },
  {
    name: "a Secret gitcert did not write is never overwritten",
    input: { secrets: [{ ...secretFor(fresh, now, now), annotations: {} }] },
    action: "blocked",
    reason: "SecretNotManaged",
  },
  {
    name: "a failure of an earlier spec does not hold back the new one",
    input: { failures: new Map([["shop/web", { attempts: 2, lastFailureTime: daysFrom(now, -0.01), requestHash: "", issuerHash: "", message: "boom" }]]) },
    action: "issue",
    reason: "DoesNotExist",
  },
];

for (const c of cases) {
  test(`plan: ${c.name} → ${c.action} (${c.reason})`, () => {
    const [item] = planOne(c.input);
    assert.equal(item?.action, c.action, item?.message);
    assert.equal(item?.reason, c.reason);
  });
}

test("plan: a recent failure of the same spec backs off; the path is beside the manifest", () => {
  const [first] = planOne({});
  assert.equal(first?.secretPath, "apps/shop/web-tls.sops.yaml");
  const failures = new Map([["shop/web", { attempts: 2, lastFailureTime: new Date(now.getTime() - 60_000), requestHash: first!.requestHash!, issuerHash: first!.issuerHash!, message: "rate limited" }]]);
  const [item] = planOne({ failures });
  assert.equal(item?.action, "blocked");
  assert.equal(item?.reason, "Backoff");
  assert.equal(item?.retryAt?.toISOString(), "2026-06-01T01:59:00.000Z");
  assert.equal(item!.message, "2 failed attempts at the CA, last: rate limited; next attempt after 2026-06-01T01:59:00Z (`gitcert renew shop/web` tries now)");
  const otherServer = { ...issuer, spec: { acme: { server: "https://acme.example/other" } } };
  assert.equal(plan({ ...planInput(), failures, ready: [{ certificate: certificate(), issuer: otherServer }] })[0]?.action, "issue", "a changed issuer spec is tried at once");
});

test("plan: a Secret whose Certificate is gone is removed, unless some file failed to parse or pruning is off", () => {
  const orphan = secretFor(certificate({}, "old"), daysFrom(now, -1), daysFrom(now, 89));
  const base = { ready: [], blocked: [], secrets: [orphan], now };
  assert.equal(plan({ ...base, pruneSecrets: true, scanHasErrors: false })[0]?.action, "remove");
  assert.equal(plan({ ...base, pruneSecrets: true, scanHasErrors: true })[0]?.reason, "Orphaned");
  assert.equal(plan({ ...base, pruneSecrets: false, scanHasErrors: false })[0]?.action, "ok");
});

test("plan: a blocked Certificate keeps its Secret and carries its diagnostics", () => {
  const cert = certificate();
  const d = diagnostic("UnknownIssuer", "ClusterIssuer nope not found", { source: cert.source });
  const items = plan({
    ready: [],
    blocked: [{ certificate: cert, diagnostics: [d] }],
    secrets: [secretFor(cert, daysFrom(now, -1), daysFrom(now, 89))],
    now,
    pruneSecrets: true,
    scanHasErrors: false,
  });
  assert.deepEqual(items.map((i) => i.action), ["blocked"]);
  assert.equal(items[0]?.diagnostics[0]?.code, "UnknownIssuer");
});

test("plan: a secret path that escapes the repository is blocked", () => {
  const [item] = planOne({ secretPathTemplate: "../{secretName}.yaml" });
  assert.equal(item?.action, "blocked");
  assert.equal(item?.reason, "InvalidSecretPath");
});

test("plan: reordering dnsNames or usages is not a change", () => {
  const issued = certificate({ dnsNames: ["a.example.com", "b.example.com"], usages: ["server auth", "digital signature"] });
  const reordered = certificate({ dnsNames: ["b.example.com", "a.example.com"], usages: ["digital signature", "server auth"] });
  const [item] = planOne({ cert: reordered, secrets: [secretFor(issued, daysFrom(now, -1), daysFrom(now, 89))] });
  assert.equal(item?.action, "ok");
});

test("plan: a Certificate at the repository root gets its Secret beside it", () => {
  const cert = { ...certificate(), source: { file: "certs.yaml", line: 4 } };
  const [item] = planOne({ cert });
  assert.equal(item?.secretPath, "web-tls.sops.yaml");
});

test("plan: an issuer's suggested renewal time (ARI) replaces the spec's", () => {
  const issued = certificate();
  const secrets = [secretFor(issued, daysFrom(now, -10), daysFrom(now, 80))];
  const early = new Map([["shop/web", daysFrom(now, -0.5)]]);
  const [due] = planOne({ secrets, renewalHints: early });
  assert.equal(due?.action, "renew");
  assert.match(due!.message, /ARI/);
  const later = new Map([["shop/web", daysFrom(now, 3)]]);
  const [item] = planOne({ secrets, renewalHints: later });
  assert.equal(item?.action, "ok");
  assert.equal(item?.renewalTime, daysFrom(now, 3).getTime());
});

test("plan: gitcert renew skips backoff, as cmctl renew does", () => {
  const [first] = planOne({});
  const failures = new Map([["shop/web", { attempts: 3, lastFailureTime: now, requestHash: first!.requestHash!, issuerHash: first!.issuerHash!, message: "DNS was broken" }]]);
  assert.equal(planOne({ failures })[0]?.reason, "Backoff");
  assert.equal(planOne({ failures, forceRenew: new Set(["shop/web"]) })[0]?.action, "issue");
});

test("plan: a Secret that cannot be encrypted blocks its Certificate with the reason, ahead of any backoff", () => {
  const [first] = planOne({});
  const failures = new Map([["shop/web", { attempts: 1, lastFailureTime: now, requestHash: first!.requestHash!, issuerHash: first!.issuerHash!, message: "timeout" }]]);
  const [blocked] = planOne({ failures, ageRecipients: [] });
  assert.equal(blocked?.action, "blocked");
  assert.equal(blocked?.reason, "NoRecipients");
  assert.match(blocked!.message, /^cannot encrypt apps\/shop\/web-tls\.sops\.yaml: no \.sops\.yaml was found above it, and no --age-recipient is configured/);
  assert.equal(blocked?.retryAt, undefined);
  assert.deepEqual(blocked?.diagnostics[0]?.object, { kind: "Certificate", namespace: "shop", name: "web" });
  assert.equal(blocked?.diagnostics[0]?.source?.file, "apps/shop/certificate.yaml");
  const api = certificate({}, "api");
  const [ok] = planOne({ cert: api, ageRecipients: [], secrets: [secretFor(api, daysFrom(now, -1), daysFrom(now, 89))] });
  assert.equal(ok?.action, "ok", "a Secret that stays as it is needs no recipient");
  const [due] = planOne({ cert: api, ageRecipients: [], secrets: [secretFor(api, daysFrom(now, -80), daysFrom(now, 10))] });
  assert.equal(due?.reason, "NoRecipients", "but one due for renewal does");
});

test("plan: a renewal window defers a due renewal until it opens; an expired certificate does not wait", () => {
  // Issued 2026-05-02 for 30 days: renews at 2/3, 2026-05-22T00:00Z, a Friday.
  const secret = secretFor(fresh, new Date("2026-05-02T00:00:00Z"), new Date("2026-06-01T00:00:00Z"));
  const weekend = certificate({ renewalWindows: [{ cron: "0 6 * * sat", windowDuration: 4 * 3600 }] });
  const at = (iso: string) => planOne({ cert: weekend, secrets: [secret], now: new Date(iso) })[0]!;
  const friday = at("2026-05-22T12:00:00Z");
  assert.equal(friday.action, "ok");
  assert.equal(friday.renewalTime, Date.parse("2026-05-23T06:00:00.000Z"));
  assert.match(friday.message, /renews at 2026-05-23T06:00:00Z \(in a renewal window\)/);
  assert.equal(at("2026-05-23T06:00:00Z").action, "renew");
  assert.equal(at("2026-06-01T00:00:01Z").reason, "Expired");
  // No window before expiry (+ its duration): the desired time stands, and the plan says why.
  const never = certificate({ renewalWindows: [{ cron: "0 0 1 1 *", windowDuration: 3600 }] });
  const unfitted = planOne({ cert: never, secrets: [secret], now: new Date("2026-05-21T00:00:00Z") })[0]!;
  assert.equal(unfitted.renewalTime, Date.parse("2026-05-22T00:00:00.000Z"));
  assert.match(unfitted.message, /no renewal window opens between/);
});
