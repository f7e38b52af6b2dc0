import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelayMs, backoffUntil } from "../../src/plan/index.ts";

const HOUR = 3600_000;

test("backoff doubles from one hour and stops growing at 32 hours", () => {
  assert.deepEqual([1, 2, 3, 6, 7, 20].map(backoffDelayMs), [HOUR, 2 * HOUR, 4 * HOUR, 32 * HOUR, 32 * HOUR, 32 * HOUR]);
});

test("no backoff once the spec changed since the failure", () => {
  const failure = { attempts: 3, lastFailureTime: new Date("2026-01-01T00:00:00Z"), requestHash: "old", message: "x" };
  assert.equal(backoffUntil(failure, "new"), undefined);
  assert.equal(backoffUntil(failure, "old")?.toISOString(), "2026-01-01T04:00:00.000Z");
});

test("a server's Retry-After outlasts the backoff when it is later", () => {
  const failure = { attempts: 1, lastFailureTime: new Date("2026-01-01T00:00:00Z"), requestHash: "h", message: "rateLimited", notBefore: new Date("2026-01-03T00:00:00Z") };
  assert.equal(backoffUntil(failure, "h")?.toISOString(), "2026-01-03T00:00:00.000Z");
  assert.equal(backoffUntil({ ...failure, notBefore: new Date("2026-01-01T00:10:00Z") }, "h")?.toISOString(), "2026-01-01T01:00:00.000Z");
});
