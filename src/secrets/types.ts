// The room's public data shapes.

/** How to encrypt one file: who can read it and which values are encrypted. */
export interface SopsRule {
  /** age recipients (`age1…`); the data key is wrapped once for each. */
  recipients: string[];
  /** At most one of the four crypt rules; none means `unencrypted_suffix: _unencrypted`, as in sops. */
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  /** Hash only encrypted values into the MAC (sops 3.9+), so plaintext fields may be edited. */
  macOnlyEncrypted?: boolean;
}

export interface EncryptOptions {
  /** The file's `lastmodified`; defaults to the current time. */
  now?: Date;
  /** YAML indentation; sops writes 4 unless `.sops.yaml` `stores.yaml.indent` says otherwise. */
  indent?: number;
}

/** One `creation_rules` entry of a `.sops.yaml`, as written. */
export interface SopsCreationRule {
  /** 0-based position in `creation_rules`; the first match wins. */
  index: number;
  line?: number;
  /** Go RE2, unanchored; absent means the rule matches every file. */
  pathRegex?: string;
  /** Recipients of the top-level `age:` (comma-separated string or list). */
  age: string[];
  /** `key_groups`, each flattened to its age recipients (merge groups included). */
  keyGroups?: string[][];
  /** Key types present that gitcert cannot encrypt for (pgp, kms, …). */
  otherKeyTypes: string[];
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  encryptedCommentRegex?: string;
  unencryptedCommentRegex?: string;
  macOnlyEncrypted: boolean;
}

export interface SopsConfig {
  /** Repository-relative path of the `.sops.yaml`, for messages. */
  file: string;
  /** Absent when the file has no `creation_rules`: sops then treats the config as absent. */
  creationRules?: SopsCreationRule[];
  /** `stores.yaml.indent`. */
  yamlIndent?: number;
}

/** The `.sops.yaml` that governs a file. */
export interface NearestSopsConfig {
  /** Repository-relative path of the `.sops.yaml`. */
  path: string;
  /** Its folder, `""` for the repository root: pass this to findCreationRule. */
  dir: string;
  text: string;
}

export interface SecretManifestInput {
  name: string;
  namespace: string;
  type: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  data: Record<string, Buffer>;
}
