// rekeyYaml is `sops updatekeys` for one file: the real sops CLI decrypts
// the result with the new identity and refuses the removed one, and its own
// updatekeys leaves the same values, MAC and lastmodified.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { GitcertError } from "../../src/diagnostics.ts";
import { encryptYaml, rekeyYaml, SECRET_ENCRYPTED_REGEX } from "../../src/secrets/index.ts";
import { peer } from "../peers/tools.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

const PLAINTEXT = `apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: shop
  annotations:
    gitcert.dev/revision: "3"
type: kubernetes.io/tls
data:
  tls.crt: Y2VydGlmaWNhdGU=
  tls.key: c2VjcmV0LWtleQ==
`;

let sops: SopsPeer;
let alice: AgeKey;
let bob: AgeKey;
let carol: AgeKey;
before(() => {
  sops = new SopsPeer();
  [alice, bob, carol] = [sops.keygen(), sops.keygen(), sops.keygen()];
});
after(() => sops.cleanup());

const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;
const meta = (text: string) => parse(text).sops as Record<string, unknown>;
const recipients = (text: string) => (meta(text).age as Array<{ recipient: string }>).map((e) => e.recipient);
const body = (text: string) => text.slice(0, text.indexOf("\nsops:\n"));

/** `sops updatekeys -y` under a .sops.yaml naming `to`, with `identity` to open the file. */
function sopsUpdatekeys(text: string, to: string[], identity: string): string {
  const dir = join(sops.dir, `uk-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    age: ${to.join(",")}\n`);
  writeFileSync(join(dir, "web-tls.sops.yaml"), text);
  writeFileSync(join(dir, "keys.txt"), `${identity}\n`, { mode: 0o600 });
  const r = sops.run(peer("sops"), ["updatekeys", "-y", "web-tls.sops.yaml"], { SOPS_AGE_KEY_FILE: join(dir, "keys.txt") }, dir);
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(join(dir, "web-tls.sops.yaml"), "utf8");
}

