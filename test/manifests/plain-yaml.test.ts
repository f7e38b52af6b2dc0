// The fast path must read every file it accepts exactly as the full parser
// does — same objects, same lines — and hand everything else over.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseManifests, parseManifestsFully, parsePlainManifests } from "../../src/manifests/parse.ts";
import { generateRepository } from "../../bench/scan/generate.ts";

const ROOT = join(import.meta.dirname, "../..");

function bothWays(path: string, text: string) {
  const fast = parsePlainManifests({ path, text });
  const full = parseManifestsFully({ path, text });
  return { fast, full };
}

function assertSameAsFullParser(path: string, text: string): void {
  const { fast, full } = bothWays(path, text);
  assert.ok(fast, `${path}: the fast path should take this file`);
  assert.deepEqual(full.diagnostics, [], path);
  assert.deepEqual(fast, full, path);
}

describe("plain YAML fast path", () => {
  it("resolves plain scalars as YAML 1.2 core, like the full parser", () => {
    const scalars = [
      "0", "-0", "+12", "007", "0o17", "0o8", "0x1F", "0xg", "1_000", "0b101", "12e3", "1.5", "-.5", "1.", ".", "1e", "+1.5E-3",
      ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "nan", "inf",
      "~", "null", "Null", "NULL", "nULL", "", "true", "True", "TRUE", "tRUE", "false", "yes", "no", "on", "off", "y",
      "2024-01-01", "2024-01-01T00:00:00Z", "12:30:00", "0755", "1h30m", "2160h", "100m", "128Mi", "v1.2.3",
      "'single'", '"double \\u00e9\\n"', '"*.example.com"', "'it''s'", "a b  c", "x # trailing comment",
    ];
    for (const s of scalars) assertSameAsFullParser(`scalar ${JSON.stringify(s)}`, `kind: T\nv: ${s}\n`);
  });

  it("finds the same documents on the same lines, whatever the markers and comments", () => {
    const layouts = [
      "# head\n\napiVersion: v1\nkind: A\n---\n\n# c\nkind: B\n--- # marker comment\nkind: C\n...\n---\nkind: D\n",
      "---\nkind: A\n---\n---\nkind: B\n",
      "kind: A\r\nlist:\r\n  - a\r\n---\r\nkind: B\r\n",
      "kind: A\ntext: |\n  line one\n    --- indented, not a marker\n  line three\nfolded: >-\n  a\n  b\n\n  c\nkeep: |+\n  x\n\n---\nkind: B\n",
      "kind: A\n...\nkind: B\n",
      "kind: A\nempty:\nnested:\n  deeper:\n    - key: value\n      other: 'q'\n",
      "- just\n- a list\n---\nplain scalar\n---\n~\n---\nkind: A\n",
      "# only a comment\n",
      "",
      '"1": numeric key\n2: int key\ntrue: bool key\nkind: A\n',
      "kind: A\nflow: [{b: c}, a, \"d\"]\n",
      `kind: Secret\ndata:\n  tls.crt: ${"TFMwdExT".repeat(500)}\n  tls.key: ""\n`,
    ];
    for (const text of layouts) assertSameAsFullParser(`layout ${JSON.stringify(text.slice(0, 40))}`, text);
  });

  it("on inputs where js-yaml and yaml disagree, hands over or agrees", () => {
    // Reproducers from a differential fuzzer (about a million generated inputs).
    const disputed = [
      "\uFEFFkind: A\n", "\uFEFF---\na: 1\n", "\uFEFF- a",
      "--- {kind: A, v: [1, 2, {x: y}]}\n--- \nkind: B\n",
      "a:\n  - b:\n    -\n  - y\n", "a:\n- -\n- b",
      "~: 1\n", "null:\n", "?\n", "[a]: 1\n", "{}:\n", "{[0]}\n",
      "---foo: bar\n", "---#\na:\n", "--- a:\n", ">\n... }\n",
      "a: 1\r", "a:\rb:\n", "...\n", "a: 1\n...\n...\n", "\u00a0\n", "\u2028\n",
      "a: |+\n  x\n ", "a: |2\n   a\n   \nb: 1\n", "a: >1\n\n  \n", "a:\t|\n  \n #\n",
      "a: [\n1]", "a: {\nb}", "a: 'x\ny'", "a: 1\n\t\n a", 'a: "x"#c', "{}#",
      `${"a".repeat(1025)}:`, ">1\n|", "|2\n }",
      // A second round of fuzzing.
      "a:\n#c\n  o\nd: 1\n", "e:\n\n#\n r\ns:", "---\u2028:", "--- \u00a0:", "a: &\u00a0[]\n",
      `"x: y${"w".repeat(1100)}": c\n`, `k: [x: y, ${"w".repeat(1100)}: c]\n`, ` d:\r\n ${"w".repeat(1022)}:\r\n`, 'a: "\\U00110000"\n',
    ];
    for (const text of disputed) {
      const { fast, full } = bothWays("disputed.yaml", text);
      if (fast !== undefined) assert.deepEqual(fast, full, JSON.stringify(text));
    }
  });

  it("reads every manifest this repository ships exactly as the full parser does", () => {
    const files = ["examples", "deploy", "config"].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
        .map((e) => join(e.parentPath, e.name)),
    );
    assert.ok(files.length >= 10, `found ${files.length} files`);
    let fast = 0;
    for (const file of files) {
      const path = relative(ROOT, file);
      const text = readFileSync(file, "utf8");
      // A cron schedule's `*"` looks like an alias to the cheap gate.
      if (parsePlainManifests({ path, text }) === undefined) continue;
      assertSameAsFullParser(path, text);
      fast++;
    }
    assert.ok(fast >= files.length * 0.75, `only ${fast} of ${files.length} files took the fast path`);
  });

  it("reads the benchmark's generated repository exactly as the full parser does", (t) => {
    const root = mkdtempSync(join(tmpdir(), "gitcert-plain-yaml-"));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    generateRepository(root, { files: 300, certificates: 60, ingresses: 30 });
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.equal(files.length, 300);
    for (const e of files) {
      const file = join(e.parentPath, e.name);
      assertSameAsFullParser(relative(root, file), readFileSync(file, "utf8"));
    }
  });

  it("hands anchors, aliases, tags, merge keys, directives, Lists and errors to the full parser", () => {
    const handedOver = {
      anchor: "kind: A\nbase: &b {x: 1}\n",
      alias: "kind: A\nbase: &b {x: 1}\ncopy: *b\n",
      "alias in a flow sequence": "kind: A\nv: [&a x,*a]\n",
      "alias after a JSON-like key": 'kind: A\nv: {"k":*a}\n',
      "alias bomb": `a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]\n`,
      tag: "kind: A\nv: !!binary aGk=\n",
      "local tag": "kind: A\nv: !secret x\n",
      "merge key": "kind: A\nbase: {x: 1}\nm:\n  <<: {x: 2}\n",
      directive: "%YAML 1.2\n---\nkind: A\n",
      list: "apiVersion: v1\nkind: List\nitems:\n  - kind: Certificate\n",
      "typed list": "kind: CertificateList\nitems: []\n",
      "syntax error": "kind: A\nv: [unclosed\n",
      "duplicate key": "kind: A\nkind: B\n",
      "tab indentation": "kind: A\nmap:\n\tkey: v\n",
      "bad escape": 'kind: A\nv: "\\q"\n',
    };
    for (const [name, text] of Object.entries(handedOver)) {
      assert.equal(parsePlainManifests({ path: "x.yaml", text }), undefined, name);
    }
  });

  it("still reports errors with their lines through parseManifests", () => {
    const r = parseManifests({ path: "x.yaml", text: "kind: A\n---\nkind: B\nv: [unclosed\n---\nkind: C\n" });
    assert.deepEqual(
      r.documents.map((d) => [d.object.kind, d.source.line]),
      [
        ["A", 1],
        ["C", 6],
      ],
    );
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0]!.source?.line, 4);
  });

  it("returns only the wanted kinds, like the full parser", () => {
    const text = "kind: Deployment\n---\nkind: Certificate\nspec: {}\n---\nnokind: true\n";
    const wantKind = (k: string) => k === "Certificate";
    const fast = parsePlainManifests({ path: "x.yaml", text }, { wantKind });
    assert.deepEqual(fast, parseManifestsFully({ path: "x.yaml", text }, { wantKind }));
    assert.deepEqual(fast?.documents.map((d) => d.source.line), [3]);
    assert.equal(fast?.documentCount, 3);
  });
});
