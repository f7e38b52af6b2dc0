// acme-client is loaded at an account's first request (src/acme/client.ts).
// A load that fails for a passing reason (the process is out of file
// descriptors at that moment) must not stay the account's answer for the
// rest of a `gitcert serve` that runs for months: the next request loads it.
// Run in a fresh process, so acme-client is not already loaded, with a low
// descriptor limit it can fill and then free.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers.ts";

test("an account whose first request could not load acme-client loads it at its next request", async (t) => {
  const dir = tempDir(t);
  // A port nothing listens on: once acme-client loads, the request finds the "CA" unreachable.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const src = (m: string) => JSON.stringify(new URL(`../../src/${m}`, import.meta.url).href);
  const script = join(dir, "first-request.ts");
  writeFileSync(
    script,
    `import { openSync, closeSync } from "node:fs";
     import { generateKeyPairSync } from "node:crypto";
     const { AcmeConnection } = await import(${src("acme/client.ts")});
     const { Transport } = await import(${src("acme/transport.ts")});
     const accountKeyPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });
     const connection = new AcmeConnection({ directoryUrl: "http://127.0.0.1:${port}/dir", accountKeyPem, transport: new Transport({ timeoutMs: 5000 }) });
     const outcome = (p) => p.then(() => "ok", (e) => String(e?.code ?? e?.message ?? e));
     const held = [];
     try { for (;;) held.push(openSync("/dev/null", "r")); } catch {}
     const first = await outcome(connection.directory());
     for (const fd of held) closeSync(fd);
     const next = await outcome(connection.directory());
     process.stdout.write(JSON.stringify({ first, next }));`,
  );
  const out = execFileSync("/bin/sh", ["-c", 'ulimit -n 256 && exec "$0" "$1"', process.execPath, script], { encoding: "utf8" });
  const { first, next } = JSON.parse(out) as { first: string; next: string };
  assert.notEqual(first, "AcmeServerUnreachable", "the first request failed while loading acme-client");
  assert.equal(next, "AcmeServerUnreachable", `the next request loaded acme-client and reached the CA (it failed with ${next})`);
});
