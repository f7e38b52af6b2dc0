import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelayMs, backoffUntil } from "../../src/plan/index.ts";

const HOUR = 3600_000;
const spec = { requestHash: "r", issuerHash: "i" };
const failure = { attempts: 3, lastFailureTime: new Date("2026-01-01T00:00:00Z"), message: "x", ...spec };

test("backoff doubles from one hour and stops growing at 32 hours", () => {
  assert.deepEqual([1, 2, 3, 6, 7, 20].map(backoffDelayMs), [HOUR, 2 * HOUR, 4 * HOUR, 32 * HOUR, 32 * HOUR, 32 * HOUR]);
});

test("backoff holds the same request to the same issuer", () => {
  assert.equal(backoffUntil(failure, spec)?.toISOString(), "2026-01-01T04:00:00.000Z");
});

test("no backoff once the Certificate's request or the issuer's spec changed since the failure", () => {
  assert.equal(backoffUntil(failure, { ...spec, requestHash: "new" }), undefined);
  assert.equal(backoffUntil(failure, { ...spec, issuerHash: "new" }), undefined);
});

test("a record from a log that did not keep the issuer holds nothing: it may hold a configuration mistake", () => {
  assert.equal(backoffUntil({ ...failure, issuerHash: "" }, spec), undefined);
});

test("a server's Retry-After outlasts the backoff when it is later", () => {
  const limited = { ...failure, attempts: 1, message: "rateLimited", notBefore: new Date("2026-01-03T00:00:00Z") };
  assert.equal(backoffUntil(limited, spec)?.toISOString(), "2026-01-03T00:00:00.000Z");
  assert.equal(backoffUntil({ ...limited, notBefore: new Date("2026-01-01T00:10:00Z") }, spec)?.toISOString(), "2026-01-01T01:00:00.000Z");
});
