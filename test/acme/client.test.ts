// The per-account rules of AcmeConnection, with the transport answering
// from a script: a rateLimited answer stops the account until Retry-After
// (no further request goes out), a short Retry-After is waited out in
// place, and registration happens once for concurrent callers. The ACME
// protocol itself is tested against Pebble (test/issuers/acme*.test.ts);
// Pebble has no rate limits to trigger.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { AcmeConnection } from "../../src/acme/client.ts";
import { AcmeProblemError } from "../../src/acme/problem.ts";
import type { HttpResponse, Transport } from "../../src/acme/transport.ts";
import { GitcertError } from "../../src/diagnostics.ts";

const DIR = "https://ca.example/dir";
const accountKeyPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;

function scripted(newOrder: Array<() => HttpResponse>) {
  const calls: string[] = [];
  let nonce = 0;
  const res = (url: string, status: number, data: unknown, headers: Record<string, string> = {}): HttpResponse => ({
    url,
    status,
    data,
    links: [],
    headers: { "replay-nonce": `nonce-${nonce++}`, ...headers },
  });
  const transport = {
    async request(url: string, method: string): Promise<HttpResponse> {
      calls.push(`${method.toUpperCase()} ${url}`);
      if (url === DIR) return res(url, 200, { newNonce: "https://ca.example/nonce", newAccount: "https://ca.example/account", newOrder: "https://ca.example/order" });
      if (url.endsWith("/nonce")) return res(url, 200, "");
      if (url.endsWith("/account")) return res(url, 201, { status: "valid" }, { location: "https://ca.example/acct/1" });
      if (url.endsWith("/order")) {
        const next = newOrder.shift();
        if (!next) throw new Error("unexpected newOrder");
        return next();
      }
      throw new Error(`unexpected ${method} ${url}`);
    },
  } as unknown as Transport;
  return { calls, transport };
}

const rateLimited = (seconds: number) => () => {
  throw new AcmeProblemError({ type: "urn:ietf:params:acme:error:rateLimited", detail: "too many new orders recently" }, 429, "https://ca.example/order", new Date(Date.now() + seconds * 1000));
};
const created = (): HttpResponse => ({
  url: "https://ca.example/order",
  status: 201,
  data: { status: "pending", identifiers: [], authorizations: [], finalize: "https://ca.example/finalize/1" },
  links: [],
  headers: { location: "https://ca.example/order/1", "replay-nonce": "nonce-order" },
});

const order = { identifiers: [{ type: "dns", value: "a.example.com" }] };

test("a long Retry-After stops every order on the account, without asking the server again", async () => {
  const { calls, transport } = scripted([rateLimited(3600)]);
  const conn = new AcmeConnection({ directoryUrl: DIR, accountKeyPem, transport });
  await assert.rejects(conn.newOrder(order), (e: unknown) => {
    assert.ok(e instanceof GitcertError);
    assert.equal(e.code, "AcmeRateLimited");
    assert.match(e.message, /urn:ietf:params:acme:error:rateLimited: too many new orders recently/);
    return true;
  });
  const before = calls.length;
  await assert.rejects(conn.newOrder(order), /rate-limited this account/);
  assert.equal(calls.length, before, "nothing was sent");
  assert.ok(conn.gate.limitedUntil(new Date()));
});

test("a short Retry-After is waited out and the request repeated", async () => {
  const { calls, transport } = scripted([rateLimited(1), created]);
  const conn = new AcmeConnection({ directoryUrl: DIR, accountKeyPem, transport });
  const started = Date.now();
  const o = await conn.newOrder(order);
  assert.equal(o.url, "https://ca.example/order/1");
  assert.ok(Date.now() - started >= 900, "waited for Retry-After");
  assert.equal(calls.filter((c) => c.endsWith("/order")).length, 2);
});

test("concurrent callers register the account once; responses' nonces are reused", async () => {
  const { calls, transport } = scripted([created, created, created]);
  const conn = new AcmeConnection({ directoryUrl: DIR, accountKeyPem, transport });
  await Promise.all([conn.newOrder(order), conn.newOrder(order), conn.newOrder(order)]);
  assert.equal(calls.filter((c) => c.endsWith("/account")).length, 1);
  assert.ok(calls.filter((c) => c.startsWith("HEAD")).length <= 2, `few newNonce requests: ${calls.join(", ")}`);
  assert.deepEqual(await conn.account(), { url: "https://ca.example/acct/1", created: true });
});
