import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PkiErrorCode, splitPem } from "../../src/pki/index.ts";

const der = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
const b64 = der.toString("base64");
const normalized = `-----BEGIN CERTIFICATE-----\n${b64.slice(0, 64)}\n${b64.slice(64, 128)}\n${b64.slice(128)}\n-----END CERTIFICATE-----\n`;

describe("splitPem", () => {
  test("normalizes each block: LF, 64 columns, trailing newline", () => {
    const messy = `subject=CN = x\r\n-----BEGIN CERTIFICATE-----\r\n  ${b64.slice(0, 10)}\r\n${b64.slice(10)}\r\n-----END CERTIFICATE-----`;
    assert.deepEqual(splitPem(messy), [normalized]);
  });

  test("keeps every block of a chain, in order, and ignores text between them", () => {
    const key = `-----BEGIN EC PRIVATE ${"KEY"}-----\nAAEC\n-----END EC PRIVATE ${"KEY"}-----\n`;
    const text = `# leaf\n${normalized}\nissuer: someone\n${normalized}${key}trailing words`;
    assert.deepEqual(splitPem(text), [normalized, normalized, key]);
  });

  test("keeps RFC 1421 headers", () => {
    const legacy = `-----BEGIN RSA PRIVATE ${"KEY"}-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END RSA PRIVATE ${"KEY"}-----\n`;
    assert.deepEqual(splitPem(legacy), [legacy]);
  });

  test("no blocks is an empty list", () => {
    assert.deepEqual(splitPem(""), []);
    assert.deepEqual(splitPem("just text"), []);
  });

  for (const [what, text] of [
    ["a block without END", "-----BEGIN CERTIFICATE-----\nAAEC\n"],
    ["mismatched labels", "-----BEGIN CERTIFICATE-----\nAAEC\n-----END PRIVATE KEY-----\n"],
    ["a BEGIN inside a block", "-----BEGIN CERTIFICATE-----\nAAEC\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n"],
    ["bad base64", "-----BEGIN CERTIFICATE-----\nAA*C\n-----END CERTIFICATE-----\n"],
    ["base64 of the wrong length", "-----BEGIN CERTIFICATE-----\nAAE\n-----END CERTIFICATE-----\n"],
    ["an empty block", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"],
  ] as const) {
    test(`rejects ${what}`, () => {
      assert.throws(() => splitPem(text), { code: PkiErrorCode.InvalidPEM });
    });
  }
});