describe("rekeyYaml", () => {
  it("re-wraps for the new recipients: sops -d opens it with them, not with the removed one; values and MAC stay", async () => {
    const original = await encryptYaml(PLAINTEXT, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const { text, before: was, after: now } = await rekeyYaml(original, [bob.recipient, carol.recipient], [alice.identity]);
    assert.deepEqual(was, [alice.recipient]);
    assert.deepEqual(now, [bob.recipient, carol.recipient]);
    assert.deepEqual(recipients(text), [bob.recipient, carol.recipient]);
    const plain = sops.decrypt(original, [alice.identity]);
    assert.equal(plain.status, 0, plain.stderr);
    for (const id of [bob, carol]) {
      const r = sops.decrypt(text, [id.identity]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, plain.stdout, "the same values");
    }
    assert.notEqual(sops.decrypt(text, [alice.identity]).status, 0, "the removed recipient can no longer open it");
    for (const key of ["mac", "lastmodified", "version", "encrypted_regex"]) assert.equal(meta(text)[key], meta(original)[key], key);
    assert.equal(body(text), body(original), "every value byte for byte");
  });

  it("matches sops updatekeys: same recipients, values, MAC, lastmodified and version", async () => {
    const original = await encryptYaml(PLAINTEXT, { recipients: [alice.recipient, carol.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const ours = (await rekeyYaml(original, [bob.recipient, carol.recipient], [alice.identity])).text;
    const theirs = sopsUpdatekeys(original, [bob.recipient, carol.recipient], alice.identity);
    assert.deepEqual(new Set(recipients(ours)), new Set(recipients(theirs)));
    assert.equal(body(ours), body(theirs), "sops re-emits the same body, byte for byte");
    for (const key of ["mac", "lastmodified", "version", "encrypted_regex"]) assert.equal(meta(ours)[key], meta(theirs)[key], key);
    for (const file of [ours, theirs]) assert.equal(sops.decrypt(file, [bob.identity]).stdout, sops.decrypt(original, [alice.identity]).stdout);
  });

  it("keeps the entry of a recipient that stays, so the diff is only the change", async () => {
    const original = await encryptYaml(PLAINTEXT, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const { text } = await rekeyYaml(original, [alice.recipient, bob.recipient], [alice.identity]);
    const enc = (t: string) => (meta(t).age as Array<{ recipient: string; enc: string }>).find((e) => e.recipient === alice.recipient)!.enc;
    assert.equal(enc(text), enc(original));
    assert.ok(text.startsWith(original.slice(0, original.indexOf("        - recipient:"))), "everything before the age list unchanged");
  });

  it("rekeys a file sops itself wrote (3.13 layout), every document, keeping its comments", async () => {
    const plaintext = `# a head comment\na: 1\nb: secret\n---\nc: two\n`;
    const original = sops.encrypt(plaintext, ["--age", alice.recipient, "--encrypted-regex", "^b$"]);
    const { text } = await rekeyYaml(original, [bob.recipient], [alice.identity]);
    const docs = text.split(/^---\n/m);
    assert.equal(docs.length, 2);
    for (const doc of docs) assert.deepEqual(recipients(doc), [bob.recipient]);
    assert.match(text, /^# a head comment$/m);
    const r = sops.decrypt(text, [bob.identity]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /b: secret/);
  });

  it("rewrites files laid out otherwise as well: a comment before or after, a value with a sops: line of its own", async () => {
    const annotated = PLAINTEXT.replace('    gitcert.dev/revision: "3"\n', '    gitcert.dev/revision: "3"\n    note: |\n      sops:\n      not the metadata\n');
    const original = await encryptYaml(annotated, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    assert.match(original, /^ +sops:$/m, "the annotation's line stays inside its block");
    // Only the sops: block is read when it is the single document's last entry; the rest parse the file whole.
    for (const variant of [original, `# edited by hand\n${original}`, `${original}# a trailing comment\n`]) {
      const { text } = await rekeyYaml(variant, [bob.recipient], [alice.identity]);
      assert.deepEqual(recipients(text), [bob.recipient]);
      assert.equal(body(text), body(variant), "everything before the metadata byte for byte");
      assert.equal(text.endsWith("# a trailing comment\n"), variant.endsWith("# a trailing comment\n"));
      const r = sops.decrypt(text, [bob.identity]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(parse(r.stdout), parse(annotated));
    }
  });

  it("refuses a file with two top-level sops: entries, as the invalid YAML it is", async () => {
    const original = await encryptYaml(PLAINTEXT, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const twice = original + original.slice(original.indexOf("\nsops:\n") + 1);
    await assert.rejects(rekeyYaml(twice, [bob.recipient], [alice.identity]), isCode("SopsInvalidYaml"));
  });

  it("refuses without an identity that opens it, naming the recipients and no key", async () => {
    const original = await encryptYaml(PLAINTEXT, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    await assert.rejects(rekeyYaml(original, [bob.recipient], [carol.identity]), (e: unknown) => {
      assert.ok(isCode("SopsDataKeyUnavailable")(e));
      assert.match((e as Error).message, new RegExp(alice.recipient));
      assert.doesNotMatch((e as Error).message, /AGE-SECRET-KEY/);
      return true;
    });
  });

  it("refuses an age entry that opens to another file's data key (its MAC does not decrypt)", async () => {
    const mine = await encryptYaml(PLAINTEXT, { recipients: [bob.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const other = await encryptYaml(PLAINTEXT, { recipients: [alice.recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX });
    const foreign = (meta(other).age as Array<{ enc: string }>)[0]!.enc;
    // Someone with write access adds an entry for alice that wraps a different key.
    const forged = mine.replace(/^(\s+)- recipient: (age1\w+)\n/m, (_m, sp: string, r: string) => `${sp}- recipient: ${alice.recipient}\n${sp}  enc: |\n${foreign.trimEnd().split("\n").map((l) => `${sp}      ${l}`).join("\n")}\n${sp}- recipient: ${r}\n`);
    assert.deepEqual(recipients(forged), [alice.recipient, bob.recipient]);
    await assert.rejects(rekeyYaml(forged, [alice.recipient, carol.recipient], [alice.identity]), isCode("SopsMacMismatch"));
  });

  it("refuses key_groups (Shamir) files and files that are not sops files", async () => {
    const dir = join(sops.dir, "shamir");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${alice.recipient}]\n      - age: [${bob.recipient}]\n`);
    writeFileSync(join(dir, "f.yaml"), "a: x\n");
    const r = sops.run(peer("sops"), ["--encrypt", "f.yaml"], {}, dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /key_groups:/);
    await assert.rejects(rekeyYaml(r.stdout, [carol.recipient], [alice.identity]), isCode("SopsUnsupported"));
    await assert.rejects(rekeyYaml("a: 1\n", [bob.recipient], [alice.identity]), isCode("SopsNotEncrypted"));
  });
});
