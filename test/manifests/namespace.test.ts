import { test } from "node:test";
import assert from "node:assert/strict";
import { namespaceResolver, parentDir } from "../../src/manifests/namespace.ts";
import type { KustomizationFile } from "../../src/manifests/types.ts";

function k(dir: string, namespace?: string): KustomizationFile {
  const file = dir === "" ? "kustomization.yaml" : `${dir}/kustomization.yaml`;
  return { dir, file, resources: [], ...(namespace ? { namespace } : {}) };
}

const layout = [
  k("", "root-ns"),
  k("apps", "apps"),
  k("apps/web"), // no namespace: does not stop the walk
  k("apps/db", "db"),
  k("clusters/prod/infra", "infra"),
];

const cases: Array<{ name: string; file: string; namespace?: unknown; kustomizations?: KustomizationFile[]; expect: string }> = [
  { name: "metadata.namespace wins over everything", file: "apps/db/x.yaml", namespace: "explicit", expect: "explicit" },
  { name: "kustomization in the file's own folder", file: "apps/db/x.yaml", expect: "db" },
  { name: "kustomization in an ancestor folder", file: "apps/db/deep/er/x.yaml", expect: "db" },
  { name: "a kustomization without namespace is walked past", file: "apps/web/x.yaml", expect: "apps" },
  { name: "the nearest kustomization with a namespace wins", file: "apps/x.yaml", expect: "apps" },
  { name: "the repository root kustomization", file: "x.yaml", expect: "root-ns" },
  { name: "a folder with no kustomization above but the root", file: "other/x.yaml", expect: "root-ns" },
  { name: "no kustomization at all: the default", file: "apps/db/x.yaml", kustomizations: [], expect: "default-ns" },
  { name: "no kustomization up the tree: the default", file: "clusters/prod/x.yaml", kustomizations: layout.slice(1), expect: "default-ns" },
  { name: "a sibling kustomization does not apply", file: "clusters/prod/apps/x.yaml", kustomizations: layout.slice(1), expect: "default-ns" },
  { name: "a name prefix is not a parent folder", file: "apps-old/x.yaml", kustomizations: layout.slice(1), expect: "default-ns" },
  { name: "an empty metadata.namespace is inherited", file: "apps/db/x.yaml", namespace: "", expect: "db" },
  { name: "a non-string metadata.namespace is inherited", file: "apps/db/x.yaml", namespace: 42, expect: "db" },
];

for (const c of cases) {
  test(`namespace: ${c.name}`, () => {
    const resolver = namespaceResolver(c.kustomizations ?? layout, "default-ns");
    const object = { kind: "Certificate", metadata: c.namespace === undefined ? { name: "x" } : { name: "x", namespace: c.namespace } };
    assert.equal(resolver.forObject(object, c.file), c.expect);
  });
}

test("a kustomization's own namespace applies to objects without metadata", () => {
  const resolver = namespaceResolver(layout, "default-ns");
  assert.equal(resolver.forObject({ kind: "Certificate" }, "apps/db/x.yaml"), "db");
  assert.equal(resolver.forObject({ kind: "Certificate", metadata: null }, "apps/db/x.yaml"), "db");
});

test("two kustomization files in one folder: the first listed is used", () => {
  const resolver = namespaceResolver([k("a", "first"), { dir: "a", file: "a/kustomization.yml", namespace: "second", resources: [] }], "d");
  assert.equal(resolver.forDir("a"), "first");
});

test("answers stay right when folders are asked in any order (memoisation)", () => {
  const resolver = namespaceResolver(layout, "default-ns");
  assert.equal(resolver.forDir("apps/web/a/b"), "apps");
  assert.equal(resolver.forDir("apps/db/a"), "db");
  assert.equal(resolver.forDir("apps/web"), "apps");
  assert.equal(resolver.forDir(""), "root-ns");
});

const parents: Array<[string, string]> = [
  ["x.yaml", ""],
  ["a/x.yaml", "a"],
  ["a/b/x.yaml", "a/b"],
];
for (const [path, dir] of parents) {
  test(`parentDir(${path}) = "${dir}"`, () => assert.equal(parentDir(path), dir));
}
