import { test } from "node:test";
import assert from "node:assert/strict";
import { chartDirsOf, chartOfTemplate, isTemplateFile, parseManifests } from "../../src/manifests/parse.ts";

const parse = (text: string, wantKind?: (k: string) => boolean) =>
  parseManifests({ path: "apps/x.yaml", text }, wantKind ? { wantKind } : {});

test("every document keeps the 1-based line it starts on", () => {
  const r = parse(
    [
      "# leading comment", // 1
      "apiVersion: v1", // 2
      "kind: A", // 3
      "---", // 4
      "", // 5
      "# comment inside the second document", // 6
      "kind: B", // 7
      "--- # marker with a comment", // 8
      "kind: C", // 9
      "...", // 10
      "---", // 11
      "kind: D", // 12
    ].join("\n"),
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.documents.map((d) => [d.object.kind, d.source.file, d.source.line]),
    [
      ["A", "apps/x.yaml", 2],
      ["B", "apps/x.yaml", 7],
      ["C", "apps/x.yaml", 9],
      ["D", "apps/x.yaml", 12],
    ],
  );
  assert.equal(r.documentCount, 4);
});

const invalid: Array<{ name: string; text: string; line: number }> = [
  { name: "unclosed flow sequence at the end of the file", text: "kind: A\n---\nkind: B\nitems: [a, b\n", line: 4 },
  { name: "unclosed flow sequence before the next document", text: "kind: A\nspec:\n  x: [a, b\n\n---\nkind: B\n", line: 3 },
  { name: "tab indentation", text: "kind: A\nmetadata:\n\tname: x\n", line: 3 },
  { name: "nested mapping in a compact mapping", text: "a: 1\nb: c: d\n", line: 2 },
  { name: "duplicate key", text: "kind: A\nmetadata:\n  name: x\n  name: y\n", line: 4 },
  { name: "bad indentation after a block", text: "a:\n  b: 1\n c: 2\n", line: 3 },
  { name: "unknown alias", text: "a: 1\nb: *nothing\n", line: 2 },
  { name: "unterminated quoted string", text: "---\nkind: A\n---\nkind: B\nname: \"open\n", line: 5 },
  { name: "CRLF line endings", text: "kind: A\r\n---\r\nkind: B\r\nspec:\r\n  bad: [\r\n", line: 5 },
];

for (const c of invalid) {
  test(`invalid YAML reports its line: ${c.name}`, () => {
    const r = parse(c.text);
    assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
    const d = r.diagnostics[0]!;
    assert.equal(d.code, "InvalidYAML");
    assert.equal(d.severity, "error");
    assert.deepEqual(d.source, { file: "apps/x.yaml", line: c.line });
    assert.ok(!d.message.includes("\n\n"), "no source excerpt in the message");
  });
}

test("a broken document does not hide the others in the same file", () => {
  const r = parse("kind: A\n---\nkind: B\nspec:\n  oops: [\n---\nkind: C\n");
  assert.deepEqual(r.documents.map((d) => d.object.kind), ["A", "C"]);
  assert.deepEqual(r.diagnostics.map((d) => d.source?.line), [5]);
});

test("a billion-laughs alias bomb is a diagnostic, not a billion nodes", () => {
  const lines = ['kind: Certificate', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
  const r = parse(lines.join("\n") + "\n");
  assert.deepEqual(r.documents, []);
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0]?.code, "YAMLAliasLimit");
  assert.equal(r.diagnostics[0]?.source?.line, 1);
});

test("a bomb in a document of an unwanted kind is never expanded", () => {
  const text = 'kind: ConfigMap\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n';
  const r = parse(text, (k) => k === "Certificate");
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.documentCount, 1);
});

test("a few ordinary aliases are fine", () => {
  const r = parse("kind: A\nx: &v {a: 1}\ny: *v\nz: *v\n");
  assert.deepEqual(r.documents[0]?.object.z, { a: 1 });
});

test("absurd nesting is a diagnostic, not a crash", () => {
  const r = parse("kind: A\nx: " + "[".repeat(50_000) + "\n");
  assert.deepEqual(r.documents, []);
  assert.equal(r.diagnostics[0]?.code, "YAMLTooDeep");
  assert.equal(r.diagnostics[0]?.source?.line, 2);
});

test("non-mapping documents are ignored", () => {
  const r = parse("just a string\n---\n- a\n- b\n---\n42\n---\n~\n---\n---\nkind: A\n");
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.documents.map((d) => d.object.kind), ["A"]);
});

test("an empty file has no documents and no diagnostics", () => {
  assert.deepEqual(parse(""), { documents: [], diagnostics: [], documentCount: 0 });
  assert.deepEqual(parse("# only a comment\n"), { documents: [], diagnostics: [], documentCount: 0 });
});

