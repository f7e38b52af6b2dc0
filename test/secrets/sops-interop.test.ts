// Interop with the real sops CLI, both ways, and with npm sops-age. sops is
// the judge: `sops -d` checks our MAC, our AADs and our metadata, and our
// decrypter must read what `sops -e` writes and refuse what sops refuses.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { decryptSops } from "sops-age";
import { GitcertError } from "../../src/diagnostics.ts";
import {
  SECRET_ENCRYPTED_REGEX,
  decryptDocument,
  decryptYaml,
  encryptYaml,
  generateAgeIdentity,
  readSecretData,
  renderSecretManifest,
} from "../../src/secrets/index.ts";
import type { SopsRule } from "../../src/secrets/index.ts";
import { resolvePlain } from "../../src/secrets/yaml-resolve.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

const SECRET_REGEX = SECRET_ENCRYPTED_REGEX;
const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;
const docsOf = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS());

// Scalars whose YAML 1.2-core reading (the `yaml` package, used to compare)
// agrees with yaml.v3's, so plaintext, sops -d and our output compare as data.
const PLAINTEXT = `apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: shop
  labels:
    tier: "3"
type: kubernetes.io/tls
replicas: 3
ratio: 0.25
enabled: true
disabled: false
nothing: null
empty: ""
list:
  - one
  - 2
  - {nested: x, flag: false}
deep:
  a:
    b:
      c: 1.5e-3
password_unencrypted: visible
data:
  tls.crt: Q0VSVAo=
  tls.key: c3VwZXItc2VjcmV0LWtleQ==
stringData:
  token: s3cr3t-t0ken
  multi: |
    line one
    line two
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: second
data:
  answer: "42"
`;
const SECRET_VALUES = ["s3cr3t-t0ken", "c3VwZXItc2VjcmV0LWtleQ=="];

const RULES: [string, Omit<SopsRule, "recipients">, string[]][] = [
  // [name, our rule, the same as sops flags]
  ["default rule", {}, []],
  ["encrypted_regex (the Secret default)", { encryptedRegex: SECRET_REGEX }, ["--encrypted-regex", SECRET_REGEX]],
  ["unencrypted_regex", { unencryptedRegex: "^(apiVersion|kind|metadata|type)$" }, ["--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"]],
  ["encrypted_suffix", { encryptedSuffix: "Data" }, ["--encrypted-suffix", "Data"]],
  ["unencrypted_suffix", { unencryptedSuffix: "ata" }, ["--unencrypted-suffix", "ata"]],
  ["mac_only_encrypted", { encryptedRegex: SECRET_REGEX, macOnlyEncrypted: true }, ["--encrypted-regex", SECRET_REGEX, "--mac-only-encrypted"]],
];

let sops: SopsPeer;
let key: AgeKey; // from the real age-keygen
let other: AgeKey; // ours

before(async () => {
  sops = new SopsPeer();
  key = sops.keygen();
  other = await generateAgeIdentity();
});
after(() => sops?.cleanup());

function sopsDecrypts(text: string, identities = [key.identity]): string {
  const r = sops.decrypt(text, identities);
  assert.equal(r.status, 0, `sops -d failed: ${r.stderr}`);
  return r.stdout;
}

describe("our encryptYaml → sops -d", () => {
  for (const [name, rule] of RULES) {
    it(`${name}: sops decrypts and verifies the MAC`, async () => {
      const text = await encryptYaml(PLAINTEXT, { recipients: [key.recipient, other.recipient], ...rule });
      assert.deepEqual(docsOf(sopsDecrypts(text)), docsOf(PLAINTEXT));
      assert.deepEqual(docsOf(await decryptYaml(text, [other.identity])), docsOf(PLAINTEXT));
    });
  }

  it("every recipient can decrypt on its own", async () => {
    const third = sops.keygen();
    const text = await encryptYaml("a: b\n", { recipients: [key.recipient, third.recipient] });
    assert.deepEqual(parse(sopsDecrypts(text, [third.identity])), { a: "b" });
    assert.deepEqual(parse(sopsDecrypts(text, [key.identity])), { a: "b" });
  });

  it("the default Secret leaves its envelope plaintext and its values encrypted", async () => {
    const manifest = renderSecretManifest({
      name: "web-tls",
      namespace: "shop",
      type: "kubernetes.io/tls",
      labels: { app: "web" },
      annotations: { "gitcert.dev/not-after": "2025-10-01T12:00:00Z" },
      data: { "tls.crt": Buffer.from("CERT"), "tls.key": Buffer.from("super-secret-key") },
    });
    const text = await encryptYaml(manifest, { recipients: [key.recipient], encryptedRegex: SECRET_REGEX });
    assert.doesNotMatch(text, new RegExp(Buffer.from("super-secret-key").toString("base64")));
    const raw = parse(text) as Record<string, any>;
    assert.deepEqual([raw.apiVersion, raw.kind, raw.type], ["v1", "Secret", "kubernetes.io/tls"]);
    assert.equal(raw.metadata.annotations["gitcert.dev/not-after"], "2025-10-01T12:00:00Z");
    const viaSops = readSecretData(parse(sopsDecrypts(text)) as Record<string, unknown>);
    const viaUs = readSecretData(await decryptDocument(text, [key.identity]));
    assert.deepEqual(viaSops, { "tls.crt": Buffer.from("CERT"), "tls.key": Buffer.from("super-secret-key") });
    assert.deepEqual(viaUs, viaSops);
  });

  it("sops-age (npm) reads it too", async () => {
    const single = PLAINTEXT.slice(0, PLAINTEXT.indexOf("---"));
    const text = await encryptYaml(single, { recipients: [key.recipient], encryptedRegex: SECRET_REGEX });
    assert.deepEqual(await decryptSops(text, { secretKey: key.identity, fileType: "yaml" }), parse(single));
  });
});

