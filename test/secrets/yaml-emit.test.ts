// What gitcert writes is laid out as `sops -e` lays it out, byte for byte,
// for every `stores.yaml.indent`: the real sops CLI encrypts the same
// plaintext under a .sops.yaml with that indent, and the files are compared.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encryptSecret, encryptYaml, renderSecretManifest, SECRET_ENCRYPTED_REGEX } from "../../src/secrets/index.ts";
import { peer } from "../peers/tools.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

// Every style yaml.v3 can pick, in maps, lists and lists of maps, with the
// scalars that sit on the edge between two styles.
const CORPUS = `top:
  list:
    - plain
    - "quoted: yes"
    - multi: |
        line one
        line two
      after: x
    - - nested
      - deeper:
          - a
          - b
    - []
    - {}
    - null
    - 12
    - 1.5
    - true
    - "lead space\\nsecond"
    - " leading\\nblock"
    - "a\\nb\\n"
  map:
    inner:
      deep: v
  empty: ""
  tilde: ~
this-is-a-very-long-key-that-goes-beyond-one-hundred-and-twenty-eight-characters-which-makes-yaml-v3-write-it-as-a-complex-key-xx: short
this-is-a-very-long-key-that-goes-beyond-one-hundred-and-twenty-eight-characters-which-makes-yaml-v3-write-it-as-a-complex-key-yy:
  a: 1
  b: [x]
"key with: colon": 1
"#hash key": 2
"": empty key
"sp ": trailing space key
"\\ttab": v
"n": old bool key
lit: "x\\n"
lit2: "\\n\\nx"
lit3: "x\\n\\n\\n"
lit4: "x  \\ny"
lit5: "x\\n  y\\n"
lit6: "x\\ny"
lit7: "x\\n\\ny\\n"
lit8: "-----BEGIN AGE ENCRYPTED FILE-----\\nQUJD\\n-----END AGE ENCRYPTED FILE-----\\n"
lit9: "a b\\n\\nc: d #e\\n"
lit10: "a\\n b\\n"
lit11: "a \\nb\\n"
long: this is a very long value with many spaces that goes well beyond the eighty column limit of yaml
a1: 'it''s: quoted #x'
a2: "#hash"
a3: "- dash"
a4: "x: y"
a5: "1:20"
a6: "yes"
a7: "0x1F"
a8: "caf\\u00e9 \\u2028 sep"
a9: " lead"
b1: "trail "
b2: "sp \\nbreak"
b3: "{x}"
b4: "a # b"
b5: "a #b"
b6: "--- x"
b7: "?"
b8: "? x"
b9: "-"
c1: "1e3"
c2: "0o17"
c3: "2001-12-14t21:59:43.10-05:00"
c4: "null"
c5: "!tag"
c6: "a,b"
c7: "x]"
c8: "emoji \\U0001F600"
c9: "\\x7f del"
d1: "\\u0085 nel"
d2: "ends:"
d3: ":x"
d4: "?x"
d5: "-x"
d6: "...x"
d7: "a:b"
d8: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"
d9: "\\ufeffbom"
e1: "\\u00a0nbsp"
e2: "back\\\\slash \\"dq\\""
---
second: document
`;

/** The part of a sops file before its metadata, in every document. */
const bodies = (text: string) => text.split(/^---\n/m).map((d) => d.slice(0, d.indexOf("\nsops:\n") + 1));
/** Metadata lines with the random and version-specific parts masked, in sorted order (3.13 sorts keys; we write 3.10's order). */
const metadataShape = (text: string) =>
  text
    .slice(text.indexOf("\nsops:\n"))
    .split("\n")
    .filter((l) => !/^\s*[A-Za-z0-9+/=]{20,}$/.test(l))
    .map((l) => l.replace(/^(\s*)- /, "$1  ").replace(/ENC\[[^\]]*\]/, "ENC[]").replace(/(lastmodified|version): .*/, "$1: *"))
    .sort();

let sops: SopsPeer;
let key: AgeKey;
before(() => {
  sops = new SopsPeer();
  key = sops.keygen();
});
after(() => sops.cleanup());

function sopsEncrypt(plaintext: string, indent: number, rule: string): string {
  const dir = join(sops.dir, `indent-${indent}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, ".sops.yaml"), `stores:\n  yaml:\n    indent: ${indent}\ncreation_rules:\n  - age: ${key.recipient}\n    ${rule}\n`);
  writeFileSync(join(dir, "plain.yaml"), plaintext);
  const r = sops.run(peer("sops"), ["--encrypt", "plain.yaml"], {}, dir);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("the layout of sops -e, for each stores.yaml.indent", () => {
  for (const indent of [1, 2, 3, 4, 8, 10]) {
    it(`indent ${indent}: every style of scalar, in maps and lists, byte for byte`, async () => {
      const theirs = sopsEncrypt(CORPUS, indent, `unencrypted_regex: ".*"`);
      const mine = await encryptYaml(CORPUS, { recipients: [key.recipient], unencryptedRegex: ".*" }, { indent });
      assert.deepEqual(bodies(mine), bodies(theirs));
      assert.deepEqual(metadataShape(mine), metadataShape(theirs));
    });
  }

  for (const indent of [2, 4]) {
    it(`indent ${indent}: a TLS Secret as gitcert writes it, encrypted values in place`, async () => {
      const secret = {
        name: "web-tls",
        namespace: "shop",
        type: "kubernetes.io/tls",
        annotations: { "cert-manager.io/common-name": "", "gitcert.dev/not-after": "2027-01-01T00:00:00Z", "gitcert.dev/revision": "1" },
        labels: { "controller.cert-manager.io/fao": "true" },
        data: { "tls.crt": Buffer.from("certificate"), "tls.key": Buffer.from("key"), "ca.crt": Buffer.alloc(0) },
      };
      const plaintext = renderSecretManifest(secret);
      const theirs = sopsEncrypt(plaintext, indent, `encrypted_regex: "${SECRET_ENCRYPTED_REGEX}"`);
      const rule = { recipients: [key.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX };
      const mask = (t: string) => t.replace(/ENC\[[^\]]*\]/g, "ENC[]");
      // From the YAML text, and straight from the Secret's fields as execute writes it.
      for (const mine of [await encryptYaml(plaintext, rule, { indent }), await encryptSecret(secret, rule, { indent })]) {
        assert.deepEqual(bodies(mine).map(mask), bodies(theirs).map(mask));
        assert.deepEqual(metadataShape(mine), metadataShape(theirs));
      }
    });
  }
});
