import assert from "node:assert/strict";
import { test } from "node:test";
import { issuanceWaves } from "../../src/execute/order.ts";

test("a CA Certificate is issued in an earlier wave than the leaves its issuer signs", () => {
  const root = { id: "root", writes: "cert-manager/root", needs: [] };
  const leaf = { id: "leaf", writes: "shop/web", needs: [{ namespace: "cert-manager", name: "root" }] };
  const other = { id: "other", writes: "blog/x", needs: [{ namespace: "cert-manager", name: "not-planned" }] };
  const { waves, cyclic } = issuanceWaves([leaf, other, root]);
  assert.deepEqual(waves.map((w) => w.map((i) => i.id)), [["other", "root"], ["leaf"]]);
  assert.deepEqual(cyclic, []);
});

test("Certificates that depend on each other are reported, not issued", () => {
  const a = { id: "a", writes: "ns/a", needs: [{ namespace: "ns", name: "b" }] };
  const b = { id: "b", writes: "ns/b", needs: [{ namespace: "ns", name: "a" }] };
  const c = { id: "c", writes: "ns/c", needs: [] };
  const { waves, cyclic } = issuanceWaves([a, b, c]);
  assert.deepEqual(waves.map((w) => w.map((i) => i.id)), [["c"]]);
  assert.deepEqual(cyclic.map((i) => i.id).sort(), ["a", "b"]);
});