test("List documents are expanded, each item at its own line", () => {
  const r = parse(
    [
      "apiVersion: v1", // 1
      "kind: List", // 2
      "items:", // 3
      "  - apiVersion: cert-manager.io/v1", // 4
      "    kind: Certificate", // 5
      "    metadata: {name: a}", // 6
      "  - not-a-mapping", // 7
      "  - kind: Secret", // 8
      "    metadata: {name: s}", // 9
      "---", // 10
      "apiVersion: cert-manager.io/v1", // 11
      "kind: CertificateList", // 12
      "items:", // 13
      "- kind: Certificate", // 14
      "  metadata: {name: b}", // 15
    ].join("\n"),
  );
  assert.deepEqual(
    r.documents.map((d) => [d.object.kind, (d.object.metadata as { name: string }).name, d.source.line]),
    [
      ["Certificate", "a", 4],
      ["Secret", "s", 8],
      ["Certificate", "b", 14],
    ],
  );
});

test("wantKind filters documents and List items", () => {
  const text = "kind: Deployment\n---\nkind: Certificate\n---\nkind: List\nitems:\n- kind: Service\n- kind: Certificate\n---\nnokind: 1\n";
  const r = parse(text, (k) => k === "Certificate");
  assert.deepEqual(r.documents.map((d) => d.source.line), [3, 8]);
  assert.equal(r.documentCount, 4);
});

test("a kind written through an alias or a merge key is still seen", () => {
  const text = "base: &b {kind: Certificate}\n<<: *b\n---\nk: &k Certificate\nkind: *k\n";
  const r = parse(text, (k) => k === "Certificate");
  assert.equal(r.documents.length, 2);
});

test("merge keys are honoured, as Kubernetes' YAML does", () => {
  const r = parse("defaults: &d\n  issuerRef: {name: le}\nkind: Certificate\nspec:\n  <<: *d\n  secretName: s\n");
  assert.deepEqual(r.documents[0]?.object.spec, { issuerRef: { name: "le" }, secretName: "s" });
});

test("a byte-order mark does not shift lines or break the first key", () => {
  const r = parse("\uFEFFapiVersion: v1\nkind: A\n");
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.documents[0]?.object.apiVersion, "v1");
  assert.equal(r.documents[0]?.source.line, 1);
});

test("CRLF line endings keep the right lines", () => {
  const r = parse("kind: A\r\n---\r\n\r\nkind: B\r\n");
  assert.deepEqual(r.documents.map((d) => d.source.line), [1, 4]);
});

const templateCases: Array<{ path: string; text: string; template: boolean }> = [
  { path: "apps/web/cert.yaml", text: "kind: Certificate\n", template: false },
  { path: "apps/web/cert.yaml", text: "name: {{ .Values.name }}\n", template: true },
  { path: "apps/web/cert.yaml", text: "name: \"{{ .Values.name }}\"\n", template: true },
  // Helm renders a template without template syntax to itself: it is read.
  { path: "charts/web/templates/cert.yaml", text: "kind: Certificate\n", template: false },
  { path: "charts/web/templates/cert.yaml", text: "namespace: {{ .Release.Namespace }}\n", template: true },
];

for (const c of templateCases) {
  test(`isTemplateFile(${c.path}: ${JSON.stringify(c.text)}) = ${c.template}`, () => {
    assert.equal(isTemplateFile(c.text), c.template);
  });
}

const chartTemplateCases: Array<{ path: string; charts: string[]; chart: string | undefined }> = [
  { path: "charts/web/templates/cert.yaml", charts: ["charts/web"], chart: "charts/web" },
  { path: "charts/web/templates/sub/cert.yaml", charts: ["charts/web"], chart: "charts/web" },
  { path: "templates/cert.yaml", charts: [""], chart: "" },
  { path: "apps/templates/cert.yaml", charts: [], chart: undefined },
  { path: "apps/mytemplates/cert.yaml", charts: ["apps/my"], chart: undefined },
  { path: "charts/web/values.yaml", charts: ["charts/web"], chart: undefined },
];

for (const c of chartTemplateCases) {
  test(`chartOfTemplate(${c.path}, charts=[${c.charts.join(",")}]) = ${c.chart}`, () => {
    assert.equal(chartOfTemplate(c.path, new Set(c.charts)), c.chart);
  });
}

test("chartDirsOf finds the folders holding Chart.yaml", () => {
  assert.deepEqual([...chartDirsOf(["Chart.yaml", "charts/web/Chart.yaml", "charts/web/values.yaml", "x/NotChart.yaml"])], [
    "",
    "charts/web",
  ]);
});
