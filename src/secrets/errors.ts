// Every failure in this room is a GitcertError with one of these codes. The
// messages name keys, paths, line numbers and public recipients, never a
// value, a data key, a MAC or an identity: they end up in logs, Events and
// commit messages.
import { GitcertError } from "../diagnostics.ts";
import type { SourceRef } from "../diagnostics.ts";

export type SecretsErrorCode =
  /** Input YAML does not parse, or has a shape sops refuses (non-mapping document, non-string key, …). */
  | "SopsInvalidYaml"
  /** Plaintext input already carries a top-level `sops` key. */
  | "SopsAlreadyEncrypted"
  /** A value sops cannot represent (uint64-range integer, unsupported tag, merge key, …). */
  | "SopsUnsupportedValue"
  /** More than one of the crypt rules, or an unusable rule value. */
  | "SopsRuleInvalid"
  /** A regex that is valid RE2 but has no faithful JavaScript translation. */
  | "SopsUnsupportedRegex"
  /** Something sops can do and gitcert does not (Shamir key groups, comment regexes, pgp/kms keys). */
  | "SopsUnsupported"
  /** No age recipient to encrypt for, or a recipient string that is not one. */
  | "SopsInvalidRecipient"
  /** An age identity that does not parse. */
  | "SopsInvalidIdentity"
  /** SOPS_AGE_KEY_FILE names a file that cannot be read. */
  | "SopsAgeKeyFileUnreadable"
  /** The file has no `sops` metadata, i.e. it is not a sops file. */
  | "SopsNotEncrypted"
  /** The `sops` metadata is present but malformed. */
  | "SopsMetadataInvalid"
  /** None of the given identities unwraps the data key. */
  | "SopsDataKeyUnavailable"
  /** A value does not decrypt: tampered ciphertext, wrong path (AAD), or not in ENC[] form where it must be. */
  | "SopsDecryptFailed"
  /** The MAC is missing, does not decrypt, or does not match the file's values. */
  | "SopsMacMismatch"
  /** `.sops.yaml` does not parse or has fields of the wrong type. */
  | "SopsConfigInvalid"
  /** `.sops.yaml` has creation rules and none matches the file. */
  | "SopsNoMatchingRule"
  /** A Kubernetes Secret's fields are not what a Secret allows. */
  | "SecretInvalid"
  /** A Secret whose rule would leave `data`/`stringData` in the clear: refused, never written. */
  | "SecretValuesInClear";

export function secretsError(code: SecretsErrorCode, message: string, source?: SourceRef): GitcertError {
  return new GitcertError(code, message, source ? { source } : {});
}
