import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { askToRenew } from "../../src/daemon/client.ts";
import { listenOnLoopback } from "../peers/loopback.ts";
import { serve } from "../server/helpers.ts";

test("gitcert renew reaches a running serve with its token, which renews and answers", async (t) => {
  const server = await serve(t, { apiToken: () => "tok" });
  const port = Number(new URL(server.url).port);
  const answer = await askToRenew({ address: "", port, token: "tok" }, ["web/site"]);
  assert.deepEqual(answer, { reached: true, status: 200, body: { reconciled: "renew" } });
  assert.deepEqual(server.triggers, [{ trigger: "renew", forceRenew: ["web/site"] }]);
  const refused = await askToRenew({ address: "127.0.0.1", port, token: "wrong" }, "all");
  assert.equal(refused.reached && refused.status, 401);
});

test("nothing listening, or another program on the port: no serve is running", async (t) => {
  const other = await listenOnLoopback(createServer((_req, res) => res.end("hello")));
  t.after(() => other.close());
  assert.deepEqual(await askToRenew({ address: "127.0.0.1", port: other.port, token: "" }, "all"), { reached: false });
  await other.close();
  assert.deepEqual(await askToRenew({ address: "127.0.0.1", port: other.port, token: "" }, "all"), { reached: false });
});