describe("sops -e → our decryptYaml", () => {
  for (const [name, , flags] of RULES) {
    it(`${name}: same data as sops -d`, async () => {
      const text = sops.encrypt(PLAINTEXT, ["--age", `${other.recipient},${key.recipient}`, ...flags]);
      const ours = await decryptYaml(text, [other.identity]);
      assert.deepEqual(docsOf(ours), docsOf(sopsDecrypts(text)));
      assert.deepEqual(docsOf(ours), docsOf(PLAINTEXT));
    });
  }

  it("decrypts sops' encrypted comments back in place", async () => {
    const text = sops.encrypt("# top secret note\na: 1\nb:\n  # inner note\n  c: x\n", ["--age", key.recipient]);
    assert.doesNotMatch(text, /secret note|inner note/);
    const ours = await decryptYaml(text, [key.identity]);
    assert.match(ours, /^# top secret note$/m);
    assert.match(ours, /^ {4}# inner note$/m);
  });
});

describe("yaml.v3 scalar typing, as the real sops sees it", () => {
  const scalars = ["0777", "0x1F", "1_000", "-0b101", "yes", "True", "FALSE", ".inf", "-.inf", ".nan", "1e3", "3.140", "1e21", "2024-01-01", "2024-01-01T10:20:30.5+02:00", "tRUE", "0778", "09", "+12", "1.", ".5", "1:20", "0o17", "12e"];
  const plaintext = scalars.map((s, i) => `k${i}: ${s}`).join("\n") + "\n";
  const typesIn = (text: string): string[] => scalars.map((_, i) => new RegExp(`^k${i}: ENC\\[[^\\n]*type:(\\w+)\\]$`, "m").exec(text)?.[1] ?? "?");

  it("sops types each scalar as resolvePlain does, and our MAC over its values agrees", async () => {
    const text = sops.encrypt(plaintext, ["--age", key.recipient]);
    const expected = scalars.map((s) => resolvePlain(s).type);
    assert.deepEqual(typesIn(text), expected);
    // Our decrypter recomputes the MAC from its own canonical bytes for each type.
    await decryptYaml(text, [key.identity]);
  });

  it("our output carries the same types (times as strings) and sops verifies its MAC", async () => {
    const text = await encryptYaml(plaintext, { recipients: [key.recipient] });
    const expected = scalars.map((s) => resolvePlain(s).type).map((t) => (t === "time" ? "str" : t));
    assert.deepEqual(typesIn(text), expected);
    sopsDecrypts(text);
  });

  it("values sops leaves plaintext (times included) hash the same in our MAC", async () => {
    const text = sops.encrypt(`${plaintext}secret: x\n`, ["--age", key.recipient, "--encrypted-regex", "^secret$"]);
    const doc = await decryptDocument(text, [key.identity]);
    assert.equal(doc["k13"], "2024-01-01T00:00:00Z");
    assert.equal(doc["k0"], 511);
  });

  it("values we leave plaintext, re-read by sops, hash the same in its MAC", async () => {
    const unencrypted = scalars.map((s, i) => `k${i}_unencrypted: ${s}`).join("\n") + "\nsecret: x\n";
    sopsDecrypts(await encryptYaml(unencrypted, { recipients: [key.recipient] }));
  });
});

interface Tamper {
  name: string;
  edit: (text: string, otherFile: string) => string;
  code: string;
}

/** Change one base64 character of the n-th ENC data field, keeping valid base64. */
function flipData(text: string, n: number): string {
  let i = -1;
  return text.replace(/data:([A-Za-z0-9+/])/g, (m, c: string) => (++i === n ? `data:${c === "A" ? "B" : "A"}` : m));
}

const TAMPERS: Tamper[] = [
  { name: "an ENC value's ciphertext", edit: (t) => flipData(t, 0), code: "SopsDecryptFailed" },
  {
    name: "an ENC value moved to another key",
    edit: (t) => {
      const crt = /tls\.crt: (ENC\[[^\n]+\])/.exec(t)![1]!;
      const key = /tls\.key: (ENC\[[^\n]+\])/.exec(t)![1]!;
      return t.replace(crt, "CRT").replace(key, crt).replace("CRT", key);
    },
    code: "SopsDecryptFailed",
  },
  { name: "an ENC value replaced by plaintext", edit: (t) => t.replace(/token: ENC\[[^\n]+\]/, "token: guessed"), code: "SopsDecryptFailed" },
  { name: "a plaintext value inside the MAC", edit: (t) => t.replace("name: web-tls", "name: evil-tls"), code: "SopsMacMismatch" },
  { name: "a plaintext value added", edit: (t) => t.replace("type: kubernetes.io/tls", "type: kubernetes.io/tls\nextra: x"), code: "SopsMacMismatch" },
  { name: "the MAC, swapped for another file's", edit: (t, o) => t.replaceAll(/mac: ENC\[[^\n]+\]/g, /mac: ENC\[[^\n]+\]/.exec(o)![0]), code: "SopsMacMismatch" },
  { name: "lastmodified", edit: (t) => t.replaceAll(/lastmodified: "[^"]+"/g, 'lastmodified: "2001-01-01T00:00:00Z"'), code: "SopsMacMismatch" },
];

describe("tampering is refused by sops and by us alike", () => {
  const plain = PLAINTEXT.slice(0, PLAINTEXT.indexOf("---"));
  // Two files from each writer: the second lends its MAC to the first.
  const files = new Map<string, [string, string]>();
  before(async () => {
    const ours = () => encryptYaml(plain, { recipients: [key.recipient], encryptedRegex: SECRET_REGEX });
    const theirs = () => sops.encrypt(plain, ["--age", key.recipient, "--encrypted-regex", SECRET_REGEX]);
    files.set("our file", [await ours(), await ours()]);
    files.set("a sops file", [theirs(), theirs()]);
  });
  for (const source of ["our file", "a sops file"]) {
    for (const t of TAMPERS) {
      it(`${source}: ${t.name} → ${t.code}`, async () => {
        const [text, otherFile] = files.get(source)!;
        const tampered = t.edit(text, otherFile);
        assert.notEqual(tampered, text);
        assert.notEqual(sops.decrypt(tampered, [key.identity]).status, 0, "sops accepted the tampered file");
        await assert.rejects(decryptYaml(tampered, [key.identity]), (e: unknown) => {
          assert.ok(isCode(t.code)(e), `expected ${t.code}, got ${e instanceof GitcertError ? e.code : String(e)}`);
          const msg = (e as Error).message;
          for (const secret of [...SECRET_VALUES, key.identity]) assert.ok(!msg.includes(secret), `message leaks a secret: ${msg}`);
          return true;
        });
      });
    }
  }

  it("with mac_only_encrypted, editing a plaintext value is accepted by both", async () => {
    for (const text of [
      await encryptYaml(plain, { recipients: [key.recipient], encryptedRegex: SECRET_REGEX, macOnlyEncrypted: true }),
      sops.encrypt(plain, ["--age", key.recipient, "--encrypted-regex", SECRET_REGEX, "--mac-only-encrypted"]),
    ]) {
      const edited = text.replace("name: web-tls", "name: renamed");
      assert.equal((parse(sopsDecrypts(edited)) as any).metadata.name, "renamed");
      assert.equal(((await decryptDocument(edited, [key.identity])) as any).metadata.name, "renamed");
    }
  });

  it("a wrong identity fails with a clear error that names no key", async () => {
    const text = await encryptYaml(plain, { recipients: [key.recipient] });
    const stranger = await generateAgeIdentity();
    assert.notEqual(sops.decrypt(text, [stranger.identity]).status, 0);
    await assert.rejects(decryptYaml(text, [stranger.identity]), (e: unknown) => {
      const msg = (e as Error).message;
      return isCode("SopsDataKeyUnavailable")(e) && msg.includes(key.recipient) && !msg.includes(stranger.identity);
    });
  });

  it("a file that is not sops-encrypted is named as such", async () => {
    await assert.rejects(decryptYaml(plain, [key.identity]), isCode("SopsNotEncrypted"));
  });
});
