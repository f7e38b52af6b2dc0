import assert from "node:assert/strict";
import { test } from "node:test";
import { startServers } from "../../src/server/index.ts";
import { serve } from "./helpers.ts";

const TOKEN = "api-token-for-tests";

test("POST /reconcile needs the bearer token: none, wrong or unconfigured get 401 and no work", async (t) => {
  const unconfigured = await serve(t);
  const none = await fetch(`${unconfigured.url}/reconcile`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(none.status, 401);
  assert.match(((await none.json()) as { error: string }).error, /no API token is configured/);

  const server = await serve(t, { apiToken: () => TOKEN });
  for (const authorization of [undefined, "Bearer wrong", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
    const res = await fetch(`${server.url}/reconcile`, { method: "POST", headers: authorization ? { authorization } : {} });
    assert.equal(res.status, 401, authorization);
  }
  assert.deepEqual([...unconfigured.triggers, ...server.triggers], []);

  const ok = await fetch(`${server.url}/reconcile`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 202);
  assert.deepEqual(server.triggers, [{ trigger: "api" }]);
  const waited = await fetch(`${server.url}/reconcile?wait=true`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(waited.status, 200);
  assert.deepEqual(await waited.json(), { reconciled: "api" });
});

test("POST /renew names the Certificates, or all, and waits for the reconcile that renews them", async (t) => {
  const server = await serve(t, { apiToken: () => TOKEN });
  const renew = (body: string) => fetch(`${server.url}/renew`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body });
  const some = await renew(JSON.stringify({ certificates: ["web/site", "api/edge"] }));
  assert.equal(some.status, 200);
  assert.deepEqual(await some.json(), { reconciled: "renew" });
  assert.equal((await renew(JSON.stringify({ all: true }))).status, 200);
  for (const bad of ["not json", "{}", JSON.stringify({ certificates: ["no-namespace"] }), JSON.stringify({ certificates: [] })]) {
    assert.equal((await renew(bad)).status, 400, bad);
  }
  assert.deepEqual(server.triggers, [
    { trigger: "renew", forceRenew: ["web/site", "api/edge"] },
    { trigger: "renew", forceRenew: "all" },
  ]);
});

test("work refused while shutting down is answered with the loop's status", async (t) => {
  const server = await serve(t, { apiToken: () => TOKEN, trigger: () => ({ accepted: false, status: 503, reason: "gitcert is shutting down" }) });
  const res = await fetch(`${server.url}/reconcile`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { error: "gitcert is shutting down" });
});

test("/healthz and /readyz answer 200 or 503 with the reason", async (t) => {
  const server = await serve(t, { ready: () => ({ ok: false, detail: "no reconcile has finished yet" }) });
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${server.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal(await ready.text(), "not ok: no reconcile has finished yet\n");
  assert.equal((await fetch(`${server.url}/nothing-here`)).status, 404);
  assert.equal((await fetch(`${server.url}/healthz`, { method: "POST" })).status, 405);
});

test("health and metrics on their own listener: the webhook listener does not serve them, and vice versa", async (t) => {
  const running = await startServers(
    [
      { address: "127.0.0.1", port: 0, routes: new Set(["webhook", "api"]) },
      { address: "127.0.0.1", port: 0, routes: new Set(["health", "metrics"]) },
    ],
    {
      health: () => ({ ok: true, detail: "idle" }),
      ready: () => ({ ok: true, detail: "ready" }),
      metrics: { text: async () => "gitcert_up 1\n", contentType: "text/plain; version=0.0.4; charset=utf-8", webhook: () => undefined },
      trigger: () => ({ accepted: true, done: Promise.resolve({ status: 200, body: {} }) }),
      webhookSecret: () => "s",
      apiToken: () => TOKEN,
      branch: "main",
      maxBodyBytes: 1024,
    },
  );
  t.after(() => running.close());
  const [hooks, probes] = running.addresses.map((a) => `http://127.0.0.1:${a.port}`) as [string, string];
  assert.equal((await fetch(`${hooks}/metrics`)).status, 404);
  assert.equal((await fetch(`${hooks}/healthz`)).status, 404);
  assert.equal((await fetch(`${probes}/metrics`)).status, 200);
  assert.equal((await fetch(`${probes}/healthz`)).status, 200);
  assert.equal((await fetch(`${probes}/webhook`, { method: "POST", body: "{}" })).status, 404);
  assert.equal((await fetch(`${probes}/reconcile`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
});

test("a port already taken fails the start and leaves no listener behind", async (t) => {
  const first = await startServers([{ address: "127.0.0.1", port: 0, routes: new Set(["health"]) }], {
    health: () => ({ ok: true, detail: "" }),
    ready: () => ({ ok: true, detail: "" }),
    trigger: () => ({ accepted: false, status: 503, reason: "" }),
    webhookSecret: () => "",
    apiToken: () => "",
    branch: "main",
    maxBodyBytes: 1,
  });
  t.after(() => first.close());
  const taken = first.addresses[0]!.port;
  await assert.rejects(
    startServers(
      [
        { address: "127.0.0.1", port: 0, routes: new Set(["metrics"]) },
        { address: "127.0.0.1", port: taken, routes: new Set(["webhook"]) },
      ],
      { health: () => ({ ok: true, detail: "" }), ready: () => ({ ok: true, detail: "" }), trigger: () => ({ accepted: false, status: 503, reason: "" }), webhookSecret: () => "", apiToken: () => "", branch: "main", maxBodyBytes: 1 },
    ),
    /EADDRINUSE/,
  );
});
