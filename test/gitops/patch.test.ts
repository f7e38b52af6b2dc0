// kustomize's patches as gitcert applies them offline: strategic merge
// without a schema, RFC 6902 JSON patches, and target selectors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatch } from "../../src/gitops/apply-patch.ts";
import { applyJsonPatch, readOperations } from "../../src/gitops/json-patch.ts";
import { parseLabelSelector, readSelector, selects, type SelectableObject } from "../../src/gitops/selector.ts";
import { strategicMerge } from "../../src/gitops/strategic-merge.ts";
import type { Patch } from "../../src/gitops/types.ts";

const issuer = {
  apiVersion: "cert-manager.io/v1",
  kind: "ClusterIssuer",
  metadata: { name: "letsencrypt", labels: { tier: "edge" } },
  spec: { acme: { server: "https://staging.example/dir", email: "a@example.test", solvers: [{ http01: { ingress: {} } }] } },
};

const mergeCases: Array<{ name: string; patch: Record<string, unknown>; expect: (o: any) => unknown; equals: unknown }> = [
  { name: "a scalar is replaced", patch: { spec: { acme: { server: "https://prod.example/dir" } } }, expect: (o) => o.spec.acme.server, equals: "https://prod.example/dir" },
  { name: "siblings stay", patch: { spec: { acme: { server: "x" } } }, expect: (o) => o.spec.acme.email, equals: "a@example.test" },
  { name: "null deletes a key", patch: { spec: { acme: { email: null } } }, expect: (o) => "email" in o.spec.acme, equals: false },
  {
    name: "a list without an associative key is replaced",
    patch: { spec: { acme: { solvers: [{ dns01: { cloudflare: {} } }] } } },
    expect: (o) => o.spec.acme.solvers,
    equals: [{ dns01: { cloudflare: {} } }],
  },
  { name: "$patch: replace replaces a mapping", patch: { spec: { acme: { $patch: "replace", server: "y" } } }, expect: (o) => o.spec.acme, equals: { server: "y" } },
];

for (const c of mergeCases) {
  test(`strategic merge: ${c.name}`, () => {
    const before = structuredClone(issuer);
    assert.deepEqual(c.expect(strategicMerge(issuer, c.patch)), c.equals);
    assert.deepEqual(issuer, before, "the input is not modified");
  });
}

test("strategic merge: lists of items with a name merge by name; $patch: delete removes one", () => {
  const target = { spec: { listeners: [{ name: "http", port: 80 }, { name: "https", port: 443, tls: { mode: "Terminate" } }] } };
  const merged = strategicMerge(target, { spec: { listeners: [{ name: "https", hostname: "*.example.test" }, { name: "http", $patch: "delete" }, { name: "grpc", port: 9000 }] } });
  assert.deepEqual(merged, { spec: { listeners: [{ name: "https", port: 443, tls: { mode: "Terminate" }, hostname: "*.example.test" }, { name: "grpc", port: 9000 }] } });
});

test("strategic merge: $patch: delete at the top deletes the object", () => {
  assert.equal(strategicMerge(issuer, { $patch: "delete" }), null);
});

const jsonCases: Array<{ ops: unknown[]; doc: unknown; result?: unknown; error?: RegExp }> = [
  { ops: [{ op: "replace", path: "/a/b", value: 2 }], doc: { a: { b: 1 } }, result: { a: { b: 2 } } },
  { ops: [{ op: "add", path: "/list/-", value: "c" }], doc: { list: ["a", "b"] }, result: { list: ["a", "b", "c"] } },
  { ops: [{ op: "add", path: "/list/0", value: "z" }], doc: { list: ["a"] }, result: { list: ["z", "a"] } },
  { ops: [{ op: "remove", path: "/list/0" }], doc: { list: ["a", "b"] }, result: { list: ["b"] } },
  { ops: [{ op: "add", path: "/metadata/annotations/a~1b", value: "x" }], doc: { metadata: { annotations: {} } }, result: { metadata: { annotations: { "a/b": "x" } } } },
  { ops: [{ op: "move", from: "/a", path: "/b" }], doc: { a: 1 }, result: { b: 1 } },
  { ops: [{ op: "copy", from: "/a", path: "/b" }], doc: { a: [1] }, result: { a: [1], b: [1] } },
  { ops: [{ op: "test", path: "/a", value: 1 }, { op: "replace", path: "/a", value: 2 }], doc: { a: 1 }, result: { a: 2 } },
  { ops: [{ op: "test", path: "/a", value: 2 }], doc: { a: 1 }, error: /test failed/ },
  { ops: [{ op: "replace", path: "/missing", value: 1 }], doc: { a: 1 }, error: /no such path/ },
  { ops: [{ op: "remove", path: "/list/5" }], doc: { list: [] }, error: /out of range/ },
  { ops: [{ op: "frobnicate", path: "/a" }], doc: {}, error: /unknown operation/ },
];

