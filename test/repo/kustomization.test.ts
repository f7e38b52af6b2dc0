import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { GitcertError } from "../../src/diagnostics.ts";
import { addListEntry, addResource, removeListEntry, removeResource } from "../../src/repo/kustomization.ts";

const KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# Certificates for the web tier.
namespace: web

resources:
  # issued by gitcert, do not edit by hand
  - ingress.yaml   # the public entry point
  - "certificate.yaml"

# patches below are reviewed by #platform
patches:
  - path: patch.yaml
`;

describe("addResource", () => {
  const cases: Array<{ name: string; before: string; entry: string; after: string }> = [
    {
      name: "appends to an indented block list, keeping every comment, blank line and quote",
      before: KUSTOMIZATION,
      entry: "secrets/site-tls.sops.yaml",
      after: KUSTOMIZATION.replace(
        `  - "certificate.yaml"\n`,
        `  - "certificate.yaml"\n  - secrets/site-tls.sops.yaml\n`,
      ),
    },
    {
      name: "appends to an unindented block list (kustomize's own layout)",
      before: "resources:\n- a.yaml\n- b.yaml\nnamespace: x\n",
      entry: "c.yaml",
      after: "resources:\n- a.yaml\n- b.yaml\n- c.yaml\nnamespace: x\n",
    },
    {
      name: "appends after a trailing comment on the last item",
      before: "resources:\n- a.yaml # keep me\n",
      entry: "b.yaml",
      after: "resources:\n- a.yaml # keep me\n- b.yaml\n",
    },
    {
      name: "keeps a flow list a flow list, and its comment",
      before: "resources: [a.yaml, b.yaml] # flow\n",
      entry: "c.yaml",
      after: "resources: [a.yaml, b.yaml, c.yaml] # flow\n",
    },
    {
      name: "fills an empty flow list",
      before: "resources: []\n",
      entry: "c.yaml",
      after: "resources: [c.yaml]\n",
    },
    {
      name: "creates the key when missing, after everything else",
      before: "# hand written\nkind: Kustomization\nnamespace: web\n",
      entry: "c.yaml",
      after: "# hand written\nkind: Kustomization\nnamespace: web\nresources:\n- c.yaml\n",
    },
    {
      name: "creates the key in a file without a final newline",
      before: "kind: Kustomization",
      entry: "c.yaml",
      after: "kind: Kustomization\nresources:\n- c.yaml\n",
    },
    {
      name: "creates the document from an empty file",
      before: "",
      entry: "c.yaml",
      after: "resources:\n- c.yaml\n",
    },
    {
      name: "turns an empty key into a list",
      before: "resources:\nnamespace: x\n",
      entry: "c.yaml",
      after: "resources:\n- c.yaml\nnamespace: x\n",
    },
    {
      name: "turns a null key into a list, keeping its comment",
      before: "resources: ~ # none yet\nnamespace: x\n",
      entry: "c.yaml",
      after: "resources: # none yet\n- c.yaml\nnamespace: x\n",
    },
    {
      name: "keeps CRLF line endings and quotes what needs quoting",
      before: "resources:\r\n- a.yaml\r\n",
      entry: "my certs/a b.yaml",
      after: 'resources:\r\n- a.yaml\r\n- "my certs/a b.yaml"\r\n',
    },
    {
      name: "quotes what YAML 1.1 would read as a boolean",
      before: "resources:\n- a.yaml\n",
      entry: "yes",
      after: 'resources:\n- a.yaml\n- "yes"\n',
    },
    {
      name: "appends to a list at the very end of a file without a final newline",
      before: "resources:\n  - a.yaml",
      entry: "b.yaml",
      after: "resources:\n  - a.yaml\n  - b.yaml",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const after = addResource(c.before, c.entry);
      assert.equal(after, c.after);
      const list = (parse(after) as { resources: string[] }).resources;
      assert.equal(list.at(-1), c.entry);
    });
  }

  const present: Array<{ name: string; text: string; entry: string }> = [
    { name: "the same entry", text: KUSTOMIZATION, entry: "ingress.yaml" },
    { name: "a quoted entry", text: KUSTOMIZATION, entry: "certificate.yaml" },
    { name: "another spelling of the same path", text: KUSTOMIZATION, entry: "./ingress.yaml" },
    { name: "an entry in a flow list", text: "resources: [a.yaml]\n", entry: "a.yaml" },
  ];
  for (const c of present) {
    it(`returns the identical string when already present: ${c.name}`, () => {
      assert.equal(addResource(c.text, c.entry), c.text);
    });
  }

  it("refuses a kustomization that is not a mapping, or a resources that is not a list", () => {
    for (const text of ["- a\n- b\n", "resources: a.yaml\n", "resources: [a\n", `resources: ${"[".repeat(100_000)}\n`]) {
      assert.throws(
        () => addResource(text, "c.yaml"),
        (err: unknown) => err instanceof GitcertError && err.code === "InvalidKustomization",
        text,
      );
    }
  });
});

describe("removeResource", () => {
  const cases: Array<{ name: string; before: string; entry: string; after: string }> = [
    {
      name: "removes the item's line, and only that line",
      before: KUSTOMIZATION,
      entry: "ingress.yaml",
      after: KUSTOMIZATION.replace("  - ingress.yaml   # the public entry point\n", ""),
    },
    {
      name: "removes a quoted item given unquoted",
      before: KUSTOMIZATION,
      entry: "certificate.yaml",
      after: KUSTOMIZATION.replace(`  - "certificate.yaml"\n`, ""),
    },
    {
      name: "removes every spelling of the entry",
      before: "resources:\n- a.yaml\n- ./a.yaml\n- b.yaml\n",
      entry: "a.yaml",
      after: "resources:\n- b.yaml\n",
    },
    {
      name: "writes an empty block list as []",
      before: "resources: # ours\n  - a.yaml\nnamespace: x\n",
      entry: "a.yaml",
      after: "resources: [] # ours\nnamespace: x\n",
    },
    { name: "flow list, middle", before: "resources: [a.yaml, b.yaml, c.yaml] # f\n", entry: "b.yaml", after: "resources: [a.yaml, c.yaml] # f\n" },
    { name: "flow list, first", before: "resources: [a.yaml, b.yaml]\n", entry: "a.yaml", after: "resources: [b.yaml]\n" },
    { name: "flow list, last", before: "resources: [ a.yaml, b.yaml ]\n", entry: "b.yaml", after: "resources: [ a.yaml ]\n" },
    { name: "flow list, only", before: "resources: [a.yaml]\n", entry: "a.yaml", after: "resources: []\n" },
    { name: "flow list, neighbours", before: "resources: [a.yaml, a.yaml, b.yaml]\n", entry: "a.yaml", after: "resources: [b.yaml]\n" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(removeResource(c.before, c.entry), c.after);
    });
  }

  for (const text of [KUSTOMIZATION, "kind: Kustomization\n", "resources: []\n", "resources:\n", ""]) {
    it(`returns the identical string when absent: ${JSON.stringify(text.slice(0, 24))}`, () => {
      assert.equal(removeResource(text, "missing.yaml"), text);
    });
  }

  it("add then remove gives the original text back", () => {
    assert.equal(removeResource(addResource(KUSTOMIZATION, "new.yaml"), "new.yaml"), KUSTOMIZATION);
  });
});

describe("a new entry is written like its siblings", () => {
  const cases: Array<{ name: string; before: string; entry: string; after: string }> = [
    {
      name: "with ./ when the siblings have it, in sorted place when they are sorted",
      before: "resources:\n  - ./certificate.yaml\n  - ./ingress.yaml\n",
      entry: "api-tls.sops.yaml",
      after: "resources:\n  - ./api-tls.sops.yaml\n  - ./certificate.yaml\n  - ./ingress.yaml\n",
    },
    {
      name: "in the middle of a sorted list, keeping a comment on the item after it",
      before: "resources:\n- a.yaml\n- c.yaml # the app\n",
      entry: "b.yaml",
      after: "resources:\n- a.yaml\n- b.yaml\n- c.yaml # the app\n",
    },
    {
      name: "at the end of a list that is not sorted",
      before: "resources:\n- ./namespace.yaml\n- ./deployment.yaml\n",
      entry: "api-tls.sops.yaml",
      after: "resources:\n- ./namespace.yaml\n- ./deployment.yaml\n- ./api-tls.sops.yaml\n",
    },
    {
      name: "without ./ when most siblings do without, whatever the remote bases",
      before: "resources:\n- https://github.com/example/base?ref=v1\n- a.yaml\n- z.yaml\n",
      entry: "b.yaml",
      after: "resources:\n- https://github.com/example/base?ref=v1\n- a.yaml\n- z.yaml\n- b.yaml\n",
    },
    {
      name: "in a sorted flow list",
      before: "resources: [./a.yaml, ./c.yaml]\n",
      entry: "b.yaml",
      after: "resources: [./a.yaml, ./b.yaml, ./c.yaml]\n",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(addResource(c.before, c.entry), c.after);
      assert.equal(removeResource(c.after, c.entry), c.before, "and removed again to the same text");
    });
  }

  it("a KSOPS generator's files list is kept the same way", () => {
    const generator = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: web-secrets\nfiles:\n  - ./db-credentials.enc.yaml\n";
    const added = addListEntry(generator, "files", "web-tls.enc.yaml");
    assert.equal(added, generator + "  - ./web-tls.enc.yaml\n");
    assert.equal(addListEntry(added, "files", "./web-tls.enc.yaml"), added);
    assert.equal(removeListEntry(added, "files", "web-tls.enc.yaml"), generator);
  });
});
