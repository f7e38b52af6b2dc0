// cnameStrategy: Follow against a real BIND 9, end to end: follow the
// CNAME, present in the zone it points into (found by SOA walk), see it
// propagate, clean up.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { challengeFqdn, challengeName, followCnames } from "../../../src/acme/dns01/cname.ts";
import { waitForTxtRecord } from "../../../src/acme/dns01/propagation.ts";
import { rfc2136Provider } from "../../../src/acme/dns01/providers/rfc2136/index.ts";
import { GitcertError } from "../../../src/diagnostics.ts";
import { startBind } from "../../peers/bind.ts";
import type { BindServer } from "../../peers/bind.ts";
import { context, digTxt } from "./helpers.ts";

let bind: BindServer;

before(async () => {
  bind = await startBind({
    keys: [{ name: "delegate-key", algorithm: "hmac-sha256" }],
    zones: [
      {
        // The user's zone: gitcert has no key for it, only CNAMEs into acme.test.
        name: "example.test",
        records: [
          "_acme-challenge.www IN CNAME www.example.test.acme.test.",
          "_acme-challenge.twice IN CNAME hop.example.test.",
          "hop IN CNAME twice.example.test.acme.test.",
          "_acme-challenge.loop IN CNAME loop2.example.test.",
          "loop2 IN CNAME _acme-challenge.loop.example.test.",
          "www IN A 127.0.0.1",
        ],
      },
      { name: "acme.test", updateKeys: ["delegate-key"] },
    ],
  });
});

after(async () => {
  await bind?.close();
});

describe("challengeName", () => {
  for (const [domain, name] of [
    ["example.com", "_acme-challenge.example.com."],
    ["*.example.com", "_acme-challenge.example.com."],
    ["WWW.Example.com.", "_acme-challenge.www.example.com."],
  ] as const) {
    it(`${domain} → ${name}`, () => assert.equal(challengeName(domain), name));
  }
});

describe("followCnames", () => {
  const opts = () => ({ nameservers: [bind.nameserver], timeoutMs: 1000 });

  it("follows one CNAME", async () => {
    assert.equal(await followCnames("_acme-challenge.www.example.test.", opts()), "www.example.test.acme.test.");
  });

  it("follows a chain", async () => {
    assert.equal(await followCnames("_acme-challenge.twice.example.test", opts()), "twice.example.test.acme.test.");
  });

  it("returns the name itself when it is no CNAME, existing or not", async () => {
    assert.equal(await followCnames("www.example.test.", opts()), "www.example.test.");
    assert.equal(await followCnames("_acme-challenge.none.example.test.", opts()), "_acme-challenge.none.example.test.");
  });

  it("stops at a loop and at too many hops", async () => {
    await assert.rejects(followCnames("_acme-challenge.loop.example.test.", opts()), (e: unknown) => {
      assert.ok(e instanceof GitcertError);
      assert.equal(e.code, "Dns01CnameLoop");
      assert.match(e.message, /_acme-challenge\.loop\.example\.test\. → loop2\.example\.test\. → _acme-challenge\.loop\.example\.test\./);
      return true;
    });
    await assert.rejects(followCnames("_acme-challenge.twice.example.test.", { ...opts(), maxHops: 1 }), /more than 1 CNAMEs/);
  });

  it("fails with the resolver's answer when it cannot resolve", async () => {
    await assert.rejects(
      followCnames("_acme-challenge.www.example.test.", { nameservers: ["127.0.0.1:1"], timeoutMs: 200 }),
      (e: unknown) => e instanceof GitcertError && e.code === "Dns01CnameLookupFailed",
    );
  });
});

describe("cnameStrategy Follow, end to end", () => {
  it("presents where the CNAME points, in the zone found there, and the record propagates", async () => {
    const domain = "www.example.test";
    assert.equal(await challengeFqdn(domain, "None", { nameservers: [bind.nameserver] }), "_acme-challenge.www.example.test.");
    const fqdn = await challengeFqdn(domain, "Follow", { nameservers: [bind.nameserver] });
    assert.equal(fqdn, "www.example.test.acme.test.");

    const record = { domain, fqdn, value: "followed-value" };
    const ctx = context(rfc2136Provider, 
      { nameserver: bind.nameserver, tsigKeyName: "delegate-key", tsigAlgorithm: "HMACSHA256", tsigSecretSecretRef: { name: "tsig", key: "secret" } },
      { "tsig/secret": bind.keys["delegate-key"]!.secret },
    );
    await rfc2136Provider.present(record, ctx);
    try {
      await waitForTxtRecord(fqdn, record.value, { nameservers: [bind.nameserver], timeoutMs: 2000, intervalMs: 100 });
      assert.deepEqual(digTxt(bind, fqdn), ["followed-value"]);
      // An authoritative-only server does not chase the CNAME into the other
      // zone (a resolver does); the check says so instead of "not found".
      await assert.rejects(
        waitForTxtRecord("_acme-challenge.www.example.test.", record.value, { nameservers: [bind.nameserver], timeoutMs: 200, intervalMs: 100 }),
        /no TXT record at www\.example\.test\.acme\.test\. \(via CNAME to www\.example\.test\.acme\.test\.\)/,
      );
    } finally {
      await rfc2136Provider.cleanUp(record, ctx);
    }
    assert.deepEqual(digTxt(bind, fqdn), []);
  });
});
