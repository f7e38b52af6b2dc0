// The webhook provider against a local server implementing the contract in
// src/acme/dns01/providers/webhook/WEBHOOK.md.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { webhookProvider } from "../../../../src/acme/dns01/providers/webhook/index.ts";
import { GitcertError } from "../../../../src/diagnostics.ts";
import { configProblems, context, startHttpDouble } from "../helpers.ts";
import type { HttpDouble } from "../helpers.ts";

const TOKEN = "webhook-token-5f2b9c";
let server: HttpDouble;
/** What the service holds: fqdn → values. */
const txt = new Map<string, Set<string>>();
let nextFailure: { status: number; body: string } | undefined;

before(async () => {
  server = await startHttpDouble((req, res) => {
    if (nextFailure) {
      const f = nextFailure;
      nextFailure = undefined;
      return void res.writeHead(f.status, { "content-type": "text/plain" }).end(f.body);
    }
    if (req.url.startsWith("/redirect/")) return void res.writeHead(307, { location: "https://elsewhere.example/" }).end();
    if (req.headers.authorization !== undefined && req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end("bad token");
    if (req.method !== "POST" || req.headers["content-type"] !== "application/json") return void res.writeHead(400).end("expected a JSON POST");
    const { fqdn, value } = JSON.parse(req.body) as { fqdn: string; value: string };
    const values = txt.get(fqdn) ?? new Set<string>();
    if (req.url === "/acme/present") values.add(value);
    else if (req.url === "/acme/cleanup") values.delete(value);
    else return void res.writeHead(404).end("no such action");
    txt.set(fqdn, values);
    res.writeHead(204).end();
  });
});

after(async () => {
  await server?.close();
});

beforeEach(() => {
  txt.clear();
  server.requests.length = 0;
  nextFailure = undefined;
});

const ctx = (extra: Record<string, unknown> = {}, token = TOKEN) =>
  context(webhookProvider, { url: `${server.url}/acme/`, tokenSecretRef: { name: "hook", key: "token" }, ...extra }, { "hook/token": `${token}\n` });

describe("webhook", () => {
  it("POSTs present and cleanup with the documented body and a bearer token", async () => {
    const record = { domain: "*.example.test", fqdn: "_acme-challenge.example.test.", value: "wild" };
    await webhookProvider.present(record, ctx({ zone: "example.test" }));
    assert.deepEqual([...txt.get("_acme-challenge.example.test.")!], ["wild"]);
    const [req] = server.requests;
    assert.equal(req!.url, "/acme/present");
    assert.equal(req!.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(JSON.parse(req!.body), { fqdn: "_acme-challenge.example.test.", zone: "example.test.", value: "wild", domain: "example.test" });

    await webhookProvider.cleanUp(record, ctx({ zone: "example.test" }));
    assert.equal(server.requests[1]!.url, "/acme/cleanup");
    assert.deepEqual([...txt.get("_acme-challenge.example.test.")!], []);
  });

  it("sends no zone and no Authorization when neither is configured", async () => {
    await webhookProvider.present({ domain: "a.example.test", fqdn: "_acme-challenge.a.example.test", value: "v" }, context(webhookProvider, { url: `${server.url}/acme` }));
    const [req] = server.requests;
    assert.equal(req!.headers.authorization, undefined);
    assert.deepEqual(JSON.parse(req!.body), { fqdn: "_acme-challenge.a.example.test.", value: "v", domain: "a.example.test" });
  });

  it("shows the status and body of a failure, with the token redacted", async () => {
    nextFailure = { status: 422, body: `zone example.test is not managed here (you sent ${TOKEN})` };
    const err = await webhookProvider.present({ domain: "example.test", fqdn: "_acme-challenge.example.test.", value: "v" }, ctx()).then(
      () => assert.fail("accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GitcertError);
    assert.equal(err.code, "Dns01ProviderError");
    assert.match(err.message, /answered HTTP 422: zone example\.test is not managed here \(you sent \*\*\*\)/);
    assert.ok(!err.message.includes(TOKEN));
  });

  it("keeps the token out of the message however the server echoes it, and wherever the body is cut", async () => {
    const echoes = [
      // The token straddles the 1,000-character excerpt: its first 8 characters fall inside.
      `${"x".repeat(1000 - 8 - " echo ".length)} echo ${TOKEN} end`,
      // PHP's json_encode escapes "/" in an echoed request.
      JSON.stringify({ headers: { authorization: `Bearer ${TOKEN}` } }).replaceAll("/", "\\/"),
      `got ${encodeURIComponent(TOKEN)} in the query`,
    ];
    for (const body of echoes) {
      nextFailure = { status: 400, body };
      const err = await webhookProvider.present({ domain: "example.test", fqdn: "_acme-challenge.example.test.", value: "v" }, ctx()).then(
        () => assert.fail("accepted"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof GitcertError);
      for (const part of [TOKEN, TOKEN.slice(0, 8)]) assert.ok(!(err as Error).message.includes(part), (err as Error).message);
    }
  });

  it("does not follow redirects", async () => {
    await assert.rejects(
      webhookProvider.present({ domain: "example.test", fqdn: "_acme-challenge.example.test.", value: "v" }, ctx({ url: `${server.url}/redirect` })),
      /answered HTTP 307 \(redirect to https:\/\/elsewhere\.example\/ not followed\)/,
    );
  });

  it("says which URL could not be reached", async () => {
    await assert.rejects(
      webhookProvider.present({ domain: "example.test", fqdn: "_acme-challenge.example.test.", value: "v" }, context(webhookProvider, { url: "http://127.0.0.1:1/hook", timeoutSeconds: 1 })),
      (e: unknown) => e instanceof GitcertError && /webhook POST http:\/\/127\.0\.0\.1:1\/hook\/present failed/.test(e.message),
    );
  });
});

describe("webhook config", () => {
  const table: [string, Record<string, unknown>, RegExp | undefined][] = [
    ["url only", { url: "https://hook.internal/acme" }, undefined],
    ["everything", { url: "http://hook:8080", tokenSecretRef: { name: "n", key: "k" }, zone: "example.com", timeoutSeconds: 5 }, undefined],
    ["no url", {}, /^url: is required$/],
    ["not a URL", { url: "hook.internal" }, /^url: must be an http\(s\) URL$/],
    ["cert-manager's webhook solver", { groupName: "acme.example.com", solverName: "my-dns", config: {} }, /^groupName: cert-manager webhook solvers .* are not supported/],
    ["bad timeout", { url: "https://h", timeoutSeconds: "30" }, /^timeoutSeconds:/],
  ];
  for (const [what, cfg, problem] of table) {
    it(what, () => {
      const problems = configProblems(webhookProvider, cfg);
      if (problem) assert.ok(problems.some((p) => problem.test(p)), `expected ${problem} in ${JSON.stringify(problems)}`);
      else assert.deepEqual(problems, []);
    });
  }
});
