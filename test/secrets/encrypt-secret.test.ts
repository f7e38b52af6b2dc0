// encryptSecret encrypts gitcert's own Secret straight from its fields,
// without rendering the YAML and parsing it back. The file must be the one
// encryptYaml writes for the rendered manifest, byte for byte but for the
// random parts, and the real sops must open it and verify its MAC.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { GitcertError } from "../../src/diagnostics.ts";
import { decryptDocument, encryptSecret, encryptYaml, readSecretData, renderSecretManifest, SECRET_ENCRYPTED_REGEX } from "../../src/secrets/index.ts";
import type { SecretManifestInput } from "../../src/secrets/index.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;

// Label and annotation values on the edges of every scalar style and type.
const SECRET: SecretManifestInput = {
  name: "web-tls",
  namespace: "shop",
  type: "kubernetes.io/tls",
  labels: {
    plain: "web",
    bool11: "yes",
    octal: "0777",
    empty: "",
    lead: " lead",
    trail: "trail ",
    lines: "multi\nline\n",
    "lines-no-end": "one\ntwo",
    "lines-kept": "one\n\n",
    tab: "tab\there",
    date: "2024-01-01",
    hash: "#x",
    null: "null",
    ["k".repeat(140)]: "a key too long for a simple key",
    unicode: "é ünïcode",
    quotes: "'single' \"double\"",
    colon: "a: b",
    dash: "- x",
    bom: "\ufeffbom",
    control: "\x01ctl",
    enc: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
  },
  annotations: { "gitcert.dev/revision": "3", "cert-manager.io/common-name": "", underscores: "1_000", tilde: "~" },
  data: { "tls.crt": Buffer.from("certificate\n"), "tls.key": Buffer.from("key material"), "ca.crt": Buffer.alloc(0), "1": Buffer.from([0, 255]), "---": Buffer.from("x") },
};

/** The file with its random parts (ENC[] values, age files) masked. */
const masked = (text: string) => text.replace(/ENC\[AES256_GCM,[^\]]*\]/g, "ENC[]").replace(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g, "AGE");

let sops: SopsPeer;
let key: AgeKey;
before(() => {
  sops = new SopsPeer();
  key = sops.keygen();
});
after(() => sops.cleanup());

describe("encryptSecret", () => {
  for (const indent of [2, 3, 4, 10]) {
    it(`indent ${indent}: the file encryptYaml writes for the rendered Secret`, async () => {
      const rule = { recipients: [key.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX };
      const now = new Date("2026-03-01T10:00:00Z");
      const mine = await encryptSecret(SECRET, rule, { indent, now });
      assert.equal(masked(mine), masked(await encryptYaml(renderSecretManifest(SECRET), rule, { indent, now })));
    });
  }

  it("sops -d opens it, checks its MAC and gives back the rendered Secret, every value the same", async () => {
    const text = await encryptSecret(SECRET, { recipients: [key.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const r = sops.decrypt(text, [key.identity]);
    assert.equal(r.status, 0, r.stderr);
    // As text: no reader may turn "yes", "0777" or "2024-01-01" into anything else.
    assert.deepEqual(parse(r.stdout, { schema: "failsafe" }), parse(renderSecretManifest(SECRET), { schema: "failsafe" }));
    assert.deepEqual(readSecretData(await decryptDocument(text, [key.identity])), SECRET.data);
  });

  it("leaves no data value in the clear, and refuses a rule that would", async () => {
    const text = await encryptSecret(SECRET, { recipients: [key.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    assert.doesNotMatch(text, new RegExp(Buffer.from("key material").toString("base64")));
    await assert.rejects(encryptSecret(SECRET, { recipients: [key.recipient], encryptedRegex: "^metadata$" }), isCode("SecretValuesInClear"));
    await assert.rejects(encryptSecret(SECRET, { recipients: [key.recipient], unencryptedRegex: "^data$" }), isCode("SecretValuesInClear"));
  });

  it("refuses what renderSecretManifest refuses", async () => {
    const rule = { recipients: [key.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX };
    await assert.rejects(encryptSecret({ ...SECRET, name: "" }, rule), isCode("SecretInvalid"));
    await assert.rejects(encryptSecret({ ...SECRET, data: { "bad/key": Buffer.from("x") } }, rule), isCode("SecretInvalid"));
  });
});
