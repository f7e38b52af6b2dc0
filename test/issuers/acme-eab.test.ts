// External account binding against a Pebble that requires it: the key ID
// from the issuer, the HMAC key from a Secret in the repository, generated
// here. Without the binding the server's refusal is the diagnostic; with it
// the account is created; the HMAC key never appears in a message.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { ACME_ANNOTATION } from "../../src/acme/index.ts";
import { GitcertError } from "../../src/diagnostics.ts";
import { createAcmeIssuer, type AcmeIssuer } from "../../src/issuers/acme.ts";
import { freePorts, startPebble, type Pebble } from "../peers/pebble.ts";
import { acmeIssuer, certificate, memoryEnv, request } from "../acme/helpers.ts";

const KID = "gitcert-test-kid";
const HMAC = randomBytes(32).toString("base64url");
let pebble: Pebble;
let issuer: AcmeIssuer;

before(async () => {
  const [port] = (await freePorts(1)) as [number];
  pebble = await startPebble({ httpPort: port, eabRequired: true, eabKeys: { [KID]: HMAC } });
  issuer = createAcmeIssuer({
    http01: { address: "127.0.0.1", port },
    selfCheck: { port, nameservers: [pebble.dnsServer], timeoutMs: 2000, intervalMs: 50 },
    pollTimeoutMs: 20_000,
  });
});

after(async () => {
  await issuer?.close();
  await pebble?.stop();
});

const eab = { externalAccountBinding: { keyID: KID, keySecretRef: { name: "pebble-eab", key: "secret" } } };

test("without a binding the server's refusal becomes the diagnostic", async () => {
  const err = await issuer.sign(await request(certificate("no-eab"), acmeIssuer(pebble, {}, "no-eab")), memoryEnv()).then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GitcertError);
  assert.equal(err.code, "AcmeAccountFailed");
  assert.match(err.message, /urn:ietf:params:acme:error:externalAccountRequired/);
});

test("a missing EAB Secret is named", async () => {
  const err = await issuer.sign(await request(certificate("eab-missing"), acmeIssuer(pebble, eab, "eab-missing")), memoryEnv()).then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GitcertError);
  assert.equal(err.code, "AcmeEabSecretMissing");
  assert.match(err.message, /cert-manager\/pebble-eab was not found/);
});

test("with keyID and the HMAC key from the repository, the account is bound and issues", async () => {
  const env = memoryEnv(new Map([["cert-manager/pebble-eab", { secret: Buffer.from(HMAC) }]]));
  const issued = await issuer.sign(await request(certificate("eab"), acmeIssuer(pebble, eab, "eab")), env);
  assert.ok(issued.annotations?.[ACME_ANNOTATION.accountUrl]);
  assert.ok(!JSON.stringify(issued.annotations).includes(HMAC));

  // A wrong HMAC key is refused by the server, and the message does not repeat the key.
  const wrong = randomBytes(32).toString("base64url");
  const err = await issuer
    .sign(await request(certificate("eab-wrong"), acmeIssuer(pebble, eab, "eab-wrong")), memoryEnv(new Map([["cert-manager/pebble-eab", { secret: Buffer.from(wrong) }]])))
    .then(
      () => assert.fail("expected a failure"),
      (e: unknown) => e,
    );
  assert.ok(err instanceof GitcertError);
  assert.equal(err.code, "AcmeAccountFailed");
  assert.ok(!err.message.includes(wrong) && !err.message.includes(HMAC));
});
