// Which signature a key makes, as cert-manager's
// signatureAlgorithmFromPublicKey (pkg/util/pki/csr.go): RSA by modulus
// (SHA-256 below 3072 bits, SHA-384 below 4096, SHA-512 from 4096), ECDSA by
// curve (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512), Ed25519 pure. The same
// rule picks the CSR's signature (from the certificate's key) and the
// certificate's (from the signer's key).
import { webcrypto, type KeyObject } from "node:crypto";
import { describeKey, spkiDer } from "./keys.ts";

type Hash = "SHA-256" | "SHA-384" | "SHA-512";

export interface SigningAlgorithm {
  /** How node's WebCrypto imports the key. */
  importParams: webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  /** What @peculiar/x509 signs with (it maps this to the AlgorithmIdentifier). */
  signParams: webcrypto.Algorithm & { hash?: Hash };
}

export function signingAlgorithmFor(key: KeyObject): SigningAlgorithm {
  const { algorithm, size } = describeKey(key);
  switch (algorithm) {
    case "RSA": {
      const hash: Hash = size >= 4096 ? "SHA-512" : size >= 3072 ? "SHA-384" : "SHA-256";
      return {
        importParams: { name: "RSASSA-PKCS1-v1_5", hash },
        signParams: { name: "RSASSA-PKCS1-v1_5", hash },
      };
    }
    case "ECDSA": {
      const hash: Hash = size === 521 ? "SHA-512" : size === 384 ? "SHA-384" : "SHA-256";
      return {
        importParams: { name: "ECDSA", namedCurve: `P-${size}` },
        signParams: { name: "ECDSA", hash },
      };
    }
    case "Ed25519":
      return { importParams: { name: "Ed25519" }, signParams: { name: "Ed25519" } };
  }
}

/** The key as WebCrypto keys for @peculiar/x509, which signs only through WebCrypto. */
export async function webCryptoKeys(privateKey: KeyObject): Promise<{
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  signParams: SigningAlgorithm["signParams"];
}> {
  const { importParams, signParams } = signingAlgorithmFor(privateKey);
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const [priv, pub] = await Promise.all([
    webcrypto.subtle.importKey("pkcs8", pkcs8, importParams, false, ["sign"]),
    webcrypto.subtle.importKey("spki", spkiDer(privateKey), importParams, true, ["verify"]),
  ]);
  return { privateKey: priv, publicKey: pub, signParams };
}
