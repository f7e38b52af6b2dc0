// RFC 2136 + TSIG against a real BIND 9: BIND checks our MAC on every
// update and signs its answers, which we check in turn.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRfc2136Provider, rfc2136Provider } from "../../../../src/acme/dns01/providers/rfc2136/index.ts";
import { buildUpdate } from "../../../../src/acme/dns01/providers/rfc2136/index.ts";
import { signMessage, verifyResponse } from "../../../../src/acme/dns01/providers/rfc2136/tsig.ts";
import { exchange } from "../../../../src/acme/dns01/transport.ts";
import { CLASS_IN, TYPE_TXT, rcodeOf, txtRdata } from "../../../../src/acme/dns01/wire.ts";
import { findZone } from "../../../../src/acme/dns01/zone.ts";
import { GitcertError } from "../../../../src/diagnostics.ts";
import { startBind } from "../../../peers/bind.ts";
import type { BindServer } from "../../../peers/bind.ts";
import { configProblems, context, digTxt } from "../helpers.ts";

let bind: BindServer;

before(async () => {
  bind = await startBind({
    keys: [
      { name: "gitcert-sha256", algorithm: "hmac-sha256" },
      { name: "gitcert-sha512", algorithm: "hmac-sha512" },
      { name: "gitcert-md5", algorithm: "hmac-md5" },
    ],
    zones: [
      { name: "example.test", records: ["sub IN NS ns1.example.test."], updateKeys: ["gitcert-sha256", "gitcert-sha512", "gitcert-md5"] },
      { name: "sub.example.test", updateKeys: ["gitcert-sha256"] },
      { name: "locked.test", updateKeys: [] },
    ],
  });
});

after(async () => {
  await bind?.close();
});

function config(keyName: string, algorithm: string, extra: Record<string, unknown> = {}) {
  return {
    nameserver: bind.nameserver,
    tsigKeyName: keyName,
    tsigAlgorithm: algorithm,
    tsigSecretSecretRef: { name: "tsig", key: "secret" },
    ...extra,
  };
}

function ctxWith(keyName: string, algorithm: string, extra: Record<string, unknown> = {}, secret?: string) {
  return context(rfc2136Provider, config(keyName, algorithm, extra), { "tsig/secret": secret ?? bind.keys[keyName]!.secret });
}

