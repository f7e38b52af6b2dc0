// A zone's rules as cert-manager checks them before asking: defaults filled
// in where the request has none, locked values enforced, keys limited.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readCsr } from "../../src/pki/index.ts";
import { policyViolations, zoneFromCloud, zoneFromTpp } from "../../src/venafi/policy.ts";
import { csrFor } from "../fixtures/csr.ts";

const csr = async (overrides: Parameters<typeof csrFor>[0]) => readCsr((await csrFor({ dnsNames: [], ...overrides })).csrPem);

describe("venafi zone policy", () => {
  it("TPP: an unlocked default fills an empty field; a locked value must be met", async () => {
    const unlocked = zoneFromTpp({ Subject: { Organization: { Locked: false, Value: "Acme" } } });
    assert.deepEqual(policyViolations(await csr({ commonName: "a.example.test" }), unlocked), []);
    const locked = zoneFromTpp({ Subject: { Organization: { Locked: true, Value: "Acme" } } });
    assert.deepEqual(policyViolations(await csr({ commonName: "a.example.test" }), locked), [], "the locked value is the default for an empty field");
    assert.deepEqual(policyViolations(await csr({ commonName: "a.example.test", subject: { organizations: ["Other"] } }), locked), ['organization ["Other"] is not allowed (zone allows ^Acme$)']);
  });

  it("TPP: whitelisted domains cover subdomains; a leading dot requires one", async () => {
    const zone = zoneFromTpp({ WhitelistedDomains: ["example.test", ".corp.test"], SubjAltNameDnsAllowed: true });
    assert.deepEqual(policyViolations(await csr({ commonName: "example.test", dnsNames: ["a.b.example.test"] }), zone), []);
    assert.equal(policyViolations(await csr({ commonName: "corp.test", dnsNames: [] }), zone).length, 1);
    assert.deepEqual(policyViolations(await csr({ commonName: "x.corp.test", dnsNames: ["x.corp.test"] }), zone), []);
  });

  it("TPP: without SubjAltNameDnsAllowed and domains, DNS names are refused", async () => {
    const zone = zoneFromTpp({});
    assert.match(policyViolations(await csr({ commonName: "a.example.test", dnsNames: ["a.example.test"] }), zone).join(), /DNS names a\.example\.test are not allowed \(zone allows none\)/);
  });

  it("Cloud: missing subject rules allow nothing, as vcert reads a template", async () => {
    const zone = zoneFromCloud({ subjectCNRegexes: [".*"], sanRegexes: [".*"] });
    assert.match(policyViolations(await csr({ commonName: "a.example.test" }), zone).join(), /organization \[\] is not allowed \(zone allows none\)/);
  });

  it("keys: Ed25519 passes where the zone allows the ED25519 curve, RSA sizes are exact in Cloud", async () => {
    const zone = zoneFromCloud({ subjectCNRegexes: [".*"], subjectORegexes: [".*"], subjectOURegexes: [".*"], subjectLRegexes: [".*"], subjectSTRegexes: [".*"], subjectCValues: [".*"], sanRegexes: [".*"], keyTypes: [{ keyType: "EC", keyCurves: ["ED25519"] }, { keyType: "RSA", keyLengths: [4096] }] });
    assert.deepEqual(policyViolations(await csr({ commonName: "a.example.test", privateKey: { algorithm: "Ed25519", size: 0, encoding: "PKCS8", rotationPolicy: "Always" } }), zone), []);
    assert.deepEqual(policyViolations(await csr({ commonName: "a.example.test" }), zone), ["key RSA 2048 is not allowed (zone allows ECDSA ED25519, RSA 4096)"]);
  });
});
