// Pebble rejecting half of all good nonces (PEBBLE_WFE_NONCEREJECT=50):
// acme-client answers each badNonce with the fresh nonce it carries, and
// gitcert allows enough retries that a certificate still comes through.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ProblemType, type RequestEvent } from "../../src/acme/index.ts";
import { createAcmeIssuer, type AcmeIssuer } from "../../src/issuers/acme.ts";
import { parseCertificate } from "../../src/pki/index.ts";
import { freePorts, startPebble, type Pebble } from "../peers/pebble.ts";
import { acmeIssuer, certificate, memoryEnv, request } from "../acme/helpers.ts";

let pebble: Pebble;
let issuer: AcmeIssuer;
const events: RequestEvent[] = [];

before(async () => {
  const [port] = (await freePorts(1)) as [number];
  pebble = await startPebble({ httpPort: port, nonceRejectPercent: 50 });
  issuer = createAcmeIssuer({
    http01: { address: "127.0.0.1", port },
    selfCheck: { port, nameservers: [pebble.dnsServer], timeoutMs: 2000, intervalMs: 50 },
    pollTimeoutMs: 20_000,
    onRequest: (e) => events.push(e),
  });
});

after(async () => {
  await issuer?.close();
  await pebble?.stop();
});

test("issues through 50% rejected nonces", async () => {
  const env = memoryEnv();
  const names = ["n1", "n2", "n3", "n4"];
  const issued = await Promise.all(names.map(async (n) => issuer.sign(await request(certificate(n), acmeIssuer(pebble)), env)));
  issued.forEach((r, i) => assert.deepEqual(parseCertificate(r.chainPem).dnsNames, [`${names[i]}.example.com`]));
  const rejected = events.filter((e) => e.problem === ProblemType.badNonce).length;
  assert.ok(rejected >= 5, `Pebble rejected nonces (${rejected} times) and every request went through anyway`);
});
