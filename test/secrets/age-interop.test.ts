// Our own age (X25519 on node:crypto) against the real age CLI, both ways,
// and against what the spec says a reader must refuse.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ArmorError, armorDecode, armorEncode } from "../../src/secrets/age-armor.ts";
import { AgeFormatError, decryptAgeFile, encryptAgeFile } from "../../src/secrets/age-file.ts";
import { parseX25519Identity, parseX25519Recipient, unwrapX25519, wrapForX25519 } from "../../src/secrets/age-x25519.ts";
import type { X25519Identity } from "../../src/secrets/age-x25519.ts";
import { unwrapDataKey, wrapDataKey } from "../../src/secrets/data-key.ts";
import { peer } from "../peers/tools.ts";
import { SopsPeer } from "./sops-peer.ts";
import type { AgeKey } from "./sops-peer.ts";

let tools: SopsPeer;
let alice: AgeKey;
let bob: AgeKey;

before(() => {
  tools = new SopsPeer();
  alice = tools.keygen();
  bob = tools.keygen();
});
after(() => tools.cleanup());

function ours(payload: Uint8Array, ...recipients: string[]): Buffer {
  return encryptAgeFile(payload, (fileKey) => recipients.map((r) => wrapForX25519(fileKey, parseX25519Recipient(r)!)));
}

function open(file: Buffer, identity: X25519Identity): Buffer | undefined {
  return decryptAgeFile(file, (stanzas) => {
    for (const stanza of stanzas) {
      const key = unwrapX25519(stanza, identity);
      if (key) return key;
    }
    return undefined;
  });
}

/** `age -d` with the identity in a 0600 file. */
function ageDecrypt(file: Buffer, identity: string): { status: number | null; stdout: Buffer } {
  const keys = tools.file(`${identity}\n`, undefined, 0o600);
  const input = tools.file(file);
  const out = `${input}.out`;
  const r = tools.run(peer("age"), ["--decrypt", "--identity", keys, "--output", out, input]);
  return { status: r.status, stdout: r.status === 0 ? readFileSync(out) : Buffer.alloc(0) };
}

describe("X25519 keys", () => {
  it("derives from an identity the recipient age-keygen printed for it", () => {
    assert.equal(parseX25519Identity(alice.identity)?.recipient, alice.recipient);
    assert.equal(parseX25519Identity(bob.identity)?.recipient, bob.recipient);
  });

  it("leaves other key types to the age-encryption package", () => {
    const pq = tools.run(peer("age-keygen"), ["-pq"]);
    const recipient = /public key: (age1pq1\S+)/.exec(pq.stdout + pq.stderr)?.[1];
    assert.ok(recipient, "age-keygen -pq printed a recipient");
    assert.equal(parseX25519Recipient(recipient), undefined);
    const identity = pq.stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-PQ-"))!;
    assert.equal(parseX25519Identity(identity), undefined);
    assert.equal(parseX25519Recipient("age1yubikey1qgg72x2qfk9wg3wh0qg9u0v7l5dkq4jx69fv80p6wdus3ftg6flwg5dz2dp"), undefined, "a plugin recipient");
    assert.equal(parseX25519Recipient(alice.recipient.toUpperCase()), undefined, "recipients are lowercase");
    assert.equal(parseX25519Recipient(alice.recipient.slice(0, -1) + (alice.recipient.endsWith("q") ? "p" : "q")), undefined, "a bad checksum");
  });
});

describe("our age files, read by the age CLI", () => {
  for (const [name, size] of [["a 32-byte data key", 32], ["an empty payload", 0], ["exactly one chunk", 64 * 1024], ["three chunks", 150_000]] as const) {
    it(`${name}, armored and binary`, () => {
      const payload = randomBytes(size);
      const file = ours(payload, bob.recipient, alice.recipient);
      for (const [form, bytes] of [["binary", file], ["armored", Buffer.from(armorEncode(file))]] as const) {
        const r = ageDecrypt(bytes, alice.identity);
        assert.equal(r.status, 0, `age -d of the ${form} file`);
        assert.ok(r.stdout.equals(payload), `${form}: the same payload`);
      }
    });
  }

  it("a file for bob only does not open with alice's identity", () => {
    assert.notEqual(ageDecrypt(ours(randomBytes(32), bob.recipient), alice.identity).status, 0);
  });
});

