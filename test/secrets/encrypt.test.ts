// Our encrypter's output format and the inputs it refuses, checked with our
// own decrypter; sops-interop.test.ts checks the same output against sops.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { GitcertError } from "../../src/diagnostics.ts";
import { decryptDocument, decryptYaml, encryptYaml, generateAgeIdentity } from "../../src/secrets/index.ts";

const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;
const ENC = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]+),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:(str|int|float|bool)\]$/;
const SECRET_RULE = { encryptedRegex: "^(data|stringData)$" };

let id: { identity: string; recipient: string };
before(async () => {
  id = await generateAgeIdentity();
});

describe("encryptYaml output", () => {
  it("writes exact ENC[] values: 32-byte IV, 16-byte tag, padded base64", async () => {
    const out = parse(await encryptYaml("a: hello\nb: 42\nc: 1.5\nd: true\n", { recipients: [id.recipient] })) as Record<string, string>;
    for (const [key, type] of [["a", "str"], ["b", "int"], ["c", "float"], ["d", "bool"]] as const) {
      const m = ENC.exec(out[key]!);
      assert.ok(m, `${key} is not an ENC value`);
      assert.equal(Buffer.from(m[2]!, "base64").length, 32);
      assert.equal(Buffer.from(m[3]!, "base64").length, 16);
      assert.equal(m[4], type);
    }
  });

  it("writes the 3.10 metadata shape in every document", async () => {
    const now = new Date("2025-07-06T17:19:51.789Z");
    const text = await encryptYaml("a: 1\n---\nb: 2\n", { recipients: [id.recipient], ...SECRET_RULE, macOnlyEncrypted: true }, { now });
    const docs = text.split(/^---\n/m);
    assert.equal(docs.length, 2);
    for (const doc of docs) {
      // yaml.v3's layout, as sops writes it: the block 2 columns past its key inside a list item.
      assert.match(doc, /^sops:\n {4}age:\n {8}- recipient: age1\w+\n {10}enc: \|\n {12}-----BEGIN AGE ENCRYPTED FILE-----\n/m);
      assert.match(doc, /^ {4}lastmodified: "2025-07-06T17:19:51Z"$/m);
      assert.match(doc, /^ {4}mac: ENC\[AES256_GCM,data:[^\n]+,type:str\]$/m);
      assert.match(doc, /^ {4}encrypted_regex: \^\(data\|stringData\)\$$/m);
      assert.match(doc, /^ {4}mac_only_encrypted: true$/m);
      assert.match(doc, /^ {4}version: 3\.10\.2$/m);
    }
    // The same data key and MAC in both documents.
    const metas = parseAllDocuments(text).map((d) => JSON.stringify(d.toJS().sops));
    assert.equal(metas[0], metas[1]);
  });

  it("records the default rule and honours the indent option", async () => {
    const text = await encryptYaml("a:\n  b: x\n", { recipients: [id.recipient] }, { indent: 2 });
    assert.match(text, /^ {2}unencrypted_suffix: _unencrypted$/m);
    assert.match(text, /^a:\n {2}b: ENC\[/);
  });

  it("wraps the data key once per recipient", async () => {
    const other = await generateAgeIdentity();
    const text = await encryptYaml("a: x\n", { recipients: [id.recipient, other.recipient, id.recipient] });
    assert.equal([...text.matchAll(/-----BEGIN AGE ENCRYPTED FILE-----/g)].length, 2);
    assert.deepEqual(await decryptDocument(text, [other.identity]), { a: "x" });
  });

  it("leaves the Secret's envelope readable with the default Secret rule", async () => {
    const plain = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    gitcert.dev/not-after: \"2025-10-01T12:00:00Z\"\ntype: kubernetes.io/tls\ndata:\n  tls.crt: Q0VSVAo=\n  tls.key: S0VZCg==\n";
    const doc = parse(await encryptYaml(plain, { recipients: [id.recipient], ...SECRET_RULE })) as Record<string, any>;
    assert.equal(doc.apiVersion, "v1");
    assert.equal(doc.kind, "Secret");
    assert.deepEqual(doc.metadata, { name: "web", namespace: "shop", annotations: { "gitcert.dev/not-after": "2025-10-01T12:00:00Z" } });
    assert.equal(doc.type, "kubernetes.io/tls");
    assert.match(doc.data["tls.crt"], ENC);
    assert.match(doc.data["tls.key"], ENC);
  });

  it("re-emits plaintext values so yaml.v3 reads them back unchanged", async () => {
    const plain = [
      "keep_unencrypted:",
      "  octal: 0777",
      "  under: 1_000",
      "  quoted_under: \"1_000\"",
      "  date: 2024-01-01",
      "  yes: yes",
      "  big: 1e21",
      "  whole: 5.0",
      "  nothing: ~",
      "  empty: \"\"",
      "  multi: |",
      "    line 1",
      "    line 2",
      "",
    ].join("\n");
    const text = await encryptYaml(plain, { recipients: [id.recipient] });
    const section = text.slice(0, text.indexOf("sops:"));
    for (const line of ['octal: 511', 'under: 1000', 'quoted_under: "1_000"', 'date: "2024-01-01"', '"yes": "yes"', "big: 1e+21", "whole: 5.0", "nothing: null", 'empty: ""', "multi: |"]) {
      assert.ok(section.includes(line), `missing ${line} in\n${section}`);
    }
  });

  it("keeps empty strings and nulls as they are, even where it encrypts", async () => {
    const text = await encryptYaml("a: \"\"\nb: null\nc:\n", { recipients: [id.recipient] });
    assert.match(text, /^a: ""\nb: null\nc: null\n/);
    assert.deepEqual(await decryptDocument(text, [id.identity]), { a: "", b: null, c: null });
  });

  it("drops comments, expands aliases and trailing empty documents", async () => {
    const text = await encryptYaml("# secret comment\nbase: &b {x: 1}\ncopy: *b\n---\n", { recipients: [id.recipient] });
    assert.doesNotMatch(text, /secret comment|&b|\*b/);
    assert.equal(text.split(/^---$/m).length, 1);
    assert.deepEqual(await decryptDocument(text, [id.identity]), { base: { x: 1 }, copy: { x: 1 } });
  });
});

describe("round trip through our decrypter", () => {
  it("restores every type, across documents", async () => {
    const plain = "s: text\ni: 0x1F\nbig: 9007199254740993\nf: 3.140\nb: True\nlist: [1, two, {c: false}]\nnested: {deep: {er: x}}\n---\nsecond: 2\n";
    const text = await encryptYaml(plain, { recipients: [id.recipient] });
    assert.deepEqual(await decryptDocument(text, [id.identity]), {
      s: "text",
      i: 31,
      big: 9007199254740993n,
      f: 3.14,
      b: true,
      list: [1, "two", { c: false }],
      nested: { deep: { er: "x" } },
    });
    assert.equal(
      await decryptYaml(text, [id.identity]),
      "s: text\ni: 31\nbig: 9007199254740993\nf: 3.14\nb: true\nlist:\n    - 1\n    - two\n    - c: false\nnested:\n    deep:\n        er: x\n---\nsecond: 2\n",
    );
  });
});

describe("encryptYaml refuses what sops refuses", () => {
  const cases: [string, string, string][] = [
    ["an empty file", "", "SopsInvalidYaml"],
    ["a file of comments", "# nothing\n", "SopsInvalidYaml"],
    ["a list document", "- a\n- b\n", "SopsInvalidYaml"],
    ["a scalar document", "a: 1\n---\njust text\n", "SopsInvalidYaml"],
    ["an int key", "1: x\n", "SopsInvalidYaml"],
    ["a bool key", "true: x\n", "SopsInvalidYaml"],
    ["a null key", "~: x\n", "SopsInvalidYaml"],
    ["a complex key", "? [a]\n: x\n", "SopsInvalidYaml"],
    ["duplicate keys", "a: 1\na: 2\n", "SopsInvalidYaml"],
    ["a sops key", "a: 1\nsops: {}\n", "SopsAlreadyEncrypted"],
    ["a sops key in a later document", "a: 1\n---\nsops: x\n", "SopsAlreadyEncrypted"],
    ["a uint64 integer", "n: 18446744073709551615\n", "SopsUnsupportedValue"],
    ["a merge key", "base: &b {x: 1}\nc:\n  <<: *b\n", "SopsUnsupportedValue"],
    ["an unknown tag", "a: !vault x\n", "SopsUnsupportedValue"],
    ["a mistyped tag", "a: !!int abc\n", "SopsInvalidYaml"],
  ];
  for (const [name, plain, code] of cases) {
    it(name, async () => {
      await assert.rejects(encryptYaml(plain, { recipients: [id.recipient] }), isCode(code));
    });
  }

  it("refuses two crypt rules, no recipients, and a bad recipient", async () => {
    await assert.rejects(encryptYaml("a: 1\n", { recipients: [id.recipient], encryptedRegex: "a", encryptedSuffix: "b" }), isCode("SopsRuleInvalid"));
    await assert.rejects(encryptYaml("a: 1\n", { recipients: [] }), isCode("SopsInvalidRecipient"));
    await assert.rejects(encryptYaml("a: 1\n", { recipients: ["age1nope"] }), isCode("SopsInvalidRecipient"));
  });

  it("never quotes an identity given where a recipient belongs", async () => {
    const secret = id.identity.slice("AGE-SECRET-KEY-1".length);
    for (const mistaken of [id.identity, id.identity.toLowerCase()]) {
      await assert.rejects(encryptYaml("a: 1\n", { recipients: [mistaken] }), (e: unknown) => {
        return isCode("SopsInvalidRecipient")(e) && !(e as Error).message.toUpperCase().includes(secret.toUpperCase());
      });
    }
  });

  it("never quotes the input in a parse error", async () => {
    await assert.rejects(encryptYaml("password: hunter2\n  bad: [indent\n", { recipients: [id.recipient] }), (e: unknown) => {
      return isCode("SopsInvalidYaml")(e) && /line \d+, column \d+/.test((e as Error).message) && !(e as Error).message.includes("hunter2");
    });
  });
});
