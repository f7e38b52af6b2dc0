import assert from "node:assert/strict";
import { test } from "node:test";
import { renewalTime } from "../../src/plan/index.ts";

const notBefore = new Date("2026-01-01T00:00:00Z");
const day = 86400;

// cert-manager pkg/util/pki/renewaltime.go, case by case.
const cases = [
  { name: "default: one third of the lifetime before expiry", lifetime: 90 * day, spec: {}, renewAt: "2026-03-02T00:00:00Z" },
  { name: "renewBefore inside the lifetime is used", lifetime: 90 * day, spec: { renewBefore: 15 * day }, renewAt: "2026-03-17T00:00:00Z" },
  { name: "renewBefore longer than the lifetime falls back to one third", lifetime: 30 * day, spec: { renewBefore: 60 * day }, renewAt: "2026-01-21T00:00:00Z" },
  { name: "renewBeforePercentage", lifetime: 100 * day, spec: { renewBeforePercentage: 25 }, renewAt: "2026-03-17T00:00:00Z" },
  { name: "truncated to the second", lifetime: 10, spec: {}, renewAt: "2026-01-01T00:00:06Z" },
];

for (const c of cases) {
  test(`renewal time: ${c.name}`, () => {
    const notAfter = new Date(notBefore.getTime() + c.lifetime * 1000);
    const at = renewalTime(notBefore, notAfter, { renewalPolicy: "RenewBefore", ...c.spec });
    assert.equal(at?.toISOString().replace(".000Z", "Z"), c.renewAt);
  });
}

test("renewal time: policy Disabled never renews", () => {
  assert.equal(renewalTime(notBefore, new Date("2026-04-01T00:00:00Z"), { renewalPolicy: "Disabled" }), undefined);
});