describe("the age CLI's files, read by us", () => {
  for (const size of [32, 0, 64 * 1024, 150_000]) {
    it(`${size} bytes, armored, several recipients`, () => {
      const payload = randomBytes(size);
      const input = tools.file(payload);
      const r = tools.run(peer("age"), ["--encrypt", "--armor", "-r", bob.recipient, "-r", alice.recipient, "--output", `${input}.age`, input]);
      assert.equal(r.status, 0, r.stderr);
      const file = armorDecode(readFileSync(`${input}.age`, "utf8"));
      assert.ok(open(file, parseX25519Identity(alice.identity)!)?.equals(payload));
      assert.ok(open(file, parseX25519Identity(bob.identity)!)?.equals(payload));
    });
  }

  it("through the data-key path sops files use, with the identity mixed among others", async () => {
    const dataKey = randomBytes(32);
    const input = tools.file(dataKey);
    tools.run(peer("age"), ["--encrypt", "--armor", "-r", alice.recipient, "--output", `${input}.age`, input]);
    const enc = readFileSync(`${input}.age`, "utf8");
    const key = await unwrapDataKey([{ recipient: alice.recipient, enc }], [bob.identity, alice.identity]);
    assert.ok(Buffer.from(key).equals(dataKey));
  });
});

describe("what a reader must refuse", () => {
  const payload = randomBytes(32);
  let file: Buffer;
  let alicesId: X25519Identity;
  before(() => {
    file = ours(payload, alice.recipient);
    alicesId = parseX25519Identity(alice.identity)!;
  });

  it("opens the untouched file", () => {
    assert.ok(open(file, alicesId)?.equals(payload));
  });

  it("a file addressed to someone else gives nothing, not an error", () => {
    assert.equal(open(file, parseX25519Identity(bob.identity)!), undefined);
  });

  it("an edited header (MAC no longer matches)", () => {
    const text = file.toString("latin1");
    const edited = Buffer.from(text.replace("age-encryption.org/v1\n", "age-encryption.org/v1\n-> grease x\n\n"), "latin1");
    assert.throws(() => open(edited, alicesId), AgeFormatError);
  });

  it("an edited payload", () => {
    const edited = Buffer.from(file);
    edited[edited.length - 1]! ^= 1;
    assert.throws(() => open(edited, alicesId), AgeFormatError);
  });

  it("a truncated file", () => {
    assert.throws(() => open(file.subarray(0, file.length - 20), alicesId), AgeFormatError);
    assert.throws(() => open(file.subarray(0, 30), alicesId), AgeFormatError);
  });

  it("an X25519 stanza whose share or body has the wrong length", () => {
    const text = file.toString("latin1");
    const share = /-> X25519 (\S+)\n/.exec(text)![1]!;
    const shortShare = Buffer.from(text.replace(share, share.slice(0, 40)), "latin1");
    assert.throws(() => open(shortShare, alicesId));
    const body = text.split("\n")[2]!;
    const shortBody = Buffer.from(text.replace(`\n${body}\n`, `\n${body.slice(0, 40)}\n`), "latin1");
    assert.throws(() => open(shortBody, alicesId));
  });

  it("armor that is not canonical, not 64 columns, or has trailing junk", () => {
    const armored = armorEncode(file);
    assert.ok(armorDecode(armored).equals(file));
    assert.ok(armorDecode(`\n  ${armored}\n\n`).equals(file), "surrounding whitespace is fine");
    assert.throws(() => armorDecode(armored + "junk\n"), ArmorError);
    const lines = armored.trimEnd().split("\n");
    assert.throws(() => armorDecode([lines[0], lines[1]!.slice(0, 60), lines[1]!.slice(60), ...lines.slice(2)].join("\n")), ArmorError);
    // A stray low bit in the last character before the padding decodes to the same bytes.
    const padded = armorEncode(Buffer.from("ag"));
    assert.match(padded, /=\n/);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const stray = padded.replace(/([A-Za-z0-9+/])(=+)\n/, (_m, c: string, pad: string) => alphabet[alphabet.indexOf(c) ^ 1]! + pad + "\n");
    assert.ok(Buffer.from(stray.split("\n")[1]!, "base64").equals(Buffer.from("ag")), "the edit is invisible to a lax decoder");
    assert.throws(() => armorDecode(stray), ArmorError);
  });
});

describe("the data key for sops, X25519 and post-quantum side by side", () => {
  it("wraps for both and each opens with its own identity through the age CLI", async () => {
    const pq = tools.run(peer("age-keygen"), ["-pq"]);
    const pqRecipient = /public key: (age1pq1\S+)/.exec(pq.stdout + pq.stderr)![1]!;
    const pqIdentity = pq.stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-PQ-"))!;
    const dataKey = randomBytes(32);
    for (const [recipient, identity] of [[alice.recipient, alice.identity], [pqRecipient, pqIdentity]] as const) {
      const entry = await wrapDataKey(dataKey, recipient);
      assert.match(entry.enc, /^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      const r = ageDecrypt(armorDecode(entry.enc), identity);
      assert.equal(r.status, 0);
      assert.ok(r.stdout.equals(dataKey));
      assert.ok(Buffer.from(await unwrapDataKey([entry], [identity])).equals(dataKey));
    }
  });
});
