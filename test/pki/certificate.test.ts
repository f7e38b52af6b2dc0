// A self-signed CA and the leaves it signs, judged by openssl.
import assert from "node:assert/strict";
import type { KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { GitcertError } from "../../src/diagnostics.ts";
import type { CertificateSpec } from "../../src/manifests/types.ts";
import {
  certificateMatchesKey,
  createCsr,
  generatePrivateKey,
  parseCertificate,
  PkiErrorCode,
  publicKeyOf,
  signCertificate,
  verifyChain,
  type SignCertificateInput,
} from "../../src/pki/index.ts";
import { readCertificate } from "../../src/pki/parse.ts";
import { certSpec, extensionText, openssl, scratch, x509Text } from "./helpers.ts";

const tmp = scratch();
after(() => tmp.cleanup());

const DAY = 24 * 3600;
const p256 = () => generatePrivateKey({ algorithm: "ECDSA", size: 256 });
// Slow to generate, so started first and shared by the one test that needs it.
const rsa4096 = generatePrivateKey({ algorithm: "RSA", size: 4096 });

async function selfSignedCA(key: KeyObject, overrides: Partial<CertificateSpec> = {}, notBefore = new Date()): Promise<string> {
  return signCertificate({
    spec: certSpec({ commonName: "gitcert test CA", subject: { organizations: ["gitcert"] }, isCA: true, duration: 365 * DAY, ...overrides }),
    publicKey: publicKeyOf(key),
    signer: { privateKey: key },
    notBefore,
  });
}

let files = 0;
/** `openssl verify -CAfile ca leaf`, checking validity at `at`. */
function verifies(caPem: string, leafPem: string, at = new Date()): boolean {
  const ca = tmp.file(`verify-ca-${++files}.pem`, caPem);
  const leaf = tmp.file(`verify-leaf-${files}.pem`, leafPem);
  const attime = String(Math.floor(at.getTime() / 1000));
  return /: OK\n$/.test(openssl(["verify", "-attime", attime, "-CAfile", ca, leaf]));
}

describe("a CA and a leaf it signs", () => {
  const leafSpec = certSpec({
    commonName: "www.example.com",
    dnsNames: ["www.example.com", "example.com"],
    ipAddresses: ["192.0.2.10", "2001:db8::1"],
    uris: ["spiffe://cluster.local/ns/web/sa/site"],
    emailAddresses: ["admin@example.com"],
    usages: ["server auth", "client auth", "digital signature", "key encipherment"],
    duration: 30 * DAY,
  });
  const notBefore = new Date("2030-01-02T03:04:05.678Z");
  let caKey: KeyObject, leafKey: KeyObject, ca: string, leaf: string, caText: string, leafText: string;

  before(async () => {
    [caKey, leafKey] = await Promise.all([p256(), p256()]);
    ca = await selfSignedCA(caKey, {}, new Date("2030-01-01T00:00:00Z"));
    leaf = await signCertificate({
      spec: leafSpec,
      publicKey: publicKeyOf(leafKey),
      signer: { privateKey: caKey, certificatePem: ca },
      notBefore,
      extensions: {
        crlDistributionPoints: ["http://ca.example.com/crl"],
        ocspServers: ["http://ocsp.example.com"],
        issuingCertificateURLs: ["http://ca.example.com/ca.crt"],
      },
    });
    caText = x509Text(ca);
    leafText = x509Text(leaf);
  });

  test("openssl verifies the leaf against the CA", () => {
    assert.ok(verifies(ca, leaf, new Date(notBefore.getTime() + 3600_000)));
    assert.ok(verifyChain(leaf, ca));
    assert.ok(verifyChain(ca, ca), "the CA is self-issued");
  });

  test("the leaf carries every kind of SAN", () => {
    assert.equal(
      extensionText(leafText, "X509v3 Subject Alternative Name"),
      "X509v3 Subject Alternative Name: DNS:www.example.com, DNS:example.com, email:admin@example.com, " +
        "IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:1, URI:spiffe://cluster.local/ns/web/sa/site",
    );
  });

  test("key usage, extended key usage and basic constraints", () => {
    assert.equal(extensionText(leafText, "X509v3 Key Usage"), "X509v3 Key Usage: critical Digital Signature, Key Encipherment");
    assert.equal(
      extensionText(leafText, "X509v3 Extended Key Usage"),
      "X509v3 Extended Key Usage: TLS Web Server Authentication, TLS Web Client Authentication",
    );
    assert.equal(extensionText(leafText, "X509v3 Basic Constraints"), "X509v3 Basic Constraints: critical CA:FALSE");
    assert.equal(
      extensionText(caText, "X509v3 Key Usage"),
      "X509v3 Key Usage: critical Digital Signature, Key Encipherment, Certificate Sign",
      "isCA adds cert sign to the default usages",
    );
    assert.equal(extensionText(caText, "X509v3 Basic Constraints"), "X509v3 Basic Constraints: critical CA:TRUE");
  });

  test("key identifiers chain the leaf to the CA", () => {
    const id = (text: string, heading: string) => extensionText(text, heading).split(" ").pop();
    const caSki = id(caText, "X509v3 Subject Key Identifier");
    assert.match(caSki ?? "", /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    assert.equal(id(caText, "X509v3 Authority Key Identifier"), caSki, "self-signed: own key");
    assert.equal(id(leafText, "X509v3 Authority Key Identifier"), caSki);
    assert.notEqual(id(leafText, "X509v3 Subject Key Identifier"), caSki);
  });

  test("CRL distribution points and authority information access", () => {
    assert.match(leafText, /X509v3 CRL Distribution Points: *\n\s+Full Name:\n\s+URI:http:\/\/ca\.example\.com\/crl/);
    assert.match(leafText, /OCSP - URI:http:\/\/ocsp\.example\.com/);
    assert.match(leafText, /CA Issuers - URI:http:\/\/ca\.example\.com\/ca\.crt/);
    assert.doesNotMatch(caText, /CRL Distribution|Authority Information Access/);
  });

  test("lifetime equals the duration, from notBefore truncated to the second", () => {
    const info = parseCertificate(leaf);
    assert.equal(info.notBefore.toISOString(), "2030-01-02T03:04:05.000Z");
    assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), leafSpec.duration * 1000);
    assert.match(leafText, /Not Before: Jan {2}2 03:04:05 2030 GMT/);
  });

  test("issuer name is the CA's subject, byte for byte", () => {
    assert.deepEqual(readCertificate(leaf).issuerDer, readCertificate(ca).subjectDer);
  });

  test("serial numbers are positive, at most 128 bits, and fresh each time", async () => {
    const again = await signCertificate({
      spec: leafSpec,
      publicKey: publicKeyOf(leafKey),
      signer: { privateKey: caKey, certificatePem: ca },
      notBefore,
    });
    const a = parseCertificate(leaf).serialNumber;
    const b = parseCertificate(again).serialNumber;
    assert.notEqual(a, b);
    for (const pem of [leaf, again]) {
      const serial = parseCertificate(pem).serialNumber;
      assert.match(serial, /^[0-9a-f]{1,32}$/);
      assert.equal(openssl(["x509", "-noout", "-serial"], pem).trim().toLowerCase(), `serial=${serial.padStart(2 * Math.ceil(serial.length / 2), "0")}`);
    }
  });

  test("parseCertificate reads back what was asked", () => {
    const info = parseCertificate(leaf);
    assert.equal(info.commonName, "www.example.com");
    assert.deepEqual(info.subject, {});
    assert.equal(info.issuerCommonName, "gitcert test CA");
    assert.deepEqual(info.dnsNames, leafSpec.dnsNames);
    assert.deepEqual(info.ipAddresses, leafSpec.ipAddresses);
    assert.deepEqual(info.uris, leafSpec.uris);
    assert.deepEqual(info.emailAddresses, leafSpec.emailAddresses);
    assert.equal(info.isCA, false);
    assert.equal(info.keyAlgorithm, "ECDSA");
    assert.equal(info.keySize, 256);
    assert.ok(info.publicKey.equals(publicKeyOf(leafKey)));
    const fingerprint = openssl(["x509", "-noout", "-fingerprint", "-sha256"], leaf).trim().split("=")[1]!;
    assert.equal(info.fingerprintSha256, fingerprint.replaceAll(":", "").toLowerCase());

    const caInfo = parseCertificate(ca);
    assert.equal(caInfo.isCA, true);
    assert.deepEqual(caInfo.subject, { organizations: ["gitcert"] });
    assert.equal(caInfo.notAfter.getTime() - caInfo.notBefore.getTime(), 365 * DAY * 1000);
  });

  test("certificateMatchesKey tells the leaf's key from another", () => {
    assert.equal(certificateMatchesKey(leaf, leafKey), true);
    assert.equal(certificateMatchesKey(leaf, publicKeyOf(leafKey)), true);
    assert.equal(certificateMatchesKey(leaf, caKey), false);
  });

  test("the CSR for the same spec verifies and asks for the same names and usages", async () => {
    const csr = await createCsr(leafSpec, leafKey);
    const text = openssl(["req", "-verify", "-noout", "-text"], csr);
    assert.match(text, /Subject: CN = www\.example\.com\n/);
    assert.match(text, /X509v3 Subject Alternative Name: *\n\s+DNS:www\.example\.com, DNS:example\.com, email:admin@example\.com, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:1, URI:spiffe:\/\/cluster\.local\/ns\/web\/sa\/site\n/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    assert.match(text, /X509v3 Extended Key Usage: *\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    assert.doesNotMatch(text, /Basic Constraints/);

    const caCsr = await createCsr(certSpec({ commonName: "sub CA", isCA: true }), caKey);
    assert.match(openssl(["req", "-verify", "-noout", "-text"], caCsr), /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
  });
});

describe("validity against the signing CA", () => {
  test("a leaf that would outlive its CA ends when the CA does", async () => {
    const [caKey, leafKey] = await Promise.all([p256(), p256()]);
    const ca = await selfSignedCA(caKey, { duration: 2 * DAY });
    const leaf = await signCertificate({
      spec: certSpec({ dnsNames: ["short.example.com"], duration: 90 * DAY }),
      publicKey: publicKeyOf(leafKey),
      signer: { privateKey: caKey, certificatePem: ca },
      notBefore: new Date(),
    });
    assert.equal(parseCertificate(leaf).notAfter.getTime(), parseCertificate(ca).notAfter.getTime());
    assert.ok(verifies(ca, leaf));

    const inside = await signCertificate({
      spec: certSpec({ dnsNames: ["short.example.com"], duration: DAY }),
      publicKey: publicKeyOf(leafKey),
      signer: { privateKey: caKey, certificatePem: ca },
      notBefore: new Date(),
    });
    const info = parseCertificate(inside);
    assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), DAY * 1000, "not clamped when it fits");
  });
});

describe("subjects", () => {
  test("literalSubject appears in order, RDNs reversed into DER order like cert-manager", async () => {
    const key = await p256();
    const literalSubject = "CN=leaf.example.com,OU=Platform+OU=Ops,O=Acme\\, Inc.,L=Berlin,C=DE";
    const spec = certSpec({ literalSubject });
    const cert = await signCertificate({ spec, publicKey: publicKeyOf(key), signer: { privateKey: key }, notBefore: new Date() });
    const want = 'subject=C = DE, L = Berlin, O = "Acme, Inc.", OU = Platform + OU = Ops, CN = leaf.example.com';
    assert.equal(openssl(["x509", "-noout", "-subject"], cert).trim(), want);
    assert.equal(openssl(["req", "-noout", "-subject"], await createCsr(spec, key)).trim(), want);
    const info = parseCertificate(cert);
    assert.equal(info.commonName, "leaf.example.com");
    assert.deepEqual(info.subject, {
      countries: ["DE"],
      localities: ["Berlin"],
      organizations: ["Acme, Inc."],
      organizationalUnits: ["Platform", "Ops"],
    });
  });

  test("subject fields appear in Go's pkix.Name order", async () => {
    const key = await p256();
    const subject = {
      countries: ["DE", "FR"],
      provinces: ["Berlin"],
      localities: ["Berlin"],
      streetAddresses: ["Unter den Linden 1"],
      postalCodes: ["10117"],
      organizations: ["Acme"],
      organizationalUnits: ["Platform", "Ops"],
      serialNumber: "1234",
    };
    const spec = certSpec({ commonName: "site.example.com", subject });
    const cert = await signCertificate({ spec, publicKey: publicKeyOf(key), signer: { privateKey: key }, notBefore: new Date() });
    const want =
      "subject=C = DE, C = FR, ST = Berlin, L = Berlin, street = Unter den Linden 1, postalCode = 10117, " +
      "O = Acme, OU = Platform, OU = Ops, CN = site.example.com, serialNumber = 1234";
    assert.equal(openssl(["x509", "-noout", "-subject"], cert).trim(), want);
    assert.equal(openssl(["req", "-noout", "-subject"], await createCsr(spec, key)).trim(), want);
    const info = parseCertificate(cert);
    assert.deepEqual(info.subject, subject);
    assert.equal(info.commonName, "site.example.com");
  });

  test("values are PrintableString when they fit and UTF8String otherwise, as Go writes them", async () => {
    const key = await p256();
    const cert = await signCertificate({
      spec: certSpec({ literalSubject: "CN=Zürich Büro,O=Acme & Co,OU=Plain" }),
      publicKey: publicKeyOf(key),
      signer: { privateKey: key },
      notBefore: new Date(),
    });
    const asn1 = openssl(["asn1parse"], cert);
    assert.match(asn1, /PRINTABLESTRING +:Plain/);
    assert.match(asn1, /UTF8STRING +:Acme & Co/);
    assert.match(asn1, /UTF8STRING +:Z/);
    assert.equal(parseCertificate(cert).commonName, "Zürich Büro");
  });

  test("with only SANs the subject is empty and the SAN extension critical", async () => {
    const key = await p256();
    const spec = certSpec({ dnsNames: ["only-san.example.com"], isCA: true });
    const cert = await signCertificate({ spec, publicKey: publicKeyOf(key), signer: { privateKey: key }, notBefore: new Date() });
    const text = x509Text(cert);
    assert.match(text, /Subject: *\n/);
    assert.equal(extensionText(text, "X509v3 Subject Alternative Name"), "X509v3 Subject Alternative Name: critical DNS:only-san.example.com");
    const csrText = openssl(["req", "-verify", "-noout", "-text"], await createCsr(spec, key));
    assert.match(csrText, /X509v3 Subject Alternative Name: critical\n/);
    const info = parseCertificate(cert);
    assert.equal(info.commonName, undefined);
    assert.deepEqual(info.subject, {});
  });

  test("an IPv4-mapped IPv6 address is written as IPv4, as Go does", async () => {
    const key = await p256();
    const cert = await signCertificate({
      spec: certSpec({ ipAddresses: ["::ffff:198.51.100.7", "2001:db8:0:0:1:0:0:1"] }),
      publicKey: publicKeyOf(key),
      signer: { privateKey: key },
      notBefore: new Date(),
    });
    assert.match(x509Text(cert), /IP Address:198\.51\.100\.7, IP Address:2001:DB8:0:0:1:0:0:1\n/);
    assert.deepEqual(parseCertificate(cert).ipAddresses, ["198.51.100.7", "2001:db8::1:0:0:1"]);
  });
});

describe("signature algorithms across a chain", () => {
  for (const [caSpec, leafSpec, signature] of [
    [{ algorithm: "Ed25519", size: 0 }, { algorithm: "ECDSA", size: 521 }, "ED25519"],
    [{ algorithm: "ECDSA", size: 521 }, { algorithm: "Ed25519", size: 0 }, "ecdsa-with-SHA512"],
  ] as const) {
    test(`${caSpec.algorithm} CA signs a ${leafSpec.algorithm} leaf with ${signature}`, async () => {
      const [caKey, leafKey] = await Promise.all([generatePrivateKey(caSpec), generatePrivateKey(leafSpec)]);
      const ca = await selfSignedCA(caKey);
      const leaf = await signCertificate({
        spec: certSpec({ commonName: "leaf", dnsNames: ["leaf.example.com"] }),
        publicKey: publicKeyOf(leafKey),
        signer: { privateKey: caKey, certificatePem: ca },
        notBefore: new Date(),
      });
      assert.ok(verifies(ca, leaf));
      assert.ok(verifyChain(leaf, ca));
      assert.match(x509Text(leaf), new RegExp(`Signature Algorithm: ${signature}\n`));
      assert.equal(parseCertificate(leaf).keyAlgorithm, leafSpec.algorithm);
    });
  }

  test("an RSA-4096 CA signs with sha512WithRSAEncryption, as cert-manager picks for 4096-bit keys", async () => {
    const [caKey, leafKey] = await Promise.all([rsa4096, p256()]);
    const ca = await selfSignedCA(caKey);
    const leaf = await signCertificate({
      spec: certSpec({ dnsNames: ["rsa.example.com"] }),
      publicKey: publicKeyOf(leafKey),
      signer: { privateKey: caKey, certificatePem: ca },
      notBefore: new Date(),
    });
    assert.ok(verifies(ca, leaf));
    assert.match(x509Text(ca), /Signature Algorithm: sha512WithRSAEncryption\n/);
    assert.match(x509Text(leaf), /Signature Algorithm: sha512WithRSAEncryption\n/);
    assert.match(openssl(["req", "-verify", "-noout", "-text"], await createCsr(certSpec({ commonName: "rsa" }), caKey)), /sha512WithRSAEncryption/);
    const info = parseCertificate(ca);
    assert.equal(info.keyAlgorithm, "RSA");
    assert.equal(info.keySize, 4096);
  });
});

describe("certificates openssl made", () => {
  test("an openssl CA signs our leaf: issuer bytes and key identifier come from it", async () => {
    const caKeyPath = tmp.file("foreign-ca.key", openssl(["genpkey", "-algorithm", "ed25519"]));
    const caPath = `${tmp.dir}/foreign-ca.pem`;
    openssl([
      "req", "-x509", "-key", caKeyPath, "-out", caPath, "-days", "30",
      "-subj", "/O=Foreign Ltd/CN=Foreign Root",
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    const ca = openssl(["x509", "-in", caPath]);
    const caKey = (await import("../../src/pki/index.ts")).parsePrivateKey(openssl(["pkey", "-in", caKeyPath]));
    const leafKey = await p256();
    const leaf = await signCertificate({
      spec: certSpec({ dnsNames: ["foreign.example.com"] }),
      publicKey: publicKeyOf(leafKey),
      signer: { privateKey: caKey, certificatePem: ca },
      notBefore: new Date(),
    });
    assert.ok(verifies(ca, leaf));
    assert.deepEqual(readCertificate(leaf).issuerDer, readCertificate(ca).subjectDer);
    assert.match(openssl(["asn1parse"], ca), /UTF8STRING +:Foreign Root/, "openssl wrote UTF8String; we kept it");
    assert.equal(parseCertificate(leaf).issuerCommonName, "Foreign Root");
  });

  test("parseCertificate reads a certificate whose SANs include kinds we do not model", () => {
    const keyPath = tmp.file("othername.key", openssl(["genpkey", "-algorithm", "ed25519"]));
    const cert = openssl([
      "req", "-x509", "-key", keyPath, "-days", "1", "-subj", "/CN=othername",
      "-addext", "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com,otherName:1.2.3.4;UTF8:x,DNS:x.example.com,IP:::1,dirName:dir_sect",
      "-config", tmp.file("othername.cnf", "[req]\ndistinguished_name=dn\n[dn]\n[dir_sect]\nCN=dir\n"),
    ]);
    const info = parseCertificate(cert);
    assert.equal(info.commonName, "othername");
    assert.deepEqual(info.dnsNames, ["x.example.com"]);
    assert.deepEqual(info.ipAddresses, ["::1"]);
    assert.equal(info.keyAlgorithm, "Ed25519");
    assert.equal(info.keySize, 0);
  });
});

describe("refusals", () => {
  test("each problem has its own code", async () => {
    const [keyA, keyB] = await Promise.all([p256(), p256()]);
    const ca = await selfSignedCA(keyA);
    const leaf = await signCertificate({
      spec: certSpec({ dnsNames: ["leaf.example.com"] }),
      publicKey: publicKeyOf(keyB),
      signer: { privateKey: keyA, certificatePem: ca },
      notBefore: new Date(),
    });
    const expired = await selfSignedCA(keyA, { duration: 3600 }, new Date(Date.now() - 2 * 3600 * 1000));
    const base = (over: Partial<SignCertificateInput> = {}): SignCertificateInput => ({
      spec: certSpec({ dnsNames: ["x.example.com"] }),
      publicKey: publicKeyOf(keyB),
      signer: { privateKey: keyA, certificatePem: ca },
      notBefore: new Date(),
      ...over,
    });
    const cases: [string, SignCertificateInput, string][] = [
      ["self-signed with someone else's key", base({ signer: { privateKey: keyA } }), PkiErrorCode.KeyPairMismatch],
      ["a leaf as the signer", base({ signer: { privateKey: keyB, certificatePem: leaf } }), PkiErrorCode.SignerNotCA],
      ["a CA key that is not the CA's", base({ signer: { privateKey: keyB, certificatePem: ca } }), PkiErrorCode.SignerKeyMismatch],
      ["an expired CA", base({ signer: { privateKey: keyA, certificatePem: expired } }), PkiErrorCode.SignerExpired],
      ["no name at all", base({ spec: certSpec({ subject: { organizations: ["Acme"] } }) }), PkiErrorCode.MissingIdentity],
      ["an unknown usage", base({ spec: certSpec({ dnsNames: ["x"], usages: ["server auth", "world domination"] }) }), PkiErrorCode.UnknownKeyUsage],
      ["a bad IP", base({ spec: certSpec({ ipAddresses: ["300.1.1.1"] }) }), PkiErrorCode.InvalidIPAddress],
      ["a non-ASCII DNS name", base({ spec: certSpec({ dnsNames: ["bücher.example"] }) }), PkiErrorCode.InvalidSubjectAltName],
      ["a bad literalSubject", base({ spec: certSpec({ literalSubject: "CN=x,FOO=bar" }) }), PkiErrorCode.InvalidLiteralSubject],
      ["a zero duration", base({ spec: certSpec({ dnsNames: ["x"], duration: 0 }) }), PkiErrorCode.InvalidDuration],
      ["a signer that is not a certificate", base({ signer: { privateKey: keyA, certificatePem: "nope" } }), PkiErrorCode.InvalidCertificate],
    ];
    for (const [what, input, code] of cases) {
      await assert.rejects(signCertificate(input), (e: unknown) => e instanceof GitcertError && e.code === code, what);
    }
    await assert.rejects(createCsr(certSpec(), keyA), { code: PkiErrorCode.MissingIdentity });
    await assert.rejects(createCsr(certSpec({ commonName: "x" }), publicKeyOf(keyA)), { code: PkiErrorCode.InvalidPrivateKey });
    assert.throws(() => parseCertificate("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"), { code: PkiErrorCode.InvalidCertificate });
    const other = await selfSignedCA(keyB, { commonName: "another CA" });
    assert.equal(verifyChain(leaf, other), false);
    assert.equal(verifyChain(leaf, expired), true, "same name and key: validity dates are not verifyChain's business");
  });
});
