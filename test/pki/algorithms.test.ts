// One row per key algorithm and size cert-manager accepts (RSA 4096 and up
// live in certificate.test.ts only: generating them is slow). Each row checks
// the key, its encodings, and the signatures it makes, against openssl.
import assert from "node:assert/strict";
import type { KeyObject } from "node:crypto";
import { after, describe, test } from "node:test";
import {
  createCsr,
  encodePrivateKey,
  encodePrivateKeyDer,
  generatePrivateKey,
  keyMatchesSpec,
  parseCertificate,
  parsePrivateKey,
  publicKeyOf,
  signCertificate,
  type KeySpec,
} from "../../src/pki/index.ts";
import { certSpec, openssl, scratch, x509Text } from "./helpers.ts";

const tmp = scratch();
after(() => tmp.cleanup());

interface Row {
  spec: KeySpec;
  pkcs1Label: string;
  /** The openssl command that reads this key type's PKCS1/SEC1 form. */
  tool: "rsa" | "ec" | "pkey";
  keyText: RegExp;
  /** cert-manager's signatureAlgorithmFromPublicKey, as openssl names it. */
  signature: string;
}

const rows: Row[] = [
  { spec: { algorithm: "RSA", size: 2048 }, pkcs1Label: "RSA PRIVATE KEY", tool: "rsa", keyText: /Private-Key: \(2048 bit, 2 primes\)/, signature: "sha256WithRSAEncryption" },
  { spec: { algorithm: "RSA", size: 3072 }, pkcs1Label: "RSA PRIVATE KEY", tool: "rsa", keyText: /Private-Key: \(3072 bit, 2 primes\)/, signature: "sha384WithRSAEncryption" },
  { spec: { algorithm: "ECDSA", size: 256 }, pkcs1Label: "EC PRIVATE KEY", tool: "ec", keyText: /NIST CURVE: P-256/, signature: "ecdsa-with-SHA256" },
  { spec: { algorithm: "ECDSA", size: 384 }, pkcs1Label: "EC PRIVATE KEY", tool: "ec", keyText: /NIST CURVE: P-384/, signature: "ecdsa-with-SHA384" },
  { spec: { algorithm: "ECDSA", size: 521 }, pkcs1Label: "EC PRIVATE KEY", tool: "ec", keyText: /NIST CURVE: P-521/, signature: "ecdsa-with-SHA512" },
  { spec: { algorithm: "Ed25519", size: 0 }, pkcs1Label: "PRIVATE KEY", tool: "pkey", keyText: /ED25519 Private-Key/, signature: "ED25519" },
];

// Started together so RSA generation overlaps on node's thread pool.
const keys = new Map<Row, Promise<KeyObject>>(rows.map((row) => [row, generatePrivateKey(row.spec)]));

for (const row of rows) {
  const { spec } = row;
  const name = `${spec.algorithm}${spec.size ? `-${spec.size}` : ""}`;

  describe(name, () => {
    test("generated key matches its spec", async () => {
      const key = await keys.get(row)!;
      assert.equal(key.type, "private");
      assert.ok(keyMatchesSpec(key, spec));
      assert.ok(keyMatchesSpec(publicKeyOf(key), spec), "so does its public key");
    });

    test("PKCS1 and PKCS8 encodings have cert-manager's headers, round-trip, and openssl reads them", async () => {
      const key = await keys.get(row)!;
      const pkcs1 = encodePrivateKey(key, "PKCS1");
      const pkcs8 = encodePrivateKey(key, "PKCS8");
      assert.match(pkcs1, new RegExp(`^-----BEGIN ${row.pkcs1Label}-----\\n[A-Za-z0-9+/=\\n]+\\n-----END ${row.pkcs1Label}-----\\n$`));
      assert.match(pkcs8, /^-----BEGIN PRIVATE[ ]KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PRIVATE[ ]KEY-----\n$/);
      for (const line of pkcs1.split("\n")) assert.ok(line.length <= 64, "64-column base64");

      for (const [encoding, pem] of [["PKCS1", pkcs1], ["PKCS8", pkcs8]] as const) {
        assert.ok(parsePrivateKey(pem).equals(key), `${encoding} round-trips`);
        const path = tmp.file(`${name}-${encoding}.pem`, pem);
        assert.match(openssl(["pkey", "-in", path, "-noout", "-text"]), row.keyText);
        openssl([row.tool, "-in", path, "-check", "-noout"]);

        // key.der is the DER inside tls.key, as cert-manager's OutputFormatDER.
        const der = encodePrivateKeyDer(key, encoding);
        assert.deepEqual(der, Buffer.from(pem.replace(/-----[^-]+-----|\n/g, ""), "base64"));
        const derPath = tmp.file(`${name}-${encoding}.der`, der);
        const derTool = encoding === "PKCS8" ? "pkey" : row.tool;
        assert.match(openssl([derTool, "-inform", "DER", "-in", derPath, "-noout", "-text"]), row.keyText);
      }
    });

    test("keys openssl wrote parse back to the same key", async () => {
      const key = await keys.get(row)!;
      const pkcs8 = encodePrivateKey(key, "PKCS8");
      assert.ok(parsePrivateKey(openssl(["pkey"], pkcs8)).equals(key));
      // Ed25519 has no traditional (PKCS1-style) form.
      if (row.tool === "pkey") return;
      const traditional = openssl(["pkey", "-traditional"], pkcs8);
      assert.match(traditional, new RegExp(`BEGIN ${row.pkcs1Label}`));
      assert.ok(parsePrivateKey(traditional).equals(key));
    });

    test(`CSR is signed with ${row.signature} and verifies with openssl`, async () => {
      const key = await keys.get(row)!;
      const csr = await createCsr(certSpec({ commonName: "csr.example.com", dnsNames: ["csr.example.com"] }), key);
      assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
      const out = openssl(["req", "-verify", "-noout", "-text"], csr);
      assert.match(out, new RegExp(`Signature Algorithm: ${row.signature}`));
    });

    test(`self-signed CA is signed with ${row.signature} and verifies with openssl`, async () => {
      const key = await keys.get(row)!;
      const ca = await signCertificate({
        spec: certSpec({ commonName: `${name} CA`, isCA: true }),
        publicKey: publicKeyOf(key),
        signer: { privateKey: key },
        notBefore: new Date(),
      });
      const path = tmp.file(`${name}-ca.pem`, ca);
      assert.match(openssl(["verify", "-CAfile", path, path]), /: OK/);
      assert.match(x509Text(ca), new RegExp(`Signature Algorithm: ${row.signature}`));
      const info = parseCertificate(ca);
      assert.equal(info.keyAlgorithm, spec.algorithm);
      assert.equal(info.keySize, spec.size);
      assert.ok(info.publicKey.equals(publicKeyOf(key)));
    });
  });
}
