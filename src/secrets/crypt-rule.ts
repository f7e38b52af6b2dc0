// Which leaves sops encrypts (sops.go: shouldBeEncrypted). The rule is
// tested against every component of the leaf's key path, the leaf's own key
// included, so `encrypted_regex: ^data$` encrypts everything under `data:`
// and `unencrypted_suffix: _unencrypted` leaves a whole `x_unencrypted:`
// subtree in plaintext.
import { secretsError } from "./errors.ts";
import { translateRe2 } from "./re2.ts";

export type CryptRuleKind = "unencrypted_suffix" | "encrypted_suffix" | "unencrypted_regex" | "encrypted_regex";

export interface CryptRule {
  kind: CryptRuleKind;
  value: string;
}

/** What sops uses, and writes into the metadata, when no rule is given. */
export const DEFAULT_CRYPT_RULE: CryptRule = { kind: "unencrypted_suffix", value: "_unencrypted" };

export interface CryptRuleFields {
  encryptedRegex?: string | undefined;
  unencryptedRegex?: string | undefined;
  encryptedSuffix?: string | undefined;
  unencryptedSuffix?: string | undefined;
}

/** The one rule among the fields (an empty string counts as unset, as in sops). */
export function cryptRuleOf(fields: CryptRuleFields): CryptRule {
  const given: CryptRule[] = [];
  if (fields.unencryptedSuffix) given.push({ kind: "unencrypted_suffix", value: fields.unencryptedSuffix });
  if (fields.encryptedSuffix) given.push({ kind: "encrypted_suffix", value: fields.encryptedSuffix });
  if (fields.unencryptedRegex) given.push({ kind: "unencrypted_regex", value: fields.unencryptedRegex });
  if (fields.encryptedRegex) given.push({ kind: "encrypted_regex", value: fields.encryptedRegex });
  if (given.length > 1) {
    throw secretsError(
      "SopsRuleInvalid",
      `cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex (got ${given
        .map((r) => r.kind)
        .join(", ")})`,
    );
  }
  return given[0] ?? DEFAULT_CRYPT_RULE;
}

/** The additional authenticated data of a value: its key path, list indices left out. */
export function aadOf(path: readonly string[]): string {
  return `${path.join(":")}:`;
}

function componentMatcher(rule: CryptRule): (component: string) => boolean {
  switch (rule.kind) {
    case "unencrypted_suffix":
    case "encrypted_suffix":
      return (c) => c.endsWith(rule.value);
    case "unencrypted_regex":
    case "encrypted_regex": {
      const t = translateRe2(rule.value);
      if (t.ok) return (c) => t.regex.test(c);
      if (t.reason === "invalid") return () => false; // sops ignores the compile error: no match
      throw secretsError("SopsUnsupportedRegex", `${rule.kind} ${JSON.stringify(rule.value)}: ${t.detail}`);
    }
  }
}

type Predicate = (path: readonly string[]) => boolean;

// Every Secret of a reconcile has the same rule: translate its regex once.
const predicates = new Map<string, Predicate>();
const PREDICATE_CACHE = 256;

/** A predicate telling, for a key path, whether sops encrypts the value there. */
export function encryptionPredicate(rule: CryptRule): Predicate {
  const key = `${rule.kind}\0${rule.value}`;
  let predicate = predicates.get(key);
  if (!predicate) {
    const matches = componentMatcher(rule);
    const encryptWhenMatched = rule.kind === "encrypted_suffix" || rule.kind === "encrypted_regex";
    predicate = (path) => (path.some(matches) ? encryptWhenMatched : !encryptWhenMatched);
    if (predicates.size >= PREDICATE_CACHE) predicates.clear();
    predicates.set(key, predicate);
  }
  return predicate;
}
