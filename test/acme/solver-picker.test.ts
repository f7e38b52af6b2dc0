// cert-manager's solver selection, case by case (after
// pkg/util/pki/solverpicker/solverpicker_test.go).
import assert from "node:assert/strict";
import { test } from "node:test";
import { noSolverReason, pickSolver, zoneMatchLabels, type PickInput } from "../../src/acme/solver-picker.ts";
import type { SolverSelector, SolverSpec } from "../../src/acme/schema.ts";

const http = (index: number, selector?: SolverSelector): SolverSpec => ({ index, http01: {}, ...(selector ? { selector } : {}) });
const dns = (index: number, selector?: SolverSelector): SolverSpec => ({
  index,
  dns01: { cnameStrategy: "None", provider: "rfc2136", config: {} },
  ...(selector ? { selector } : {}),
});

const BOTH = ["http-01", "dns-01"];

const cases: Array<{ name: string; input: Partial<PickInput> & { solvers: SolverSpec[] }; want: number | undefined; type?: string }> = [
  { name: "no solvers", input: { solvers: [] }, want: undefined },
  { name: "one catch-all", input: { solvers: [http(0)] }, want: 0, type: "http-01" },
  { name: "the first catch-all wins", input: { solvers: [http(0), dns(1)] }, want: 0 },
  { name: "a solver whose type is not offered is skipped", input: { offered: ["dns-01"], solvers: [http(0), dns(1)] }, want: 1, type: "dns-01" },
  { name: "nothing of an offered type", input: { offered: ["dns-01"], solvers: [http(0)] }, want: undefined },
  { name: "a matching dnsZone beats the catch-all", input: { solvers: [http(0), dns(1, { dnsZones: ["example.com"] })] }, want: 1 },
  { name: "a zone that does not match is no candidate", input: { solvers: [http(0), dns(1, { dnsZones: ["example.org"] })] }, want: 0 },
  { name: "the longest zone wins", input: { domain: "a.sub.example.com", solvers: [dns(0, { dnsZones: ["example.com"] }), dns(1, { dnsZones: ["sub.example.com"] }), dns(2, { dnsZones: ["com"] })] }, want: 1 },
  { name: "the longest zone within one selector counts", input: { domain: "a.sub.example.com", solvers: [dns(0, { dnsZones: ["com", "sub.example.com"] }), dns(1, { dnsZones: ["example.com"] })] }, want: 0 },
  { name: "dnsNames beat dnsZones, whatever the order", input: { solvers: [dns(0, { dnsZones: ["www.example.com"] }), http(1, { dnsNames: ["www.example.com"] })] }, want: 1 },
  { name: "dnsNames that do not list the name exclude the solver", input: { solvers: [http(0, { dnsNames: ["other.example.com"] }), dns(1)] }, want: 1 },
  { name: "two dnsNames matches: the more specific zone wins", input: { solvers: [http(0, { dnsNames: ["www.example.com"] }), dns(1, { dnsNames: ["www.example.com"], dnsZones: ["example.com"] })] }, want: 1 },
  { name: "two dnsNames matches, same zones: more labels win", input: { labels: { team: "a", env: "prod" }, solvers: [http(0, { dnsNames: ["www.example.com"], matchLabels: { team: "a" } }), dns(1, { dnsNames: ["www.example.com"], matchLabels: { team: "a", env: "prod" } })] }, want: 1 },
  { name: "equal zones: more matchLabels win", input: { labels: { team: "a", env: "prod" }, solvers: [http(0, { dnsZones: ["example.com"] }), dns(1, { dnsZones: ["example.com"], matchLabels: { env: "prod" } })] }, want: 1 },
  { name: "matchLabels that do not match exclude the solver", input: { labels: { team: "b" }, solvers: [http(0), dns(1, { matchLabels: { team: "a" } })] }, want: 0 },
  { name: "matching labels beat the catch-all", input: { labels: { team: "a" }, solvers: [http(0), dns(1, { matchLabels: { team: "a" } })] }, want: 1 },
  { name: "a zone match beats a labels-only match", input: { labels: { team: "a" }, solvers: [dns(0, { matchLabels: { team: "a" } }), http(1, { dnsZones: ["example.com"] })] }, want: 1 },
  { name: "equally specific: the earlier solver wins", input: { solvers: [http(0, { dnsZones: ["example.com"] }), dns(1, { dnsZones: ["example.com"] })] }, want: 0 },
  { name: "an empty selector does not displace an earlier catch-all", input: { solvers: [http(0), dns(1, {})] }, want: 0 },
  { name: "an empty selector is chosen when it comes first", input: { solvers: [dns(0, {}), http(1)] }, want: 0 },
  { name: "a wildcard matches its own dnsNames entry", input: { domain: "*.example.com", offered: ["dns-01"], solvers: [dns(0, { dnsNames: ["example.com"] }), dns(1, { dnsNames: ["*.example.com"] })] }, want: 1 },
  { name: "a wildcard is inside its zone", input: { domain: "*.example.com", offered: ["dns-01"], solvers: [dns(0, { dnsZones: ["example.com"] })] }, want: 0 },
  { name: "zones compare case-insensitively, trailing dot or not", input: { domain: "WWW.Example.COM", solvers: [http(0, { dnsZones: ["example.com."] })] }, want: 0 },
  { name: "a zone is not a suffix match on partial labels", input: { domain: "www.badexample.com", solvers: [http(0, { dnsZones: ["example.com"] })] }, want: undefined },
];

for (const c of cases) {
  test(`solver picker: ${c.name}`, () => {
    const input: PickInput = { domain: "www.example.com", offered: BOTH, labels: {}, ...c.input };
    const picked = pickSolver(input);
    assert.equal(picked?.solver.index, c.want);
    if (c.type) assert.equal(picked?.challengeType, c.type);
  });
}

test("zoneMatchLabels counts the zone's labels when the name is in it", () => {
  assert.equal(zoneMatchLabels("example.com", "example.com"), 2);
  assert.equal(zoneMatchLabels("example.com", "a.b.example.com"), 2);
  assert.equal(zoneMatchLabels("b.example.com", "a.example.com"), 0);
  assert.equal(zoneMatchLabels(".", "example.com"), 0);
  assert.equal(zoneMatchLabels("a.example.com", "example.com"), 0);
});

test("no solver: the reason names what is missing", () => {
  const base = { offered: BOTH, labels: {} };
  assert.match(noSolverReason({ ...base, domain: "a.example.com", solvers: [] }, "ClusterIssuer le"), /ClusterIssuer le has no solvers/);
  assert.match(noSolverReason({ ...base, domain: "*.example.com", offered: ["dns-01"], solvers: [http(0)] }, "ClusterIssuer le"), /wildcard, which ACME validates only with DNS-01, and ClusterIssuer le has no dns01 solver/);
  assert.match(noSolverReason({ ...base, domain: "*.example.com", offered: ["dns-01"], solvers: [dns(0, { dnsZones: ["example.org"] })] }, "Issuer x"), /no dns01 solver's selector of Issuer x matches it/);
  assert.match(noSolverReason({ ...base, domain: "a.example.com", solvers: [http(0, { dnsNames: ["b.example.com"] })] }, "Issuer x"), /no solver of Issuer x matches a\.example\.com/);
});
