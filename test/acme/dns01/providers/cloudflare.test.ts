// The Cloudflare provider against a double of the documented v4 API.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { cloudflareProvider, createCloudflareProvider } from "../../../../src/acme/dns01/providers/cloudflare/index.ts";
import { GitcertError } from "../../../../src/diagnostics.ts";
import { TEST_EMAIL, TEST_GLOBAL_KEY, TEST_TOKEN, startCloudflareDouble } from "./cloudflare-double.ts";
import type { CloudflareDouble } from "./cloudflare-double.ts";
import { configProblems, context } from "../helpers.ts";
import { listenOnLoopback } from "../../../peers/loopback.ts";

let double: CloudflareDouble;
let provider: ReturnType<typeof createCloudflareProvider>;

const ACTIVE = "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a";
const PENDING = "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b";
const SUB = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";

before(async () => {
  double = await startCloudflareDouble([
    // The same name on two accounts: a pending copy first, the active zone on page 2.
    { id: PENDING, name: "example.test", status: "pending", account: "someone-else" },
    { id: ACTIVE, name: "example.test", status: "active", account: "ours" },
    { id: SUB, name: "sub.example.test", status: "active", account: "ours" },
  ]);
  provider = createCloudflareProvider({ apiBaseURL: `${double.url}/client/v4`, requestTimeoutMs: 2000 });
});

after(async () => {
  await double?.close();
});

beforeEach(() => {
  double.records.length = 0;
  double.requests.length = 0;
  double.maxPerPage = 1;
  double.failNextCreate = undefined;
});

const tokenCtx = (token = TEST_TOKEN) => context(cloudflareProvider, { apiTokenSecretRef: { name: "cloudflare", key: "api-token" } }, { "cloudflare/api-token": `${token}\n` });
const keyCtx = () => context(cloudflareProvider, { email: TEST_EMAIL, apiKeySecretRef: { name: "cloudflare", key: "api-key" } }, { "cloudflare/api-key": TEST_GLOBAL_KEY });
const record = (value: string, domain = "www.example.test") => ({ domain, fqdn: `_acme-challenge.${domain.replace(/^\*\./, "")}.`, value });

