// How one Secret file is encrypted, from the `.sops.yaml` that governs it:
// the recipients of the creation rule sops would pick for that path (else
// the configured fallback recipients), and the YAML indent of its
// `stores.yaml`. Pure over a loaded SopsConfigIndex, so `plan` predicts
// exactly what the write will do, and says why when it cannot.
import { GitcertError } from "../diagnostics.ts";
import { SECRET_ENCRYPTED_REGEX } from "./secret-manifest.ts";
import { matchingCreationRule, sopsRuleOf } from "./sops-config.ts";
import { governingSopsConfig } from "./sops-index.ts";
import type { SopsConfigFile, SopsConfigIndex } from "./sops-index.ts";
import type { SopsConfig, SopsCreationRule, SopsRule } from "./types.ts";

/** sops' own default (stores/yaml/store.go: IndentDefault). */
export const DEFAULT_YAML_INDENT = 4;

export interface EncryptionTarget {
  rule: SopsRule;
  indent: number;
  /** Where the recipients come from, for plan and messages: `.sops.yaml creation_rules[1] (line 5)`, `ageRecipients`. */
  origin: string;
  /** The `.sops.yaml` that governs the file, if any. */
  config?: string;
}

export type TargetResult = { target: EncryptionTarget } | { problem: GitcertError };

export function ruleLabel(config: SopsConfig, rule: SopsCreationRule): string {
  return `${config.file} creation_rules[${rule.index}]${rule.line === undefined ? "" : ` (line ${rule.line})`}`;
}

function indentOf(file: SopsConfigFile | undefined): number | GitcertError {
  const indent = file?.config?.yamlIndent;
  // sops: 0 (or unset) means its default; a negative indent is an error at write time.
  if (indent === undefined || indent === 0) return DEFAULT_YAML_INDENT;
  if (indent < 0) return new GitcertError("SopsConfigInvalid", `${file!.path}: stores.yaml.indent is ${indent}; sops refuses a negative indent`, { source: { file: file!.path, line: 1 } });
  return indent;
}

/**
 * gitcert takes the recipients (and mac_only_encrypted) from the matching
 * rule but always encrypts exactly `data`/`stringData`: a repository rule
 * written for other files could leave `tls.key` in the clear (say
 * `encrypted_regex: ^(password|token)$`) or encrypt the metadata kustomize
 * and planning must read (sops' default `unencrypted_suffix`).
 */
function keepMetadataReadable(rule: SopsRule): SopsRule {
  return { recipients: rule.recipients, macOnlyEncrypted: rule.macOnlyEncrypted, encryptedRegex: SECRET_ENCRYPTED_REGEX };
}

/** The rule sops would use for `path` under `index`, else the fallback recipients, else why neither. */
export function encryptionTarget(index: SopsConfigIndex, path: string, fallbackRecipients: readonly string[]): TargetResult {
  const file = governingSopsConfig(index, path);
  if (file?.problem) return { problem: file.problem };
  const indent = indentOf(file);
  if (indent instanceof GitcertError) return { problem: indent };
  const config = file?.config;
  const where = file ? { config: file.path } : {};
  if (config?.creationRules) {
    let rule: SopsCreationRule | undefined;
    try {
      rule = matchingCreationRule(config, file!.dir, path);
      if (rule) return { target: { rule: keepMetadataReadable(sopsRuleOf(config, rule)), indent, origin: ruleLabel(config, rule), ...where } };
    } catch (err) {
      if (err instanceof GitcertError) return { problem: err };
      throw err;
    }
  }
  if (fallbackRecipients.length > 0) {
    return { target: { rule: { recipients: [...fallbackRecipients], encryptedRegex: SECRET_ENCRYPTED_REGEX }, indent, origin: "ageRecipients", ...where } };
  }
  const why = !file
    ? "no .sops.yaml was found above it"
    : config?.creationRules
      ? `no creation_rules entry in ${file.path} matches it`
      : `${file.path} has no creation_rules`;
  return { problem: new GitcertError("NoRecipients", `cannot encrypt ${path}: ${why}, and no --age-recipient is configured`) };
}
