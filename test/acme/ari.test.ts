// ARI pieces that need no server: the CertID (RFC 9773 §4.1, with the RFC's
// own example), and the moment picked inside a suggested window.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ariCertId, renewalTimeInWindow } from "../../src/acme/ari.ts";
import { CertFactory } from "./certs.ts";

const certs = new CertFactory();
after(() => certs.dispose());

test("CertID: RFC 9773's example (keyIdentifier 69:88:5B…, serial 0x87654321)", () => {
  const ca = certs.root("ARI example CA", "69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4");
  const leaf = certs.signed("ari.example.com", ca, { serial: "0x87654321" });
  // The serial's DER content octets keep the leading zero the high bit needs.
  assert.equal(ariCertId(leaf.certPem), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
});

test("CertID: a serial without the high bit has no leading zero; a chain is read from its first certificate", () => {
  const ca = certs.root("ARI CA 2", "01:02:03:04");
  const leaf = certs.signed("ari2.example.com", ca, { serial: "0x1234" });
  assert.equal(ariCertId(leaf.certPem + ca.certPem), "AQIDBA.EjQ");
});

const window = { start: new Date("2026-01-10T00:00:00Z"), end: new Date("2026-01-12T00:00:00Z") };

test("the renewal moment lies in the window, truncated to the second", () => {
  for (const id of ["a.b", "c.d", "e.f", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"]) {
    const at = renewalTimeInWindow(window, id);
    assert.ok(at >= window.start && at < window.end, `${id}: ${at.toISOString()}`);
    assert.equal(at.getTime() % 1000, 0);
  }
});

test("the same certificate always gets the same moment; different ones spread out", () => {
  assert.deepEqual(renewalTimeInWindow(window, "x.y"), renewalTimeInWindow(window, "x.y"));
  const moments = new Set(Array.from({ length: 20 }, (_, i) => renewalTimeInWindow(window, `cert.${i}`).getTime()));
  assert.ok(moments.size >= 18, `20 certificates, ${moments.size} moments`);
});

test("a window entirely in the past gives a moment in the past: renew at once", () => {
  const past = { start: new Date(Date.now() - 7200_000), end: new Date(Date.now() - 3600_000) };
  assert.ok(renewalTimeInWindow(past, "p.q") < new Date());
});
