// The sops: block of gitcert's own files, read from the text without a YAML
// parser (what rekey does), must give what the parser gives, or nothing:
// any other layout is left to the parser.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { encryptSecret, encryptYaml, SECRET_ENCRYPTED_REGEX } from "../../src/secrets/index.ts";
import { readMetadata } from "../../src/secrets/metadata.ts";
import { readMetadataText } from "../../src/secrets/metadata-text.ts";
import { parseYamlStream } from "../../src/secrets/yaml-nodes.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

const SECRET = { name: "web-tls", namespace: "shop", type: "kubernetes.io/tls", labels: {}, annotations: { "gitcert.dev/revision": "1" }, data: { "tls.crt": Buffer.from("cert") } };

/** From the sops: line to the end, as rekey hands it over. */
const tailOf = (text: string) => text.slice(text.indexOf("\nsops:\n") + 1);

function parsed(text: string) {
  const { docs, lines } = parseYamlStream(text, "test");
  return readMetadata(docs[0]!.contents as Parameters<typeof readMetadata>[0], lines);
}

let sops: SopsPeer;
let alice: AgeKey;
let bob: AgeKey;
before(() => {
  sops = new SopsPeer();
  [alice, bob] = [sops.keygen(), sops.keygen()];
});
after(() => sops.cleanup());

describe("readMetadataText", () => {
  it("reads what the YAML parser reads, for every indent, one or two recipients, with mac_only_encrypted", async () => {
    for (const indent of [1, 2, 3, 4, 8, 9, 10]) {
      for (const recipients of [[alice.recipient], [alice.recipient, bob.recipient]]) {
        const text = await encryptSecret(SECRET, { recipients, encryptedRegex: SECRET_ENCRYPTED_REGEX, macOnlyEncrypted: indent % 2 === 1 }, { indent });
        const tail = tailOf(text);
        const read = readMetadataText(tail);
        assert.ok(read, `indent ${indent}, ${recipients.length} recipient(s): read`);
        assert.deepEqual(read.meta, parsed(text));
        assert.match(tail.slice(read.ageStart, read.ageEnd), /^ +age:\n[\s\S]*END AGE ENCRYPTED FILE-----\n$/);
        assert.match(tail.slice(read.ageEnd), /^ +lastmodified: /);
      }
    }
    const defaultRule = await encryptYaml("a: 1\n", { recipients: [alice.recipient] });
    assert.deepEqual(readMetadataText(tailOf(defaultRule))?.meta, parsed(defaultRule));
  });

  it("reads nothing from a block laid out otherwise, edited, or not what it seems", async () => {
    const text = await encryptSecret(SECRET, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const tail = tailOf(text);
    const edits: Array<[string, string]> = [
      ["sops 3.13's own layout", tailOf(sops.encrypt("a: 1\n", ["--age", alice.recipient]))],
      ["CRLF line ends", tail.replace(/\n/g, "\r\n")],
      ["a trailing space", tail.replace(/(version: \S+)\n/, "$1 \n")],
      ["two spaces after a colon", tail.replace("lastmodified: ", "lastmodified:  ")],
      ["a comment", tail.replace(/\n( +)version:/, "\n$1# note\n$1version:")],
      ["a quoted mac", tail.replace(/mac: (ENC\[[^\]]*\])/, "mac: '$1'")],
      ["a single-quoted lastmodified", tail.replace(/lastmodified: "([^"]*)"/, "lastmodified: '$1'")],
      ["an unknown key", tail.replace(/\n( +)version:/, "\n$1kms: []\n$1version:")],
      ["a second rule", tail.replace(/\n( +)version:/, "\n$1unencrypted_suffix: _x\n$1version:")],
      ["a value under a key of its own line", tail.replace(/version: (\S+)/, "version:\n        $1")],
      ["enc and recipient swapped", tail.replace(/- recipient: (\S+)\n( +)enc: \|/, "- enc: |\n$2recipient: $1")],
      ["an armor line indented deeper", tail.replace(/\n( +)-----END AGE/, "\n$1 -----END AGE")],
      ["no final newline", tail.slice(0, -1)],
    ];
    for (const [what, edited] of edits) {
      assert.notEqual(edited, tail, `${what}: the edit applies`);
      assert.equal(readMetadataText(edited), undefined, what);
    }
  });
});
