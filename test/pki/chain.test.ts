// tls.crt / ca.crt from a CA's bag of certificates, as cert-manager's
// ParseSingleCertificateChain lays them out, whatever order they came in.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { assembleChain } from "../../src/pki/index.ts";
import { CertFactory } from "../acme/certs.ts";

describe("pki: assembleChain", () => {
  const certs = new CertFactory();
  after(() => certs.dispose());
  const root = certs.root("Chain Root");
  const int = certs.signed("Chain Intermediate", root, { ca: true });
  const leaf = certs.signed("leaf.example.test", int);
  const otherRoot = certs.root("Other Root");

  it("leaf + intermediate in tls.crt, the root in ca.crt, in any order and with repeats", () => {
    for (const bag of [[leaf, int, root], [root, int, leaf], [int, leaf, root, int, leaf]]) {
      const bundle = assembleChain(bag.map((c) => c.certPem).join("\n"));
      assert.equal(bundle.chainPem, leaf.certPem + int.certPem);
      assert.equal(bundle.caPem, root.certPem);
    }
  });

  it("without a self-signed root, ca.crt is the topmost certificate and it stays in tls.crt", () => {
    const bundle = assembleChain(int.certPem + leaf.certPem);
    assert.equal(bundle.chainPem, leaf.certPem + int.certPem);
    assert.equal(bundle.caPem, int.certPem);
  });

  it("a lone self-signed certificate is both; a lone leaf has no ca.crt", () => {
    assert.deepEqual(assembleChain(root.certPem), { chainPem: root.certPem, caPem: root.certPem });
    assert.deepEqual(assembleChain(leaf.certPem), { chainPem: leaf.certPem });
  });

  it("certificates that are not one chain are an error", () => {
    assert.throws(() => assembleChain(leaf.certPem + otherRoot.certPem), { code: "InvalidChain" });
    assert.throws(() => assembleChain(leaf.certPem + root.certPem), { code: "InvalidChain" }, "the intermediate is missing");
    assert.throws(() => assembleChain(""), { code: "InvalidChain" });
  });
});
