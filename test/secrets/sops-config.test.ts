// `.sops.yaml`: parsing, first-match-wins rule selection relative to the
// config's folder, and the nearest config for a file. The last test asks the
// real sops which rule it picks for the same files.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GitcertError } from "../../src/diagnostics.ts";
import { findCreationRule, nearestSopsConfig, parseSopsConfig, pathForRules } from "../../src/secrets/sops-config.ts";
import { peer } from "../peers/tools.ts";
import { SopsPeer } from "./sops-peer.ts";

const A = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const B = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
const C = "age1cy0su9fwf3gf9mw868g5yut09p6nytfmmnktexz2ya5uqg9vl9sss4euqm";

const CONFIG = `
creation_rules:
  - path_regex: ^prod/.*\\.yaml$
    age: ${A}, ${B}
    encrypted_regex: ^(data|stringData)$
  - path_regex: \\.secret\\.yaml$
    age:
      - ${B}
    mac_only_encrypted: true
  - age: ${C}
stores:
  yaml:
    indent: 2
`;

const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;

describe("parseSopsConfig", () => {
  it("reads rules, both age spellings, flags and the yaml indent", () => {
    const config = parseSopsConfig(CONFIG, ".sops.yaml");
    assert.equal(config.yamlIndent, 2);
    assert.equal(config.creationRules?.length, 3);
    const [prod, secret, catchAll] = config.creationRules!;
    assert.deepEqual(prod?.age, [A, B]);
    assert.equal(prod?.encryptedRegex, "^(data|stringData)$");
    assert.equal(prod?.line, 3);
    assert.deepEqual(secret?.age, [B]);
    assert.equal(secret?.macOnlyEncrypted, true);
    assert.equal(catchAll?.pathRegex, undefined);
  });
  it("has no creation rules when the file names none", () => {
    assert.equal(parseSopsConfig("stores: {}\n", ".sops.yaml").creationRules, undefined);
    assert.equal(parseSopsConfig("", ".sops.yaml").creationRules, undefined);
  });
  it("refuses fields of the wrong type, naming the field", () => {
    assert.throws(
      () => parseSopsConfig("creation_rules:\n  - age: {a: 1}\n", "env/.sops.yaml"),
      (e: unknown) =>
        isCode("SopsConfigInvalid")(e) &&
        /env\/\.sops\.yaml: creation_rules\[0\]\.age/.test((e as Error).message) &&
        (e as GitcertError).where.source?.line === 2,
    );
    assert.throws(() => parseSopsConfig("creation_rules:\n  - mac_only_encrypted: maybe\n", ".sops.yaml"), isCode("SopsConfigInvalid"));
    assert.throws(() => parseSopsConfig("creation_rules: [\n", ".sops.yaml"), isCode("SopsConfigInvalid"));
    assert.throws(() => parseSopsConfig(`creation_rules: ${"[".repeat(100_000)}\n`, ".sops.yaml"), (e: unknown) => isCode("SopsConfigInvalid")(e) && /levels deep/.test((e as Error).message));
  });
});

describe("findCreationRule", () => {
  const config = parseSopsConfig(CONFIG, ".sops.yaml");
  const cases: [string, string, string, string[]][] = [
    ["first match wins", "", "prod/web.secret.yaml", [A, B]],
    ["second rule", "", "staging/web.secret.yaml", [B]],
    ["catch-all", "", "staging/web.yaml", [C]],
    ["unanchored regex", "", "x/prod/web.secret.yaml", [B]],
    ["config folder prefix is stripped", "clusters", "clusters/prod/web.yaml", [A, B]],
    ["./ and trailing slash are normalised", "./clusters/", "./clusters/prod/web.yaml", [A, B]],
    ["a file outside the config folder is matched as is", "clusters", "prod/web.yaml", [A, B]],
  ];
  for (const [name, dir, file, recipients] of cases) {
    it(`${name}: ${file}`, () => assert.deepEqual(findCreationRule(config, dir, file)?.recipients, recipients));
  }
  it("copies the crypt rule and mac_only_encrypted", () => {
    assert.deepEqual(findCreationRule(config, "", "prod/a.yaml"), { recipients: [A, B], encryptedRegex: "^(data|stringData)$" });
    assert.deepEqual(findCreationRule(config, "", "a.secret.yaml"), { recipients: [B], macOnlyEncrypted: true });
  });
  it("returns undefined without creation_rules", () => {
    assert.equal(findCreationRule(parseSopsConfig("", ".sops.yaml"), "", "a.yaml"), undefined);
  });
  it("throws SopsNoMatchingRule when rules exist and none matches", () => {
    const c = parseSopsConfig(`creation_rules:\n  - path_regex: ^prod/\n    age: ${A}\n`, ".sops.yaml");
    assert.throws(() => findCreationRule(c, "", "dev/a.yaml"), isCode("SopsNoMatchingRule"));
  });
  it("refuses a path_regex that does not compile, as sops does", () => {
    const c = parseSopsConfig(`creation_rules:\n  - path_regex: "(?=x)"\n    age: ${A}\n`, ".sops.yaml");
    assert.throws(() => findCreationRule(c, "", "x.yaml"), isCode("SopsConfigInvalid"));
  });
  it("uses a single key group, merges included", () => {
    const c = parseSopsConfig(
      `creation_rules:\n  - age: ${C}\n    key_groups:\n      - age: [${A}]\n        merge:\n          - age: [${B}]\n`,
      ".sops.yaml",
    );
    assert.deepEqual(findCreationRule(c, "", "a.yaml")?.recipients, [A, B]);
  });
  it("refuses several key groups (Shamir)", () => {
    const c = parseSopsConfig(`creation_rules:\n  - key_groups:\n      - age: [${A}]\n      - age: [${B}]\n`, ".sops.yaml");
    assert.throws(() => findCreationRule(c, "", "a.yaml"), isCode("SopsUnsupported"));
  });
  it("refuses key types gitcert cannot encrypt for, and rules without age", () => {
    const pgp = parseSopsConfig(`creation_rules:\n  - age: ${A}\n    pgp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21\n`, ".sops.yaml");
    assert.throws(() => findCreationRule(pgp, "", "a.yaml"), isCode("SopsUnsupported"));
    const none = parseSopsConfig(`creation_rules:\n  - encrypted_regex: ^data$\n`, ".sops.yaml");
    assert.throws(() => findCreationRule(none, "", "a.yaml"), isCode("SopsInvalidRecipient"));
  });
  it("refuses a rule with two crypt rules", () => {
    const c = parseSopsConfig(`creation_rules:\n  - age: ${A}\n    encrypted_regex: ^data$\n    unencrypted_suffix: _u\n`, ".sops.yaml");
    assert.throws(() => findCreationRule(c, "", "a.yaml"), isCode("SopsRuleInvalid"));
  });
});