describe("rfc2136 against BIND", () => {
  for (const [keyName, algorithm] of [
    ["gitcert-sha256", "HMACSHA256"],
    ["gitcert-sha512", "HMACSHA512"],
    ["gitcert-md5", "HMACMD5"],
  ] as const) {
    it(`presents and cleans up with ${algorithm}`, async () => {
      const record = { domain: `${algorithm.toLowerCase()}.example.test`, fqdn: `_acme-challenge.${algorithm.toLowerCase()}.example.test.`, value: `v-${algorithm}` };
      const ctx = ctxWith(keyName, algorithm);
      await rfc2136Provider.present(record, ctx);
      assert.deepEqual(digTxt(bind, record.fqdn), [record.value]);
      await rfc2136Provider.cleanUp(record, ctx);
      assert.deepEqual(digTxt(bind, record.fqdn), []);
    });
  }

  it("keeps a second value at the same name (wildcard and apex) and removes only its own", async () => {
    const ctx = ctxWith("gitcert-sha256", "HMACSHA256");
    const apex = { domain: "both.example.test", fqdn: "_acme-challenge.both.example.test.", value: "apex-value" };
    const wildcard = { ...apex, domain: "*.both.example.test", value: "wildcard-value" };
    await rfc2136Provider.present(apex, ctx);
    await rfc2136Provider.present(wildcard, ctx);
    await rfc2136Provider.present(wildcard, ctx); // idempotent
    assert.deepEqual(digTxt(bind, apex.fqdn).sort(), ["apex-value", "wildcard-value"]);
    await rfc2136Provider.cleanUp(apex, ctx);
    assert.deepEqual(digTxt(bind, apex.fqdn), ["wildcard-value"]);
    await rfc2136Provider.cleanUp(wildcard, ctx);
    await rfc2136Provider.cleanUp(wildcard, ctx); // already gone: still fine
    assert.deepEqual(digTxt(bind, apex.fqdn), []);
  });

  it("finds the zone by walking up SOA queries, down to a delegated child zone", async () => {
    const server = { host: bind.host, port: bind.port };
    const opts = { recursionDesired: false, timeoutMs: 2000 };
    assert.equal(await findZone("_acme-challenge.a.b.example.test.", server, opts), "example.test.");
    assert.equal(await findZone("_acme-challenge.www.sub.example.test.", server, opts), "sub.example.test.");
    assert.equal(await findZone("sub.example.test", server, opts), "sub.example.test.");

    // Only the child zone's key may update it, so landing in the parent would be refused.
    const record = { domain: "www.sub.example.test", fqdn: "_acme-challenge.www.sub.example.test.", value: "in-child" };
    await rfc2136Provider.present(record, ctxWith("gitcert-sha256", "HMACSHA256"));
    assert.deepEqual(digTxt(bind, record.fqdn), ["in-child"]);
    await rfc2136Provider.cleanUp(record, ctxWith("gitcert-sha256", "HMACSHA256"));
  });

  it("uses a configured zone without asking, and works over UDP", async () => {
    const record = { domain: "udp.example.test", fqdn: "_acme-challenge.udp.example.test.", value: "over-udp" };
    const ctx = ctxWith("gitcert-sha256", "HMACSHA256", { zone: "example.test", protocol: "UDP" });
    await rfc2136Provider.present(record, ctx);
    assert.deepEqual(digTxt(bind, record.fqdn), ["over-udp"]);
    await rfc2136Provider.cleanUp(record, ctx);
    assert.deepEqual(digTxt(bind, record.fqdn), []);
  });

  it("reports a wrong secret as NOTAUTH/BADSIG without the secret", async () => {
    const wrong = Buffer.alloc(32, 7).toString("base64");
    const record = { domain: "x.example.test", fqdn: "_acme-challenge.x.example.test.", value: "never" };
    const err = await rfc2136Provider.present(record, ctxWith("gitcert-sha256", "HMACSHA256", {}, wrong)).then(
      () => assert.fail("update with a wrong secret was accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GitcertError);
    assert.equal(err.code, "Dns01UpdateRefused");
    assert.match(err.message, /NOTAUTH \(TSIG error BADSIG\)/);
    assert.match(err.message, /secret does not match/);
    assert.ok(!err.message.includes(wrong), "the wrong secret is in the message");
    assert.ok(!err.message.includes(bind.keys["gitcert-sha256"]!.secret), "the real secret is in the message");
    assert.deepEqual(digTxt(bind, record.fqdn), []);
  });

  it("reports an unknown key or a mismatched algorithm as BADKEY", async () => {
    const record = { domain: "x.example.test", fqdn: "_acme-challenge.x.example.test.", value: "never" };
    await assert.rejects(
      rfc2136Provider.present(record, context(rfc2136Provider, config("no-such-key", "HMACSHA256"), { "tsig/secret": bind.keys["gitcert-sha256"]!.secret })),
      (e: unknown) => e instanceof GitcertError && /NOTAUTH \(TSIG error BADKEY\)/.test(e.message),
    );
    await assert.rejects(
      rfc2136Provider.present(record, ctxWith("gitcert-sha256", "HMACSHA512")),
      (e: unknown) => e instanceof GitcertError && /BADKEY/.test(e.message) && /tsigAlgorithm/.test(e.message),
    );
  });

  it("reports a zone that refuses updates as REFUSED", async () => {
    const record = { domain: "locked.test", fqdn: "_acme-challenge.locked.test.", value: "never" };
    await assert.rejects(
      rfc2136Provider.present(record, ctxWith("gitcert-sha256", "HMACSHA256")),
      (e: unknown) => e instanceof GitcertError && e.code === "Dns01UpdateRefused" && /REFUSED: .*allow-update/.test(e.message),
    );
  });

  it("says which server did not answer", async () => {
    const provider = createRfc2136Provider({ timeoutMs: 300 });
    const record = { domain: "x.example.test", fqdn: "_acme-challenge.x.example.test.", value: "never" };
    // A TCP port nothing listens on: the connection is refused at once.
    const ctx = context(rfc2136Provider, { ...config("gitcert-sha256", "HMACSHA256"), nameserver: "127.0.0.1:1", zone: "example.test" }, {
      "tsig/secret": bind.keys["gitcert-sha256"]!.secret,
    });
    await assert.rejects(provider.present(record, ctx), (e: unknown) => e instanceof GitcertError && e.code === "Dns01UpdateFailed" && /127\.0\.0\.1:1/.test(e.message));
  });

  it("verifies BIND's TSIG on the response and rejects a tampered one", async () => {
    const key = { name: "gitcert-sha256.", algorithm: "HMACSHA256", secret: Buffer.from(bind.keys["gitcert-sha256"]!.secret, "base64") };
    const update = buildUpdate("example.test.", { name: "_acme-challenge.t.example.test.", type: TYPE_TXT, class: CLASS_IN, ttl: 60, rdata: txtRdata("t") });
    const { signed, mac } = signMessage(update, key);
    const response = await exchange({ host: bind.host, port: bind.port }, signed, "tcp", 2000);
    assert.equal(rcodeOf(response), 0);
    verifyResponse(response, mac, key);
    const tampered = Buffer.from(response);
    tampered[3] = tampered[3]! ^ 0x80; // flip RA in the header
    assert.throws(() => verifyResponse(tampered, mac, key), /does not verify \(BADSIG\)/);
    assert.throws(() => verifyResponse(response, Buffer.alloc(32), key), /BADSIG/);
  });
});

describe("rfc2136 config", () => {
  const table: [string, Record<string, unknown>, RegExp | undefined][] = [
    ["full config", { nameserver: "10.0.0.1:53", tsigKeyName: "k", tsigAlgorithm: "HMACSHA512", tsigSecretSecretRef: { name: "s", key: "k" } }, undefined],
    ["no TSIG at all", { nameserver: "10.0.0.1" }, undefined],
    ["IPv6 with port", { nameserver: "[2001:db8::1]:5353" }, undefined],
    ["lower-case algorithm, as cert-manager accepts", { nameserver: "ns", tsigKeyName: "k", tsigAlgorithm: "hmacsha256", tsigSecretSecretRef: { name: "s", key: "k" } }, undefined],
    ["missing nameserver", {}, /^nameserver: is required$/],
    ["bad port", { nameserver: "10.0.0.1:99999" }, /^nameserver: invalid port/],
    ["unknown algorithm", { nameserver: "ns", tsigAlgorithm: "HMACSHA3" }, /^tsigAlgorithm: HMACSHA3 is not supported/],
    ["key name without secret", { nameserver: "ns", tsigKeyName: "k" }, /^tsigSecretSecretRef: is required with tsigKeyName$/],
    ["secret without key name", { nameserver: "ns", tsigSecretSecretRef: { name: "s", key: "k" } }, /^tsigKeyName: is required/],
    ["secret ref without key", { nameserver: "ns", tsigKeyName: "k", tsigSecretSecretRef: { name: "s" } }, /^tsigSecretSecretRef\.key: is required$/],
    ["bad protocol", { nameserver: "ns", protocol: "QUIC" }, /^protocol: must be TCP or UDP/],
  ];
  for (const [what, cfg, problem] of table) {
    it(what, () => {
      const problems = configProblems(rfc2136Provider, cfg);
      if (problem) assert.ok(problems.some((p) => problem.test(p)), `expected ${problem} in ${JSON.stringify(problems)}`);
      else assert.deepEqual(problems, []);
    });
  }

  it("refuses a secret that is not base64, naming the Secret but not its content", async () => {
    const record = { domain: "x.example.test", fqdn: "_acme-challenge.x.example.test.", value: "v" };
    const ctx = context(rfc2136Provider, { nameserver: "127.0.0.1:1", zone: "example.test", tsigKeyName: "k", tsigAlgorithm: "HMACSHA256", tsigSecretSecretRef: { name: "tsig", key: "secret" } }, {
      "tsig/secret": "not base64 at all!",
    });
    await assert.rejects(rfc2136Provider.present(record, ctx), (e: unknown) => {
      assert.ok(e instanceof GitcertError);
      assert.equal(e.code, "Dns01InvalidCredential");
      assert.match(e.message, /Secret tsig key secret is not a base64 TSIG secret/);
      assert.ok(!e.message.includes("not base64 at all"));
      return true;
    });
  });
});
