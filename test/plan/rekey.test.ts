// Recipient rotation, as planned: a Secret file whose `sops:` block lists
// other recipients than its .sops.yaml rule now names is rekeyed, without
// decrypting anything to find out, and blocked when the run could not open
// it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SecretFile } from "../../src/manifests/types.ts";
import { ANNOTATION, plan, type PlanInput } from "../../src/plan/index.ts";
import { certificate, issuer, secretFor } from "./fixtures.ts";
import { sopsIndex } from "./sops-fixtures.ts";

const now = new Date("2026-06-01T00:00:00Z");
const day = 86400_000;
const cert = certificate();
const rule = (...recipients: string[]) => ({ "": `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    age: ${recipients.join(",")}\n` });
/** A valid, not yet due Secret, encrypted for `recipients`. */
const secret = (recipients: string[], notBefore = new Date(now.getTime() - 10 * day)): SecretFile => ({
  ...secretFor(cert, notBefore, new Date(notBefore.getTime() + 90 * day)),
  sopsRecipients: recipients,
});

function planWith(sops: Record<string, string>, secrets: SecretFile[], extra: Partial<PlanInput> = {}) {
  return plan({ ready: [{ certificate: cert, issuer }], blocked: [], secrets, now, sops: sopsIndex(sops), pruneSecrets: true, scanHasErrors: false, ...extra });
}

describe("plan: rekey", () => {
  it("a recipient added to the rule: rekey, saying which", () => {
    const [item] = planWith(rule("age1alice", "age1bob"), [secret(["age1alice"])], { identityRecipients: new Set(["age1alice"]) });
    assert.equal(item?.action, "rekey");
    assert.equal(item?.reason, "RecipientsChanged");
    assert.deepEqual(item?.recipients?.add, ["age1bob"]);
    assert.deepEqual(item?.recipients?.remove, []);
    assert.equal(item?.secretPath, "apps/shop/web-tls.sops.yaml");
    assert.match(item!.message, /^\.sops\.yaml creation_rules\[0\] \(line 2\) names other recipients than apps\/shop\/web-tls\.sops\.yaml is encrypted for \(adds age1bob\): re-wrap its data key$/);
  });

  it("a recipient removed: rekey", () => {
    const [item] = planWith(rule("age1alice"), [secret(["age1alice", "age1mallory"])], { identityRecipients: new Set(["age1alice"]) });
    assert.equal(item?.action, "rekey");
    assert.deepEqual(item?.recipients?.remove, ["age1mallory"]);
  });

  it("the same recipients in another order: nothing to do", () => {
    const [item] = planWith(rule("age1bob", "age1alice"), [secret(["age1alice", "age1bob"])]);
    assert.equal(item?.action, "ok");
  });

  it("no identity among the file's recipients: blocked, with both ways out", () => {
    const [item] = planWith(rule("age1carol"), [secret(["age1alice"])], { identityRecipients: new Set(["age1carol"]) });
    assert.equal(item?.action, "blocked");
    assert.equal(item?.reason, "NoIdentityForRekey");
    assert.match(item!.message, /none of gitcert's age identities can open it \(it is encrypted for age1alice\); give gitcert the identity of one of them \(SOPS_AGE_KEY_FILE\), or run `sops updatekeys apps\/shop\/web-tls\.sops\.yaml`$/);
    assert.equal(item?.diagnostics[0]?.code, "NoIdentityForRekey");
  });

  it("identities not known (gitcert plan): rekey, with what the run will need", () => {
    const [item] = planWith(rule("age1carol"), [secret(["age1alice"])]);
    assert.equal(item?.action, "rekey");
    assert.match(item!.message, /needs an age identity for one of age1alice when run$/);
  });

  it("due for renewal anyway: renewed, the new file encrypted for the new recipients", () => {
    const [item] = planWith(rule("age1bob"), [secret(["age1alice"], new Date(now.getTime() - 70 * day))]);
    assert.equal(item?.action, "renew");
    assert.deepEqual(item?.encryption?.rule.recipients, ["age1bob"]);
  });

  it("an issuer's stored Secret (ACME account key) is rekeyed too, and unplanned otherwise", () => {
    const account: SecretFile = {
      name: "letsencrypt-account",
      namespace: "cert-manager",
      type: "Opaque",
      labels: {},
      encrypted: true,
      keys: ["tls.key"],
      source: { file: "platform/letsencrypt-account.sops.yaml", line: 1 },
      annotations: { [ANNOTATION.storedFor]: "platform/issuer.yaml" },
      sopsRecipients: ["age1alice"],
    };
    const items = planWith(rule("age1alice", "age1bob"), [secret(["age1alice", "age1bob"]), account], { identityRecipients: new Set(["age1alice"]) });
    const stored = items.find((i) => i.object.kind === "Secret");
    assert.equal(stored?.action, "rekey");
    assert.deepEqual(stored?.object, { kind: "Secret", namespace: "cert-manager", name: "letsencrypt-account" });
    assert.equal(stored?.secretPath, "platform/letsencrypt-account.sops.yaml");
    const unchanged = planWith(rule("age1alice"), [secret(["age1alice"]), account]);
    assert.equal(unchanged.filter((i) => i.object.kind === "Secret").length, 0);
  });

  it("a Secret kept after its Certificate is gone is rekeyed too", () => {
    const items = plan({ ready: [], blocked: [], secrets: [secret(["age1alice"])], now, sops: sopsIndex(rule("age1bob")), pruneSecrets: false, scanHasErrors: false });
    assert.equal(items[0]?.action, "rekey");
  });
});