describe("pathForRules", () => {
  it("strips only a whole folder prefix", () => {
    assert.equal(pathForRules("apps", "apps/web/s.yaml"), "web/s.yaml");
    assert.equal(pathForRules("apps", "apps2/s.yaml"), "apps2/s.yaml");
    assert.equal(pathForRules("", "s.yaml"), "s.yaml");
  });
  it("refuses paths outside the repository", () => {
    assert.throws(() => pathForRules("", "../s.yaml"), isCode("SopsConfigInvalid"));
    assert.throws(() => pathForRules("", "/etc/s.yaml"), isCode("SopsConfigInvalid"));
  });
});

describe("nearestSopsConfig", () => {
  const files = new Map([
    [".sops.yaml", "root"],
    ["clusters/prod/.sops.yaml", "prod"],
    ["clusters/dev/.sops.yml", "ignored, as sops ignores it"],
  ]);
  const cases: [string, string | undefined, string | undefined][] = [
    ["clusters/prod/apps/web/tls.yaml", "clusters/prod/.sops.yaml", "clusters/prod"],
    ["clusters/prod/tls.yaml", "clusters/prod/.sops.yaml", "clusters/prod"],
    ["clusters/dev/tls.yaml", ".sops.yaml", ""],
    ["tls.yaml", ".sops.yaml", ""],
  ];
  for (const [file, path, dir] of cases) {
    it(file, async () => {
      const found = await nearestSopsConfig(file, async (p) => files.get(p));
      assert.equal(found?.path, path);
      assert.equal(found?.dir, dir);
    });
  }
  it("finds none when there is none, and never looks outside the repository", async () => {
    const asked: string[] = [];
    const found = await nearestSopsConfig("a/b.yaml", async (p) => (asked.push(p), p === "c/.sops.yaml" ? "" : undefined));
    assert.equal(found, undefined);
    assert.deepEqual(asked, ["a/.sops.yaml", ".sops.yaml"]);
  });
});

describe("rule selection agrees with the real sops", () => {
  let sops: SopsPeer;
  before(() => {
    sops = new SopsPeer();
  });
  after(() => sops.cleanup());

  it("picks the same recipients and crypt rule for each file", () => {
    const keys = [sops.keygen(), sops.keygen(), sops.keygen()];
    const [a, b, c] = keys.map((k) => k.recipient) as [string, string, string];
    const repo = join(sops.dir, "repo");
    const configDir = join(repo, "clusters");
    mkdirSync(join(configDir, "prod", "apps"), { recursive: true });
    mkdirSync(join(configDir, "dev"), { recursive: true });
    const text = `creation_rules:\n  - path_regex: ^prod/\n    age: ${a}\n    encrypted_regex: ^data$\n  - path_regex: \\.secret\\.yaml$\n    age: [${b}]\n  - age: ${c}\n`;
    writeFileSync(join(configDir, ".sops.yaml"), text);
    const config = parseSopsConfig(text, "clusters/.sops.yaml");
    for (const rel of ["clusters/prod/apps/s.yaml", "clusters/dev/x.secret.yaml", "clusters/dev/s.yaml"]) {
      writeFileSync(join(repo, rel), "data: x\nother: y\n");
      const r = sops.run(peer("sops"), ["--config", "clusters/.sops.yaml", "--encrypt", rel], {}, repo);
      assert.equal(r.status, 0, r.stderr);
      const sopsRecipients = [...r.stdout.matchAll(/recipient: (age1\w+)/g)].map((m) => m[1]);
      const ours = findCreationRule(config, "clusters", rel)!;
      assert.deepEqual(sopsRecipients, ours.recipients, rel);
      assert.equal(/encrypted_regex: \^data\$/.test(r.stdout), ours.encryptedRegex === "^data$", rel);
    }
  });
});
