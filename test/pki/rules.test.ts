// Tables for the small rules: RFC 4514 literal subjects, IP SAN forms, and
// cert-manager's usage names.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PkiErrorCode } from "../../src/pki/index.ts";
import { ipToBytes, ipToString } from "../../src/pki/ip.ts";
import { Oid, parseLiteralSubject, type Rdn } from "../../src/pki/subject.ts";
import { KeyUsageBit, resolveUsages } from "../../src/pki/usages.ts";

const { commonName: CN, organization: O, organizationalUnit: OU, country: C } = Oid;
const one = (type: string, value: string | Buffer): Rdn => [{ type, value }];

describe("literalSubject (RFC 4514, as go-ldap's ParseDN reads it)", () => {
  const cases: [string, Rdn[]][] = [
    ["", []],
    ["CN=foo", [one(CN, "foo")]],
    ["CN=foo,O=bar,C=US", [one(C, "US"), one(O, "bar"), one(CN, "foo")]],
    ["cn=foo, o=bar", [one(O, "bar"), one(CN, "foo")]],
    ["CN=foo;O=bar", [one(O, "bar"), one(CN, "foo")]],
    ["OU=a+OU=b,CN=x", [one(CN, "x"), [{ type: OU, value: "a" }, { type: OU, value: "b" }]]],
    ["CN=Acme\\, Inc.", [one(CN, "Acme, Inc.")]],
    ["CN=a\\+b\\=c\\\\d\\\"e\\<f\\>g\\;h", [one(CN, 'a+b=c\\d"e<f>g;h')]],
    ["CN=\\ padded\\ ", [one(CN, " padded ")]],
    ["CN=  trimmed  ", [one(CN, "trimmed")]],
    ["CN=\\#hash", [one(CN, "#hash")]],
    ["CN=Z\\C3\\BCrich", [one(CN, "Zürich")]],
    ["CN=Zürich", [one(CN, "Zürich")]],
    ["CN=a=b", [one(CN, "a=b")]],
    ["2.5.4.3=by-oid", [one(CN, "by-oid")]],
    ["1.2.3.4=#0c03666f6f", [one("1.2.3.4", Buffer.from("0c03666f6f", "hex"))]],
    ["DC=example,DC=com,UID=jdoe", [one(Oid.userId, "jdoe"), one(Oid.domainComponent, "com"), one(Oid.domainComponent, "example")]],
    ["SERIALNUMBER=42,STREET=Main St 1,L=Town,ST=State", [one(Oid.province, "State"), one(Oid.locality, "Town"), one(Oid.streetAddress, "Main St 1"), one(Oid.serialNumber, "42")]],
  ];
  for (const [text, want] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(parseLiteralSubject(text), want));
  }

  for (const text of ["CN", "CN=a,", "=a", "FOO=bar", "CN=a\\", "CN=a\\zz", "CN=a\"b", "CN=a<b", "CN=#zz", "CN=#0c05ab", "CN=\\ff\\fe"]) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseLiteralSubject(text), { code: PkiErrorCode.InvalidLiteralSubject });
    });
  }
});

describe("IP SANs, in Go's net.IP forms", () => {
  const cases: [string, string, number][] = [
    ["192.0.2.1", "192.0.2.1", 4],
    ["::1", "::1", 16],
    ["::", "::", 16],
    ["2001:DB8::1", "2001:db8::1", 16],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 16],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", 16],
    ["fe80::", "fe80::", 16],
    ["::ffff:192.0.2.1", "192.0.2.1", 4],
    ["::ffff:c000:0201", "192.0.2.1", 4],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201", 16],
  ];
  for (const [input, printed, octets] of cases) {
    test(`${input} → ${printed}`, () => {
      const bytes = ipToBytes(input);
      assert.equal(bytes.length, octets);
      assert.equal(ipToString(bytes), printed);
    });
  }
  for (const bad of ["", "1.2.3", "256.1.1.1", "1.2.3.4/32", "fe80::1%eth0", ":::", "example.com"]) {
    test(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => ipToBytes(bad), { code: PkiErrorCode.InvalidIPAddress }));
  }
});

describe("usages, as cert-manager maps them", () => {
  const eku = (n: number) => `1.3.6.1.5.5.7.3.${n}`;
  const cases: [string[], boolean, number, string[]][] = [
    [[], false, KeyUsageBit.digitalSignature | KeyUsageBit.keyEncipherment, []],
    [[], true, KeyUsageBit.digitalSignature | KeyUsageBit.keyEncipherment | KeyUsageBit.keyCertSign, []],
    [["server auth"], false, 0, [eku(1)]],
    [["server auth"], true, KeyUsageBit.keyCertSign, [eku(1)]],
    [["signing", "digital signature"], false, KeyUsageBit.digitalSignature, []],
    [["content commitment", "key agreement", "data encipherment"], false, KeyUsageBit.contentCommitment | KeyUsageBit.keyAgreement | KeyUsageBit.dataEncipherment, []],
    [["cert sign", "crl sign", "encipher only", "decipher only"], false, KeyUsageBit.keyCertSign | KeyUsageBit.cRLSign | KeyUsageBit.encipherOnly | KeyUsageBit.decipherOnly, []],
    [["email protection", "s/mime"], false, 0, [eku(4)]],
    [
      ["any", "client auth", "code signing", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"],
      false,
      0,
      ["2.5.29.37.0", eku(2), eku(3), eku(5), eku(6), eku(7), eku(8), eku(9), "1.3.6.1.4.1.311.10.3.3", "2.16.840.1.113730.4.1"],
    ],
  ];
  for (const [usages, isCA, keyUsage, extKeyUsages] of cases) {
    test(`${JSON.stringify(usages)}${isCA ? " for a CA" : ""}`, () => {
      assert.deepEqual(resolveUsages(usages, isCA), { keyUsage, extKeyUsages });
    });
  }
  test("unknown names are refused, all of them named", () => {
    assert.throws(() => resolveUsages(["server auth", "Server Auth", "nope"], false), (e: Error & { code?: string }) => {
      assert.equal(e.code, PkiErrorCode.UnknownKeyUsage);
      assert.match(e.message, /"Server Auth", "nope"/);
      return true;
    });
  });
});
