// age identities (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, keys.txt format) and the
// per-recipient wrapping of the data key, checked against the real age CLI.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { GitcertError } from "../../src/diagnostics.ts";
import { generateAgeIdentity, loadAgeIdentities, parseAgeIdentities, recipientOf } from "../../src/secrets/age-identities.ts";
import { unwrapDataKey, wrapDataKey } from "../../src/secrets/data-key.ts";
import { peer } from "../peers/tools.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

const isCode = (code: string) => (e: unknown) => e instanceof GitcertError && e.code === code;

describe("age identities", () => {
  let cli: SopsPeer;
  let key: AgeKey;
  before(() => {
    cli = new SopsPeer();
    key = cli.keygen();
  });
  after(() => cli.cleanup());

  it("parses an age-keygen keys.txt, comments and blank lines ignored", () => {
    const text = `# created: 2025-01-01T00:00:00Z\n# public key: ${key.recipient}\n${key.identity}\r\n\n  # indented comment\n`;
    assert.deepEqual(parseAgeIdentities(text), [key.identity]);
  });

  it("refuses a line that is not an identity, by number and without echoing it", () => {
    assert.throws(
      () => parseAgeIdentities(`${key.identity}\nhunter2-not-a-key\n`),
      (e: unknown) => isCode("SopsInvalidIdentity")(e) && /line 2/.test((e as Error).message) && !(e as Error).message.includes("hunter2"),
    );
  });

  it("derives the same recipient as age-keygen -y", async () => {
    assert.equal(await recipientOf(key.identity), key.recipient);
    const fresh = await generateAgeIdentity();
    const y = cli.run(peer("age-keygen"), ["-y", cli.file(`${fresh.identity}\n`, "fresh.txt", 0o600)]);
    assert.equal(y.stdout.trim(), fresh.recipient);
    assert.match(fresh.identity, /^AGE-SECRET-KEY-1[0-9A-Z]+$/);
  });

  it("refuses a malformed identity without echoing it", async () => {
    const bad = key.identity.slice(0, -4) + "QQQQ";
    await assert.rejects(recipientOf(bad), (e: unknown) => isCode("SopsInvalidIdentity")(e) && !(e as Error).message.includes(bad));
  });

  it("loads SOPS_AGE_KEY and SOPS_AGE_KEY_FILE together, without duplicates", async () => {
    const other = cli.keygen();
    const file = cli.file(`# key\n${key.identity}\n`, "env-keys.txt", 0o600);
    const ids = await loadAgeIdentities({ SOPS_AGE_KEY: `${other.identity}\n${key.identity}`, SOPS_AGE_KEY_FILE: file });
    assert.deepEqual(ids, [other.identity, key.identity]);
    assert.deepEqual(await loadAgeIdentities({}), []);
  });

  it("reports an unreadable key file by path, and a bad inline key without its text", async () => {
    await assert.rejects(loadAgeIdentities({ SOPS_AGE_KEY_FILE: `${cli.dir}/missing.txt` }), isCode("SopsAgeKeyFileUnreadable"));
    const bad = "AGE-SECRET-KEY-1NOTAREALKEY";
    await assert.rejects(
      loadAgeIdentities({ SOPS_AGE_KEY: bad }),
      (e: unknown) => isCode("SopsInvalidIdentity")(e) && !(e as Error).message.includes(bad),
    );
  });
});

describe("data key wrapping", () => {
  let cli: SopsPeer;
  before(() => {
    cli = new SopsPeer();
  });
  after(() => cli.cleanup());

  it("writes one armored age file per recipient that age -d opens", async () => {
    const key = cli.keygen();
    const dataKey = randomBytes(32);
    const entry = await wrapDataKey(dataKey, key.recipient);
    assert.equal(entry.recipient, key.recipient);
    const lines = entry.enc.trimEnd().split("\n");
    assert.equal(lines[0], "-----BEGIN AGE ENCRYPTED FILE-----");
    assert.equal(lines.at(-1), "-----END AGE ENCRYPTED FILE-----");
    assert.ok(lines.slice(1, -1).every((l) => l.length <= 64));
    const enc = cli.file(entry.enc, "dk.age");
    const keys = cli.file(`${key.identity}\n`, "dk-keys.txt", 0o600);
    const out = cli.run(peer("age"), ["-d", "-i", keys, "-o", `${cli.dir}/dk.bin`, enc]);
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(readFileSync(`${cli.dir}/dk.bin`), dataKey);
  });

  it("opens what age -e -a wrote, trying every entry", async () => {
    const mine = cli.keygen();
    const theirs = cli.keygen();
    const dataKey = randomBytes(32);
    const plain = cli.file("", "dk2.bin");
    writeFileSync(plain, dataKey);
    const armored = cli.run(peer("age"), ["-e", "-a", "-r", mine.recipient, plain]);
    assert.equal(armored.status, 0, armored.stderr);
    const other = await wrapDataKey(randomBytes(32), theirs.recipient);
    // The recipient label is not trusted: a mislabelled entry is still tried.
    const got = await unwrapDataKey([other, { recipient: "age1mislabelled", enc: armored.stdout }], [mine.identity]);
    assert.deepEqual(Buffer.from(got), dataKey);
  });

  it("fails clearly when no identity fits, naming recipients and never identities", async () => {
    const a = cli.keygen();
    const stranger = cli.keygen();
    const entry = await wrapDataKey(randomBytes(32), a.recipient);
    await assert.rejects(unwrapDataKey([entry], [stranger.identity]), (e: unknown) => {
      const msg = (e as Error).message;
      return isCode("SopsDataKeyUnavailable")(e) && msg.includes(a.recipient) && !msg.includes(stranger.identity);
    });
    await assert.rejects(unwrapDataKey([entry], []), isCode("SopsDataKeyUnavailable"));
  });

  it("refuses recipients it cannot encrypt to", async () => {
    await assert.rejects(wrapDataKey(randomBytes(32), "age1notarecipient"), isCode("SopsInvalidRecipient"));
    await assert.rejects(wrapDataKey(randomBytes(32), "ssh-ed25519 AAAAC3Nz"), isCode("SopsInvalidRecipient"));
  });
});
