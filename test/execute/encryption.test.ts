import assert from "node:assert/strict";
import { test } from "node:test";
import { secretEncryption } from "../../src/execute/encryption.ts";

const RULES = "creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n";

test("a .sops.yaml that could not be read fails the Secret below it, not the Secrets written after it", async () => {
  const files = new Map([[".sops.yaml", RULES]]);
  const read = async (path: string) => {
    if (path === "broken/.sops.yaml") throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    return files.get(path);
  };
  const encryption = secretEncryption(read, []);
  await assert.rejects(encryption.targetFor("broken/web-tls.sops.yaml"), /EACCES/);
  const target = await encryption.targetFor("apps/api-tls.sops.yaml");
  assert.deepEqual(target.rule.recipients, ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]);
});
