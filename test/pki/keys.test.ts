import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  encodePrivateKey,
  generatePrivateKey,
  keyMatchesSpec,
  normalizeKeySpec,
  parsePrivateKey,
  publicKeyOf,
  PkiErrorCode,
  type KeySpec,
} from "../../src/pki/index.ts";
import { GitcertError } from "../../src/diagnostics.ts";
import { openssl } from "./helpers.ts";

describe("key specs", () => {
  test("keyMatchesSpec compares algorithm and size, with cert-manager's size defaults", async () => {
    const p256 = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const ed = await generatePrivateKey({ algorithm: "Ed25519", size: 0 });
    assert.equal(keyMatchesSpec(p256, { algorithm: "ECDSA", size: 0 }), true);
    assert.equal(keyMatchesSpec(p256, { algorithm: "ECDSA", size: 384 }), false);
    assert.equal(keyMatchesSpec(p256, { algorithm: "RSA", size: 2048 }), false);
    assert.equal(keyMatchesSpec(ed, { algorithm: "Ed25519", size: 256 }), true, "Ed25519 ignores size");
    assert.equal(keyMatchesSpec(ed, { algorithm: "ECDSA", size: 256 }), false);
    assert.equal(keyMatchesSpec(p256, { algorithm: "ECDSA", size: 255 }), false, "an invalid spec matches nothing");
  });

  test("size 0 means cert-manager's default: RSA 2048, ECDSA P-256", async () => {
    assert.deepEqual(normalizeKeySpec({ algorithm: "RSA", size: 0 }), { algorithm: "RSA", size: 2048 });
    const ec = await generatePrivateKey({ algorithm: "ECDSA", size: 0 });
    assert.equal(ec.asymmetricKeyDetails?.namedCurve, "prime256v1");
  });

  for (const [spec, code] of [
    [{ algorithm: "RSA", size: 1024 }, PkiErrorCode.InvalidKeySize],
    [{ algorithm: "RSA", size: 8193 }, PkiErrorCode.InvalidKeySize],
    [{ algorithm: "RSA", size: 2048.5 }, PkiErrorCode.InvalidKeySize],
    [{ algorithm: "ECDSA", size: 224 }, PkiErrorCode.InvalidKeySize],
    [{ algorithm: "DSA", size: 2048 }, PkiErrorCode.UnsupportedKeyAlgorithm],
  ] as const) {
    test(`rejects ${spec.algorithm} ${spec.size} with ${code}`, async () => {
      await assert.rejects(generatePrivateKey(spec as KeySpec), (e: unknown) => e instanceof GitcertError && e.code === code);
    });
  }
});

describe("parsePrivateKey", () => {
  test("reads SEC1 after the EC PARAMETERS block `openssl ecparam -genkey` writes first", () => {
    const sec1 = openssl(["ecparam", "-name", "prime256v1", "-genkey"]);
    assert.match(sec1, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    assert.equal(parsePrivateKey(sec1).asymmetricKeyDetails?.namedCurve, "prime256v1");
  });

  test("refuses what is not a usable key, without echoing the input", () => {
    const corrupt = `-----BEGIN PRIVATE ${"KEY"}-----\n${Buffer.from("not a key at all, but secret-looking").toString("base64")}\n-----END PRIVATE ${"KEY"}-----\n`;
    const encrypted = openssl(["genpkey", "-algorithm", "ed25519", "-aes-128-cbc", "-pass", "pass:x"]);
    const x25519 = openssl(["genpkey", "-algorithm", "x25519"]);
    const cases = [
      ["", PkiErrorCode.InvalidPrivateKey],
      ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", PkiErrorCode.InvalidPrivateKey],
      [corrupt, PkiErrorCode.InvalidPrivateKey],
      [encrypted, PkiErrorCode.InvalidPrivateKey],
      [x25519, PkiErrorCode.UnsupportedKeyAlgorithm],
      [`-----BEGIN PRIVATE ${"KEY"}-----\nAAAA\n`, PkiErrorCode.InvalidPrivateKey],
    ] as const;
    for (const [pem, code] of cases) {
      assert.throws(
        () => parsePrivateKey(pem),
        (e: unknown) => {
          assert.ok(e instanceof GitcertError);
          assert.equal(e.code, code);
          for (const line of pem.split("\n").filter((l) => l.length > 8 && !l.startsWith("-----"))) {
            assert.ok(!e.message.includes(line), "message must not quote key material");
          }
          return true;
        },
      );
    }
  });

  test("encodePrivateKey refuses a public key", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    assert.throws(() => encodePrivateKey(publicKeyOf(key), "PKCS8"), { code: PkiErrorCode.InvalidPrivateKey });
  });
});
