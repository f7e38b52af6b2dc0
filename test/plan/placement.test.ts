// The repository's SOPS conventions: with secretPath unset, a new Secret
// file gets the first name the governing .sops.yaml's creation rules match,
// and plan says which name and why, or why none can be written.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONVENTIONAL_NAMES, fileEndingOf, plan, type PlanInput, type PlanItem } from "../../src/plan/index.ts";
import { certificate, issuer } from "./fixtures.ts";
import { sopsIndex } from "./sops-fixtures.ts";

const now = new Date("2026-06-01T00:00:00Z");

function planNew(files: Record<string, string>, extra: Partial<PlanInput> = {}): PlanItem {
  const [item] = plan({ ready: [{ certificate: certificate(), issuer }], blocked: [], secrets: [], now, sops: sopsIndex(files), pruneSecrets: true, scanHasErrors: false, ...extra });
  return item!;
}

const rules = (...lines: string[]) => `creation_rules:\n${lines.map((l) => `  - ${l}\n    age: age1team`).join("\n")}\n`;

describe("a new Secret file is named after the .sops.yaml rules", () => {
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ["gitcert's own default first", { "": rules("path_regex: \\.sops\\.ya?ml$") }, "apps/shop/web-tls.sops.yaml", /^web-tls\.sops\.yaml: the first of gitcert's names \.sops\.yaml creation_rules\[0\] \(line 2\) matches$/],
    ["*.sops.yml", { "": rules("path_regex: .*\\.sops\\.yml$") }, "apps/shop/web-tls.sops.yml", /creation_rules\[0\]/],
    ["*.enc.yaml, written loosely", { "": rules("path_regex: .*.enc.yaml") }, "apps/shop/web-tls.enc.yaml", /creation_rules\[0\]/],
    ["*.enc.age.yaml", { "": rules("path_regex: .*\\.enc\\.age\\.yaml$") }, "apps/shop/web-tls.enc.age.yaml", /^web-tls\.enc\.age\.yaml: /],
    ["a secrets/ folder", { "": rules("path_regex: (^|/)secrets/[^/]+\\.ya?ml$") }, "apps/shop/secrets/web-tls.sops.yaml", /^secrets\/web-tls\.sops\.yaml: /],
    ["a rule's own file ending", { "": rules("path_regex: ^apps/.*-secret\\.yaml$") }, "apps/shop/web-tls-secret.yaml", /^web-tls-secret\.yaml: the file ending of \.sops\.yaml creation_rules\[0\] \(line 2\)'s path_regex$/],
    ["a catch-all rule", { "": "creation_rules:\n  - age: age1team\n" }, "apps/shop/web-tls.sops.yaml", /creation_rules\[0\]/],
    [
      "first match wins, as in sops: a later rule for *.enc.yaml is not reached for *.sops.yaml",
      { "": rules("path_regex: \\.sops\\.yaml$", "path_regex: \\.enc\\.yaml$") },
      "apps/shop/web-tls.sops.yaml",
      /creation_rules\[0\]/,
    ],
    [
      "a name whose rule gitcert cannot use (pgp) is passed over",
      { "": "creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    pgp: ABCDEF\n  - path_regex: \\.enc\\.yaml$\n    age: age1team\n" },
      "apps/shop/web-tls.enc.yaml",
      /creation_rules\[1\] \(line 4\)/,
    ],
    ["the nearest .sops.yaml, its paths relative to its folder", { "": rules("path_regex: \\.sops\\.yaml$"), apps: rules("path_regex: ^shop/.*\\.enc\\.yml$") }, "apps/shop/web-tls.enc.yml", /apps\/\.sops\.yaml creation_rules\[0\]/],
  ];
  for (const [name, files, path, how] of cases) {
    it(name, () => {
      const item = planNew(files);
      assert.equal(item.action, "issue", item.message);
      assert.equal(item.secretPath, path);
      assert.match(item.placement!, how);
      assert.deepEqual(item.encryption?.rule.recipients, ["age1team"]);
      assert.equal(item.encryption?.rule.encryptedRegex, "^(data|stringData)$", "whatever the rule says, only data/stringData is encrypted");
    });
  }

  it("tries a small fixed list, in order", () => {
    assert.deepEqual(CONVENTIONAL_NAMES.map((n) => n.replace("{dir}/", "").replace("{secretName}", "x")), [
      "x.sops.yaml",
      "x.sops.yml",
      "x.enc.yaml",
      "x.enc.yml",
      "x.enc.age.yaml",
      "x.secret.yaml",
      "secrets/x.sops.yaml",
      "secrets/x.yaml",
    ]);
  });

  it("takes the YAML indent from the same .sops.yaml's stores", () => {
    assert.equal(planNew({ "": `stores:\n  yaml:\n    indent: 2\n${rules("path_regex: \\.sops\\.yaml$")}` }).encryption?.indent, 2);
    assert.equal(planNew({ "": rules("path_regex: \\.sops\\.yaml$") }).encryption?.indent, 4, "sops' default");
    const negative = planNew({ "": `stores:\n  yaml:\n    indent: -2\n${rules("path_regex: \\.sops\\.yaml$")}` });
    assert.equal(negative.action, "blocked");
    assert.match(negative.message, /stores\.yaml\.indent is -2; sops refuses a negative indent/);
  });
});

describe("when no name can be written, plan says so and how to fix it", () => {
  it("no rule matches any name: blocked, every name tried listed", () => {
    const item = planNew({ "": rules("path_regex: ^clusters/") });
    assert.equal(item.action, "blocked");
    assert.equal(item.reason, "NoRecipients");
    assert.match(item.message, /^cannot encrypt Secret web-tls: no creation rule in \.sops\.yaml matches any name gitcert tries in apps\/shop\/ \(web-tls\.sops\.yaml, web-tls\.sops\.yml, .*secrets\/web-tls\.yaml\); add a creation rule/);
  });

  it("no rule matches, ageRecipients set: gitcert's default name with those recipients, and plan says why", () => {
    const item = planNew({ "": rules("path_regex: ^clusters/") }, { ageRecipients: ["age1fallback"] });
    assert.equal(item.action, "issue");
    assert.equal(item.secretPath, "apps/shop/web-tls.sops.yaml");
    assert.match(item.placement!, /no creation rule in \.sops\.yaml matches gitcert's names; recipients from ageRecipients/);
    assert.deepEqual(item.encryption?.rule.recipients, ["age1fallback"]);
  });

  it("a configured secretPath no rule matches: blocked, with the name that would match", () => {
    const item = planNew({ "": rules("path_regex: .*\\.enc\\.age\\.yaml$") }, { secretPathTemplate: "{dir}/{secretName}.sops.yaml" });
    assert.equal(item.action, "blocked");
    assert.match(item.message, /^cannot encrypt apps\/shop\/web-tls\.sops\.yaml: no creation_rules entry in \.sops\.yaml matches it, and no --age-recipient is configured; apps\/shop\/web-tls\.enc\.age\.yaml would match \.sops\.yaml creation_rules\[0\] \(line 2\): leave secretPath unset/);
  });

  it("a configured secretPath a rule matches is used as is", () => {
    const item = planNew({ "": rules("path_regex: \\.enc\\.yaml$", "path_regex: \\.sops\\.yaml$") }, { secretPathTemplate: "{dir}/{namespace}-{secretName}.sops.yaml" });
    assert.equal(item.secretPath, "apps/shop/shop-web-tls.sops.yaml");
    assert.match(item.placement!, /^secretPath \{dir\}\/\{namespace\}-\{secretName\}\.sops\.yaml; recipients from \.sops\.yaml creation_rules\[1\]/);
  });

  it("a .sops.yaml that does not parse: blocked, pointing at it", () => {
    const item = planNew({ "": "creation_rules: [\n" });
    assert.equal(item.action, "blocked");
    assert.equal(item.reason, "SopsConfigInvalid");
    assert.equal(item.diagnostics[0]?.source?.file, ".sops.yaml");
  });

  it("only Shamir key groups: blocked with what gitcert cannot do", () => {
    const item = planNew({ "": "creation_rules:\n  - key_groups:\n      - age: [age1a]\n      - age: [age1b]\n" });
    assert.equal(item.action, "blocked");
    assert.equal(item.reason, "SopsUnsupported");
    assert.match(item.message, /2 key groups/);
  });
});

describe("the file ending of a path_regex", () => {
  const cases: Array<[string, string | undefined]> = [
    [".*\\.enc\\.age\\.yaml$", ".enc.age.yaml"],
    ["^apps/.*-secret\\.yaml$", "-secret.yaml"],
    ["_sealed\\.yml", "_sealed.yml"],
    ["\\.sops\\.ya?ml$", undefined],
    ["\\d\\.yaml$", undefined],
    [".*.enc.yaml", undefined],
    ["secrets/.*", undefined],
    ["\\.json$", undefined],
  ];
  for (const [regex, ending] of cases) it(`${regex} → ${ending ?? "none"}`, () => assert.equal(fileEndingOf(regex), ending));
});