describe("cloudflare against the API double", () => {
  it("walks up to the zone, takes the active one from page 2, creates a quoted TXT and deletes it", async () => {
    await provider.present(record("token-value"), tokenCtx());
    assert.equal(double.records.length, 1);
    assert.deepEqual(
      { ...double.records[0], id: undefined },
      { id: undefined, zone_id: ACTIVE, zone_name: "example.test", type: "TXT", name: "_acme-challenge.www.example.test", content: '"token-value"', ttl: 120 },
    );
    const zoneQueries = double.requests.filter((r) => r.url.startsWith("/client/v4/zones?")).map((r) => new URL(r.url, "http://x").searchParams);
    assert.deepEqual(
      zoneQueries.map((p) => `${p.get("name")} page ${p.get("page")}`),
      ["_acme-challenge.www.example.test page 1", "www.example.test page 1", "example.test page 1", "example.test page 2"],
    );
    for (const r of double.requests) assert.equal(r.headers.authorization, `Bearer ${TEST_TOKEN}`);
    const post = double.requests.find((r) => r.method === "POST")!;
    assert.equal(post.url, `/client/v4/zones/${ACTIVE}/dns_records`);
    assert.equal(post.headers["content-type"], "application/json");

    await provider.cleanUp(record("token-value"), tokenCtx());
    assert.deepEqual(double.records, []);
    assert.ok(double.requests.some((r) => r.method === "DELETE" && r.url.startsWith(`/client/v4/zones/${ACTIVE}/dns_records/`)));
  });

  it("authenticates with the legacy global key and email", async () => {
    await provider.present(record("key-value"), keyCtx());
    for (const r of double.requests) {
      assert.equal(r.headers["x-auth-email"], TEST_EMAIL);
      assert.equal(r.headers["x-auth-key"], TEST_GLOBAL_KEY);
      assert.equal(r.headers.authorization, undefined);
    }
    assert.equal(double.records.length, 1);
  });

  it("prefers the nearest zone", async () => {
    await provider.present(record("nested", "a.sub.example.test"), tokenCtx());
    assert.equal(double.records[0]!.zone_id, SUB);
  });

  it("keeps apex and wildcard values apart, follows record pages, deletes only its own", async () => {
    const apex = record("apex-value", "both.example.test");
    const wildcard = record("wildcard-value", "*.both.example.test");
    await provider.present(apex, tokenCtx());
    await provider.present(wildcard, tokenCtx());
    await provider.present(wildcard, tokenCtx()); // already there: no second record
    assert.deepEqual(double.records.map((r) => r.content).sort(), ['"apex-value"', '"wildcard-value"']);
    // With one record per page the wildcard's record is on page 2 of the list.
    await provider.cleanUp(wildcard, tokenCtx());
    assert.deepEqual(double.records.map((r) => r.content), ['"apex-value"']);
    await provider.cleanUp(apex, tokenCtx());
    await provider.cleanUp(apex, tokenCtx()); // nothing left: fine
    assert.deepEqual(double.records, []);
  });

  it("recognises an unquoted record created by another client", async () => {
    double.records.push({ id: "ffffffffffffffffffffffffffffffff", zone_id: ACTIVE, zone_name: "example.test", type: "TXT", name: "_acme-challenge.www.example.test", content: "legacy", ttl: 120 });
    await provider.present(record("legacy"), tokenCtx());
    assert.equal(double.records.length, 1);
    await provider.cleanUp(record("legacy"), tokenCtx());
    assert.deepEqual(double.records, []);
  });

  it("treats 81058 (identical record exists) on create as done", async () => {
    double.failNextCreate = { status: 400, code: 81058, message: "An identical record already exists." };
    await provider.present(record("raced"), tokenCtx());
  });

  it("reports the error envelope, never the token", async () => {
    const wrong = "not-the-token-at-all-0000000000000000";
    const err = await provider.present(record("v"), tokenCtx(wrong)).then(
      () => assert.fail("accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GitcertError);
    assert.equal(err.code, "Dns01ProviderError");
    assert.match(err.message, /Cloudflare GET \/zones\?name=_acme-challenge\.www\.example\.test&per_page=50&page=1 failed: HTTP 403 10000: Authentication error/);
    assert.ok(!err.message.includes(wrong) && !err.message.includes(TEST_TOKEN));

    double.failNextCreate = { status: 400, code: 9005, message: "Content for TXT record is invalid." };
    await assert.rejects(provider.present(record("v"), tokenCtx()), /HTTP 400 9005: Content for TXT record is invalid\./);
  });

  it("says when no zone encloses the name", async () => {
    await assert.rejects(provider.present(record("v", "www.other.test"), tokenCtx()), (e: unknown) => e instanceof GitcertError && e.code === "Dns01ZoneNotFound" && /Zone:Read/.test(e.message));
  });

  it("refuses a token with a newline in the middle, naming the Secret only", async () => {
    const ctx = context(cloudflareProvider, { apiTokenSecretRef: { name: "cloudflare", key: "api-token" } }, { "cloudflare/api-token": "abc\ndef" });
    await assert.rejects(provider.present(record("v"), ctx), (e: unknown) => e instanceof GitcertError && e.code === "Dns01InvalidCredential" && !e.message.includes("abc"));
  });
});

describe("cloudflare config", () => {
  const ref = { name: "cf", key: "k" };
  const table: [string, Record<string, unknown>, RegExp | undefined][] = [
    ["token", { apiTokenSecretRef: ref }, undefined],
    ["key and email", { apiKeySecretRef: ref, email: "a@b.c" }, undefined],
    ["nothing", {}, /^apiTokenSecretRef: apiTokenSecretRef \(or the legacy apiKeySecretRef with email\) is required$/],
    ["key without email", { apiKeySecretRef: ref }, /^email: is required with apiKeySecretRef$/],
    ["both", { apiKeySecretRef: ref, apiTokenSecretRef: ref, email: "a@b.c" }, /not both/],
    ["ref without name", { apiTokenSecretRef: { key: "k" } }, /^apiTokenSecretRef\.name: is required$/],
  ];
  for (const [what, cfg, problem] of table) {
    it(what, () => {
      const problems = configProblems(cloudflareProvider, cfg);
      if (problem) assert.ok(problems.some((p) => problem.test(p)), `expected ${problem} in ${JSON.stringify(problems)}`);
      else assert.deepEqual(problems, []);
    });
  }
});

describe("cloudflare behind a proxy that echoes the request", () => {
  /** The error Cloudflare calls give when a proxy answers with `echo(req)` instead of JSON. */
  async function errorBehindEcho(echo: (req: import("node:http").IncomingMessage) => string): Promise<GitcertError> {
    const { createServer } = await import("node:http");
    const proxy = await listenOnLoopback(createServer((req, res) => res.writeHead(502, { "content-type": "text/html" }).end(echo(req))));
    try {
      const proxied = createCloudflareProvider({ apiBaseURL: `${proxy.url}/client/v4`, requestTimeoutMs: 2000 });
      const err = await proxied.present(record("v"), tokenCtx()).then(() => assert.fail("accepted"), (e: unknown) => e);
      assert.ok(err instanceof GitcertError);
      assert.match(err.message, /not JSON/);
      return err;
    } finally {
      await proxy.close();
    }
  }

  it("says the body was not JSON without repeating the token", async () => {
    const err = await errorBehindEcho((req) => `<pre>Bad gateway for ${JSON.stringify(req.headers)}</pre>`);
    assert.ok(!err.message.includes(TEST_TOKEN), err.message);
  });

  it("keeps out the part of a token that the 200-character excerpt would cut through", async () => {
    // The token starts 4 characters before the cut.
    const err = await errorBehindEcho((req) => `${"x".repeat(196 - "Bearer ".length)}${req.headers.authorization} trailing text`);
    assert.ok(!err.message.includes(TEST_TOKEN.slice(0, 4)), err.message);
  });
});
