// The propagation check against a real BIND 9: it waits for the record, and
// when it gives up it says which server answered what.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import type { Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { authoritativeNameservers } from "../../../src/acme/dns01/authoritative.ts";
import { waitForTxtRecord } from "../../../src/acme/dns01/propagation.ts";
import { rfc2136Provider } from "../../../src/acme/dns01/providers/rfc2136/index.ts";
import { GitcertError } from "../../../src/diagnostics.ts";
import { startBind } from "../../peers/bind.ts";
import type { BindServer } from "../../peers/bind.ts";
import { context } from "./helpers.ts";

let bind: BindServer;
/** A UDP socket that reads queries and never answers: a server that is down. */
let silent: Socket;
let silentAddress: string;

before(async () => {
  bind = await startBind({
    keys: [{ name: "gitcert", algorithm: "hmac-sha256" }],
    zones: [{ name: "example.test", updateKeys: ["gitcert"] }],
  });
  silent = createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
  silentAddress = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
});

after(async () => {
  await bind?.close();
  silent?.close();
});

const ctx = () =>
  context(rfc2136Provider, 
    { nameserver: bind.nameserver, tsigKeyName: "gitcert", tsigAlgorithm: "HMACSHA256", tsigSecretSecretRef: { name: "tsig", key: "secret" } },
    { "tsig/secret": bind.keys.gitcert!.secret },
  );

async function rejection(p: Promise<unknown>): Promise<GitcertError> {
  const err = await p.then(
    () => assert.fail("expected the propagation check to time out"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GitcertError, String(err));
  return err;
}

describe("waitForTxtRecord", () => {
  it("returns once the record appears", async () => {
    const record = { domain: "wait.example.test", fqdn: "_acme-challenge.wait.example.test.", value: "appears-later" };
    const started = Date.now();
    const waiting = waitForTxtRecord(record.fqdn, record.value, { nameservers: [bind.nameserver], timeoutMs: 5000, intervalMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rfc2136Provider.present(record, ctx());
    await waiting;
    assert.ok(Date.now() - started >= 300);
    await rfc2136Provider.cleanUp(record, ctx());
  });

  it("returns at once when the record is already there", async () => {
    const record = { domain: "there.example.test", fqdn: "_acme-challenge.there.example.test.", value: "already" };
    await rfc2136Provider.present(record, ctx());
    await waitForTxtRecord(record.fqdn, record.value, { nameservers: [bind.nameserver], timeoutMs: 2000, intervalMs: 100 });
    await rfc2136Provider.cleanUp(record, ctx());
  });

  it("times out naming every server and what it answered", async () => {
    const fqdn = "_acme-challenge.missing.example.test.";
    const err = await rejection(waitForTxtRecord(fqdn, "the-value", { nameservers: [bind.nameserver, silentAddress], timeoutMs: 1200, intervalMs: 300 }));
    assert.equal(err.code, "Dns01NotPropagated");
    const m = err.message;
    assert.match(m, /TXT _acme-challenge\.missing\.example\.test\. "the-value" is not visible on 2 of 2 of the configured nameservers after/);
    assert.ok(m.includes(`${bind.nameserver} answered NXDOMAIN: _acme-challenge.missing.example.test. does not exist there`), m);
    assert.ok(m.includes(`${silentAddress} no answer from ${silentAddress} over UDP`), m);
    assert.match(m, /checks, every 0\.3 s/);
  });

  it("shows the values a server has when they are not the one expected, and who has it", async () => {
    const record = { domain: "stale.example.test", fqdn: "_acme-challenge.stale.example.test.", value: "old-value" };
    await rfc2136Provider.present(record, ctx());
    try {
      const err = await rejection(waitForTxtRecord(record.fqdn, "new-value", { nameservers: [bind.nameserver], timeoutMs: 300, intervalMs: 100 }));
      assert.match(err.message, /not visible on 1 of 1/);
      assert.ok(err.message.includes(`${bind.nameserver} answered with other TXT values: "old-value"`), err.message);
    } finally {
      await rfc2136Provider.cleanUp(record, ctx());
    }
  });

  it("explains NODATA and REFUSED", async () => {
    // ns1.example.test. exists (an A record) but has no TXT; other.invalid is no zone of this server.
    let err = await rejection(waitForTxtRecord("ns1.example.test.", "v", { nameservers: [bind.nameserver], timeoutMs: 200, intervalMs: 100 }));
    assert.match(err.message, /answered NOERROR with no TXT record at ns1\.example\.test\. \(NODATA/);
    err = await rejection(waitForTxtRecord("_acme-challenge.other.invalid.", "v", { nameservers: [bind.nameserver], timeoutMs: 200, intervalMs: 100 }));
    assert.match(err.message, /answered REFUSED: it does not serve this zone/);
  });

  it("says when the authoritative servers cannot be found", async () => {
    const err = await rejection(waitForTxtRecord("_acme-challenge.x.example.test.", "v", { resolvers: [silentAddress], timeoutMs: 400, intervalMs: 100 }));
    assert.equal(err.code, "Dns01NotPropagated");
    assert.match(err.message, /could not be checked after .*finding the zone of _acme-challenge\.x\.example\.test\. failed on every resolver/);
  });
});

describe("authoritativeNameservers", () => {
  it("finds the zone, its NS set and their addresses through a resolver", async () => {
    const found = await authoritativeNameservers("_acme-challenge.www.example.test.", { resolvers: [bind.nameserver], timeoutMs: 2000 });
    assert.deepEqual(found, { zone: "example.test.", servers: [{ name: "ns1.example.test.", host: "127.0.0.1", port: 53 }] });
  });
});
