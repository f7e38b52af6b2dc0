import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatServer, parseServer } from "../../../src/acme/dns01/transport.ts";
import { absoluteName, encodeName, isInZone, parentName, txtRdata } from "../../../src/acme/dns01/wire.ts";

describe("parseServer", () => {
  const table: [string, { host: string; port: number }][] = [
    ["10.0.0.1", { host: "10.0.0.1", port: 53 }],
    ["10.0.0.1:5353", { host: "10.0.0.1", port: 5353 }],
    ["[2001:db8::1]:5353", { host: "2001:db8::1", port: 5353 }],
    ["2001:db8::1", { host: "2001:db8::1", port: 53 }],
    ["[::1]", { host: "::1", port: 53 }],
    ["ns1.example.com:53", { host: "ns1.example.com", port: 53 }],
  ];
  for (const [text, server] of table) {
    it(text, () => {
      assert.deepEqual(parseServer(text), server);
      assert.deepEqual(parseServer(formatServer(server)), server);
    });
  }
  it("refuses a bad port", () => assert.throws(() => parseServer("10.0.0.1:0"), /invalid port/));
});

describe("wire names", () => {
  it("encodes names, canonical ones lower-cased", () => {
    assert.deepEqual(encodeName("Ab.c"), Buffer.from([2, 0x41, 0x62, 1, 0x63, 0]));
    assert.deepEqual(encodeName("Ab.c.", true), Buffer.from([2, 0x61, 0x62, 1, 0x63, 0]));
    assert.deepEqual(encodeName("."), Buffer.from([0]));
    assert.throws(() => encodeName("a..b"), /every label must be 1 to 63 bytes/);
    assert.throws(() => encodeName(`${"x".repeat(64)}.com`), /every label/);
  });
  it("walks up and compares zones", () => {
    assert.equal(absoluteName("example.com"), "example.com.");
    assert.equal(parentName("a.example.com."), "example.com.");
    assert.equal(parentName("com."), ".");
    assert.equal(parentName("."), undefined);
    assert.ok(isInZone("_acme-challenge.Example.com", "example.COM."));
    assert.ok(!isInZone("badexample.com.", "example.com."));
  });
  it("splits TXT values into character-strings of at most 255 bytes", () => {
    const rdata = txtRdata("x".repeat(300));
    assert.equal(rdata[0], 255);
    assert.equal(rdata[256], 45);
    assert.equal(rdata.length, 302);
  });
});
