import assert from "node:assert/strict";
import { test } from "node:test";
import { nextFailureLog, parseFailureLog, renderFailureLog } from "../../src/plan/index.ts";

const t0 = new Date("2026-06-01T00:00:00Z");
const t1 = new Date("2026-06-01T01:00:00Z");

test("failure log: attempts count up per spec, clear on success, and vanish with the Certificate", () => {
  let log = nextFailureLog(new Map(), [{ key: "a/web", requestHash: "h1", issuerHash: "i", ok: false, message: "rateLimited" }], new Set(["a/web"]), t0);
  log = nextFailureLog(log, [{ key: "a/web", requestHash: "h1", issuerHash: "i", ok: false, message: "again" }], new Set(["a/web"]), t1);
  assert.equal(log.get("a/web")?.attempts, 2);
  const changedSpec = nextFailureLog(log, [{ key: "a/web", requestHash: "h2", issuerHash: "i", ok: false }], new Set(["a/web"]), t1);
  assert.equal(changedSpec.get("a/web")?.attempts, 1, "a new spec starts over");
  const changedIssuer = nextFailureLog(log, [{ key: "a/web", requestHash: "h1", issuerHash: "j", ok: false }], new Set(["a/web"]), t1);
  assert.equal(changedIssuer.get("a/web")?.attempts, 1, "so does a new issuer spec");
  assert.equal(nextFailureLog(log, [{ key: "a/web", requestHash: "h1", issuerHash: "i", ok: true }], new Set(["a/web"]), t1).size, 0);
  assert.equal(nextFailureLog(log, [], new Set(), t1).size, 0, "a deleted Certificate takes its record with it");
});

test("failure log: round-trips through its text, stable for an unchanged log, tolerant of damage", () => {
  const log = nextFailureLog(new Map(), [{ key: "b/x", requestHash: "h", issuerHash: "i", ok: false, message: "m" }, { key: "a/y", requestHash: "h", issuerHash: "i", ok: false, message: "n" }], new Set(["a/y", "b/x"]), t0);
  const text = renderFailureLog(log);
  assert.equal(renderFailureLog(parseFailureLog(text)), text);
  assert.ok(text.indexOf("a/y") < text.indexOf("b/x"), "sorted, so equal logs are equal bytes");
  assert.equal(renderFailureLog(new Map()), "");
  assert.equal(parseFailureLog("{not json").size, 0);
});

test("failure log: a rate limit's Retry-After is kept across runs", () => {
  const retryAfter = new Date("2026-06-03T00:00:00Z");
  const log = nextFailureLog(new Map(), [{ key: "a/web", requestHash: "h", issuerHash: "i", ok: false, message: "rateLimited", retryAfter }], new Set(["a/web"]), t0);
  assert.equal(parseFailureLog(renderFailureLog(log)).get("a/web")?.notBefore?.toISOString(), retryAfter.toISOString());
});
