// gitcert's HTTP-01 server and the self-check, against real sockets on
// 127.0.0.1: the server listens only while a challenge is presented, answers
// a token only for its host, and the self-check says what it fetched from
// where when it fails.
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { Http01Server } from "../../../src/acme/http01/server.ts";
import { http01SelfCheck } from "../../../src/acme/http01/self-check.ts";
import { GitcertError } from "../../../src/diagnostics.ts";
import { freePorts } from "../../peers/pebble.ts";

const TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const KEYAUTH = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;

function get(port: number, path: string, host: string, method = "GET"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { host }, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

test("the server listens while challenges are presented, and only then", async () => {
  const [port] = (await freePorts(1)) as [number];
  const server = new Http01Server({ address: "127.0.0.1", port });
  assert.equal(server.listening, false);
  await server.present("a.example.com", TOKEN, KEYAUTH);
  await server.present("b.example.com", "other-token-0123456789", "other-token-0123456789.x");
  assert.equal(server.port, port);

  assert.deepEqual(await get(port, `/.well-known/acme-challenge/${TOKEN}`, `a.example.com:${port}`), { status: 200, body: KEYAUTH });
  assert.deepEqual(await get(port, `/.well-known/acme-challenge/${TOKEN}`, "A.EXAMPLE.COM"), { status: 200, body: KEYAUTH });
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com", "HEAD")).status, 200);
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "b.example.com")).status, 404, "a token answers only for its host");
  assert.equal((await get(port, "/.well-known/acme-challenge/unknown", "a.example.com")).status, 404);
  assert.equal((await get(port, "/healthz", "a.example.com")).status, 404);

  await server.remove(TOKEN);
  assert.equal(server.listening, true, "b is still presented");
  await server.remove("other-token-0123456789");
  assert.equal(server.listening, false);
  await assert.rejects(get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com"), /ECONNREFUSED/);

  // And again: a later order opens it anew.
  await server.present("a.example.com", TOKEN, KEYAUTH);
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com")).status, 200);
  await server.close();
});