for (const c of jsonCases) {
  test(`JSON6902 ${JSON.stringify(c.ops)} on ${JSON.stringify(c.doc)}`, () => {
    const ops = readOperations(c.ops);
    assert.ok(Array.isArray(ops));
    const r = applyJsonPatch(c.doc, ops);
    if (c.error) {
      assert.ok(!r.ok);
      assert.match(r.error, c.error);
    } else {
      assert.ok(r.ok);
      assert.deepEqual(r.value, c.result);
    }
  });
}

test("JSON6902: a patch that is not a list of operations says why", () => {
  assert.equal(readOperations({ op: "add" }), "a JSON6902 patch must be a list of operations");
  assert.equal(readOperations([{ path: "/a" }]), 'operation 0 needs "op" and "path"');
  assert.equal(readOperations([{ op: "move", path: "/a" }]), 'operation 0 (move) needs "from"');
});

const me: SelectableObject = { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", name: "letsencrypt-prod", namespace: "", labels: { tier: "edge", env: "prod" }, annotations: { owner: "platform" } };

const selectorCases: Array<{ selector: Record<string, string>; selects: boolean }> = [
  { selector: {}, selects: true },
  { selector: { kind: "ClusterIssuer" }, selects: true },
  { selector: { kind: "Issuer" }, selects: false },
  { selector: { group: "cert-manager.io", version: "v1" }, selects: true },
  { selector: { group: "" }, selects: true },
  { selector: { name: "letsencrypt-.*" }, selects: true },
  { selector: { name: "letsencrypt" }, selects: false },
  { selector: { name: "(letsencrypt-prod|other)" }, selects: true },
  { selector: { labelSelector: "tier=edge" }, selects: true },
  { selector: { labelSelector: "tier=edge,env!=prod" }, selects: false },
  { selector: { labelSelector: "env in (prod, staging)" }, selects: true },
  { selector: { labelSelector: "env notin (prod)" }, selects: false },
  { selector: { labelSelector: "gitops.example/defaults!=disabled" }, selects: true },
  { selector: { labelSelector: "!skip" }, selects: true },
  { selector: { labelSelector: "tier" }, selects: true },
  { selector: { annotationSelector: "owner=platform" }, selects: true },
];

for (const c of selectorCases) {
  test(`target ${JSON.stringify(c.selector)} ${c.selects ? "selects" : "does not select"} ClusterIssuer letsencrypt-prod`, () => {
    const r = readSelector(c.selector);
    assert.equal(r.error, undefined);
    assert.equal(selects(r.selector ?? {}, me), c.selects);
  });
}

test("a selector that does not parse is an error, not a silent match", () => {
  assert.match(readSelector({ labelSelector: "a in b" }).error ?? "", /cannot read selector "a in b"/);
  assert.match(readSelector({ name: "(" }).error ?? "", /target:/);
  assert.throws(() => parseLabelSelector("==x"));
});

test("applyPatch: without a target a strategic merge patch selects by its own kind and name; with one, its name is ignored", () => {
  const source = { file: "k.yaml", line: 1 };
  const byId: Patch = { type: "strategic", body: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "letsencrypt" }, spec: { acme: { server: "p" } } }, source };
  assert.deepEqual(applyPatch(issuer, byId, ""), { selected: true, object: { ...issuer, spec: { acme: { ...issuer.spec.acme, server: "p" } } } });
  assert.deepEqual(applyPatch(issuer, { ...byId, body: { ...(byId.body as object), metadata: { name: "other" } } }, ""), { selected: false });
  const targeted: Patch = { type: "strategic", body: { kind: "ClusterIssuer", metadata: { name: "_", labels: { patched: "yes" } } }, target: { kind: "ClusterIssuer" }, source };
  const r = applyPatch(issuer, targeted, "");
  assert.ok(r.selected && "object" in r);
  assert.deepEqual(r.object?.metadata, { name: "letsencrypt", labels: { tier: "edge", patched: "yes" } });
  // kustomize refuses a JSON6902 patch without a target; it selects nothing.
  assert.deepEqual(applyPatch(issuer, { type: "json6902", body: [], source }, ""), { selected: false });
  const failing = applyPatch(issuer, { type: "json6902", body: [{ op: "remove", path: "/spec/nope" }], target: { kind: "ClusterIssuer" }, source }, "");
  assert.ok(failing.selected && "error" in failing);
});
