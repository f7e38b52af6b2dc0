// preferredChain, cert-manager's rule: the chain whose root-most
// certificate was issued by the named CA; the default chain otherwise.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { chainMatches, pickChain } from "../../src/acme/preferred-chain.ts";
import { CertFactory } from "./certs.ts";

const certs = new CertFactory();
after(() => certs.dispose());

// One leaf key, two chains: as an ACME server offers a default and an alternate.
const rootA = certs.root("Root A");
const rootB = certs.root("Root B");
const interA = certs.signed("Intermediate", rootA, { ca: true });
const interB = certs.signed("Intermediate B", rootB, { ca: true });
const leafA = certs.signed("leaf.example.com", interA);
const leafB = certs.signed("leaf.example.com", interB);
const chainA = leafA.certPem + interA.certPem;
const chainB = leafB.certPem + interB.certPem;

test("a chain matches by the issuer CN of its root-most certificate", () => {
  assert.ok(chainMatches(chainA, "Root A"));
  assert.ok(!chainMatches(chainA, "Root B"));
  // An issuer further down the chain is not the root-most one: acme-client would match it, cert-manager does not.
  assert.ok(!chainMatches(chainA, "Intermediate"));
});

const cases: Array<{ name: string; preferred: string | undefined; want: number }> = [
  { name: "no preference keeps the default", preferred: undefined, want: 0 },
  { name: "the default when it matches", preferred: "Root A", want: 0 },
  { name: "the alternate that matches", preferred: "Root B", want: 1 },
  { name: "no match keeps the default: it is a preference", preferred: "Root C", want: 0 },
  { name: "a CN lower in the chain does not count", preferred: "Intermediate B", want: 0 },
];
const chains = [chainA, chainB];
for (const c of cases) {
  test(`pickChain: ${c.name}`, async () => assert.equal(await pickChain(chains.map((chain) => async () => chain), c.preferred), chains[c.want]));
}

test("pickChain downloads an alternate only when the chains before it do not match", async () => {
  const loaded: number[] = [];
  const loaders = chains.map((chain, i) => async () => (loaded.push(i), chain));
  await pickChain(loaders, "Root A");
  assert.deepEqual(loaded, [0]);
  await pickChain(loaders, "Root B");
  assert.deepEqual(loaded, [0, 0, 1]);
});
