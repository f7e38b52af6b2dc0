// Problem documents, Retry-After, Link headers and per-account rate limits:
// the small rules the ACME client's failures are built from.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeProblem, redactTokens } from "../../src/acme/problem.ts";
import { DEFAULT_RATE_LIMIT_MS, RateLimitGate } from "../../src/acme/rate-limit.ts";
import { parseRetryAfter } from "../../src/acme/retry-after.ts";
import { parseLinks } from "../../src/acme/transport.ts";
import { KeyedLock } from "../../src/acme/keyed-lock.ts";
import { GitcertError } from "../../src/diagnostics.ts";

test("a problem reads as type: detail (identifier), subproblems after", () => {
  assert.equal(
    describeProblem({ type: "urn:ietf:params:acme:error:rejectedIdentifier", detail: "Policy forbids\n issuing", identifier: { type: "dns", value: "x.example" } }),
    "urn:ietf:params:acme:error:rejectedIdentifier: Policy forbids issuing (identifier dns:x.example)",
  );
  assert.equal(
    describeProblem({
      type: "urn:ietf:params:acme:error:malformed",
      detail: "Some identifiers were rejected",
      subproblems: [
        { type: "urn:ietf:params:acme:error:caa", detail: "CAA forbids", identifier: { type: "dns", value: "a.example" } },
        { type: "urn:ietf:params:acme:error:dns", identifier: { type: "dns", value: "b.example" } },
      ],
    }),
    "urn:ietf:params:acme:error:malformed: Some identifiers were rejected; subproblems: urn:ietf:params:acme:error:caa: CAA forbids (identifier dns:a.example); urn:ietf:params:acme:error:dns (identifier dns:b.example)",
  );
});

test("tokens and key authorizations are left out of messages", () => {
  const token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
  const text = `Get "http://a.example/.well-known/acme-challenge/${token}": 404; expected "${token}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"`;
  const out = redactTokens(text, [token]);
  assert.ok(!out.includes(token));
  assert.match(out, /acme-challenge\/<token>/);
  assert.match(out, /expected "<token>\.9jg46/);
});

const now = new Date("2026-03-01T12:00:00Z");
const retryCases: Array<[string | undefined, string | undefined]> = [
  ["120", "2026-03-01T12:02:00.000Z"],
  ["0", "2026-03-01T12:00:00.000Z"],
  ["Sun, 01 Mar 2026 13:00:00 GMT", "2026-03-01T13:00:00.000Z"],
  ["Sun, 01 Mar 2026 11:00:00 GMT", "2026-03-01T12:00:00.000Z"],
  ["soon", undefined],
  [undefined, undefined],
];
for (const [header, want] of retryCases) {
  test(`Retry-After ${JSON.stringify(header)}`, () => assert.equal(parseRetryAfter(header, now)?.toISOString(), want));
}

test("Link headers: several lines and several entries per line, made absolute", () => {
  const raw = ["Link", '<https://ca.example/dir>;rel="index"', "Content-Type", "x", "link", '</cert/1/alt/1>; rel="alternate", <https://ca.example/cert/1/alt/2>;rel=alternate'];
  assert.deepEqual(parseLinks(raw, "https://ca.example/cert/1"), [
    { url: "https://ca.example/dir", rel: "index" },
    { url: "https://ca.example/cert/1/alt/1", rel: "alternate" },
    { url: "https://ca.example/cert/1/alt/2", rel: "alternate" },
  ]);
});

test("a rate-limited account refuses every request until Retry-After", () => {
  const gate = new RateLimitGate("https://ca.example/dir");
  gate.check(now);
  const problem = { type: "urn:ietf:params:acme:error:rateLimited", detail: "too many new orders" };
  const err = gate.record(problem, new Date(now.getTime() + 600_000), now);
  assert.ok(err instanceof GitcertError);
  assert.equal(err.code, "AcmeRateLimited");
  assert.match(err.message, /the ACME server https:\/\/ca\.example\/dir rate-limited this account \(urn:ietf:params:acme:error:rateLimited: too many new orders\); no request is sent on this account before 2026-03-01T12:10:00\.000Z/);
  assert.throws(() => gate.check(new Date(now.getTime() + 599_000)), /AcmeRateLimited|rate-limited/);
  gate.check(new Date(now.getTime() + 600_000));
});

test("a rate limit without Retry-After holds for an hour; a shorter later one does not shorten it", () => {
  const gate = new RateLimitGate("acct");
  gate.record({ type: "urn:ietf:params:acme:error:rateLimited" }, undefined, now);
  assert.equal(gate.limitedUntil(now)?.getTime(), now.getTime() + DEFAULT_RATE_LIMIT_MS);
  gate.record({ type: "urn:ietf:params:acme:error:rateLimited" }, new Date(now.getTime() + 60_000), now);
  assert.equal(gate.limitedUntil(now)?.getTime(), now.getTime() + DEFAULT_RATE_LIMIT_MS);
});

test("KeyedLock: one holder per key, others wait their turn; other keys run alongside", async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const step = (key: string, name: string, ms: number) =>
    lock.run(key, async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
    });
  await Promise.all([step("a", "1", 30), step("a", "2", 1), step("b", "3", 1)]);
  assert.deepEqual(log.filter((e) => e.startsWith("1") || e.startsWith("2")), ["1+", "1-", "2+", "2-"]);
  assert.ok(log.indexOf("3-") < log.indexOf("1-"), "key b did not wait for key a");
});
