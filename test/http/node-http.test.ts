// gitcert serve runs for months: what it loads stays resident. An ESM import
// of node:http anywhere it runs loads Node's undici bundle and WebAssembly
// parser through http's WebSocket getters (see src/http/node-http.ts).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

const loadsUndici = (script: string) =>
  execFileSync(process.execPath, ["--input-type=module", "-e", `${script}; process.stdout.write(String(process.moduleLoadList.some((m) => /undici/.test(m))));`], { encoding: "utf8" });

test("the daemon's HTTP code does not load Node's undici (an ESM import of node:http would)", () => {
  const modules = ["daemon/serve.ts", "daemon/client.ts", "server/http-server.ts", "acme/transport.ts", "acme/http01/server.ts", "acme/http01/self-check.ts", "http/json-request.ts"];
  const urls = modules.map((m) => new URL(`../../src/${m}`, import.meta.url).href);
  assert.equal(loadsUndici(`for (const u of ${JSON.stringify(urls)}) await import(u)`), "false");
  assert.equal(loadsUndici(`await import("node:http")`), "true", "the check sees what an ESM import of node:http loads");
});