test("opened for the process's life (serve with a cluster): it listens with nothing presented, and a removed challenge does not close it", async () => {
  const server = new Http01Server({ address: "127.0.0.1", port: 0, lookup: async (token) => (token === "looked-up-token-0123456789" ? "looked-up-token-0123456789.x" : undefined) });
  await server.open();
  const port = server.port!;
  assert.deepEqual(await get(port, "/.well-known/acme-challenge/looked-up-token-0123456789", "a.example.com"), { status: 200, body: "looked-up-token-0123456789.x" }, "another replica's token, from the lookup");
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com")).status, 404);
  await server.present("a.example.com", TOKEN, KEYAUTH);
  assert.deepEqual(await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com"), { status: 200, body: KEYAUTH });
  await server.remove(TOKEN);
  assert.equal(server.listening, true);
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com")).status, 404, "removed: no longer answered");
  await server.close();
  assert.equal(server.listening, false);
  await assert.rejects(get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com"), /ECONNREFUSED/);
});

test("the same token presented twice (a shared pending authorization) stays until both remove it", async () => {
  const server = new Http01Server({ address: "127.0.0.1", port: 0 });
  await Promise.all([server.present("a.example.com", TOKEN, KEYAUTH), server.present("a.example.com", TOKEN, KEYAUTH)]);
  const port = server.port!;
  await server.remove(TOKEN);
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com")).status, 200);
  await server.remove(TOKEN);
  assert.equal(server.listening, false);
});

test("a port in use is a clear error, and the next present tries again", async () => {
  const blocker = createServer();
  servers.push(blocker);
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
  const port = (blocker.address() as AddressInfo).port;
  const server = new Http01Server({ address: "127.0.0.1", port });
  await assert.rejects(server.present("a.example.com", TOKEN, KEYAUTH), (e: unknown) => {
    assert.ok(e instanceof GitcertError);
    assert.equal(e.code, "Http01ListenFailed");
    assert.match(e.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    return true;
  });
  await new Promise((r) => blocker.close(r));
  await server.present("a.example.com", TOKEN, KEYAUTH);
  assert.equal(server.listening, true);
  await server.close();
});

const quick = { nameservers: [], timeoutMs: 600, intervalMs: 200 };

test("self-check: passes when the key authorization comes back, following a redirect", async () => {
  const server = new Http01Server({ address: "127.0.0.1", port: 0 });
  await server.present("127.0.0.1", TOKEN, KEYAUTH);
  await http01SelfCheck("127.0.0.1", TOKEN, KEYAUTH, { ...quick, port: server.port! });

  // An ingress that redirects the challenge path elsewhere first.
  const redirector = createServer((req, res) => res.writeHead(302, { location: `http://127.0.0.1:${server.port}${req.url}` }).end());
  servers.push(redirector);
  await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
  await http01SelfCheck("127.0.0.1", TOKEN, KEYAUTH, { ...quick, port: (redirector.address() as AddressInfo).port });
  await server.close();
});

test("self-check: a wrong answer is reported with what was fetched, from where, and what came back", async () => {
  const wrong = createServer((_req, res) => res.writeHead(404).end(`no such token ${TOKEN}`));
  servers.push(wrong);
  await new Promise<void>((r) => wrong.listen(0, "127.0.0.1", r));
  const port = (wrong.address() as AddressInfo).port;
  await assert.rejects(http01SelfCheck("127.0.0.1", TOKEN, KEYAUTH, { ...quick, port }), (e: unknown) => {
    assert.ok(e instanceof GitcertError);
    assert.equal(e.code, "Http01SelfCheckFailed");
    assert.match(e.message, new RegExp(`GET http://127\\.0\\.0\\.1:${port}/\\.well-known/acme-challenge/<token> from 127\\.0\\.0\\.1:${port}: HTTP 404, body "no such token <token>"`));
    assert.match(e.message, /names resolved via the system resolver/);
    assert.match(e.message, /public internet on port 80/);
    assert.ok(!e.message.includes(TOKEN), "the token is not in the message");
    assert.match(e.message, /\d attempt\(s\)/);
    return true;
  });
});

test("self-check: needs the configured number of good answers in a row; a bad one starts the count again", async () => {
  // An ingress with one replica not yet routing the challenge: answers go right, wrong, right, right.
  const answers = [200, 404, 200, 200, 200];
  let requests = 0;
  const flaky = createServer((_req, res) => {
    const status = answers[requests++] ?? 200;
    res.writeHead(status).end(status === 200 ? KEYAUTH : "not routed yet");
  });
  servers.push(flaky);
  await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", r));
  const port = (flaky.address() as AddressInfo).port;
  await http01SelfCheck("127.0.0.1", TOKEN, KEYAUTH, { nameservers: [], timeoutMs: 5000, intervalMs: 20, passes: 2, port });
  assert.equal(requests, 4, "right, wrong (count starts again), right, right");

  // Time runs out before enough good answers: the report says so, and what went wrong before.
  requests = 0;
  answers.splice(0, answers.length, 404);
  await assert.rejects(http01SelfCheck("127.0.0.1", TOKEN, KEYAUTH, { nameservers: [], timeoutMs: 300, intervalMs: 20, passes: 30, port }), (e: unknown) => {
    assert.ok(e instanceof GitcertError);
    assert.match(e.message, /the last \d+ answer\(s\) were right, but 30 in a row are needed; before them: GET .* HTTP 404, body "not routed yet"/);
    return true;
  });
});

test("self-check: a name that does not resolve says so", async () => {
  await assert.rejects(http01SelfCheck("nothing.invalid", TOKEN, KEYAUTH, { ...quick, port: 80, timeoutMs: 100 }), /nothing\.invalid does not resolve \(ENOTFOUND\)/);
});

test("mounted in another server: tokens are kept, nothing listens, handle() answers", async () => {
  const challenges = new Http01Server({ port: 0, mounted: true });
  await challenges.present("a.example.com", TOKEN, KEYAUTH);
  assert.equal(challenges.listening, false);
  const host = createServer((req, res) => {
    if (!challenges.handle(req, res)) res.writeHead(200).end("other route");
  });
  servers.push(host);
  await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
  const port = (host.address() as AddressInfo).port;
  assert.deepEqual(await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com"), { status: 200, body: KEYAUTH });
  assert.deepEqual(await get(port, "/metrics", "a.example.com"), { status: 200, body: "other route" });
  await challenges.remove(TOKEN);
  assert.equal((await get(port, `/.well-known/acme-challenge/${TOKEN}`, "a.example.com")).status, 404);
});
