// Which SOPS rule encrypts a file: the nearest .sops.yaml above it, matched as
// sops matches creation_rules, else the configured recipients.
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { GitcertError } from "../diagnostics.ts";
import { findCreationRule, parseSopsConfig, SECRET_ENCRYPTED_REGEX, type SopsRule } from "../secrets/index.ts";

export interface FallbackRule {
  recipients: readonly string[];
}

export function encryptionRules(root: string, fallback: FallbackRule): (path: string) => Promise<SopsRule> {
  const configs = new Map<string, Promise<{ file: string; text: string } | undefined>>();

  const configIn = (dir: string) => {
    let pending = configs.get(dir);
    if (!pending) {
      const file = dir ? `${dir}/.sops.yaml` : ".sops.yaml";
      pending = readFile(join(root, file), "utf8").then(
        (text) => ({ file, text }),
        () => undefined,
      );
      configs.set(dir, pending);
    }
    return pending;
  };

  return async (path: string) => {
    const searched: string[] = [];
    for (let dir = parentOf(path); ; dir = parentOf(dir)) {
      const found = await configIn(dir);
      if (found) {
        searched.push(found.file);
        const rule = matchingRule(found, dir, path);
        if (rule) return keepMetadataReadable(rule);
        break; // sops uses the nearest config only
      }
      if (dir === "") break;
    }
    if (fallback.recipients.length > 0) {
      return { recipients: [...fallback.recipients], encryptedRegex: SECRET_ENCRYPTED_REGEX };
    }
    const why = searched.length > 0 ? `no creation_rules entry in ${searched.join(", ")} matches it` : "no .sops.yaml was found above it";
    throw new GitcertError("NoRecipients", `cannot encrypt ${path}: ${why}, and no --age-recipient is configured`);
  };
}

/** The rule for `path`, or undefined when the config has none that matches. */
function matchingRule(config: { file: string; text: string }, dir: string, path: string): SopsRule | undefined {
  try {
    return findCreationRule(parseSopsConfig(config.text, config.file), dir, path);
  } catch (err) {
    if (err instanceof GitcertError && err.code === "SopsNoMatchingRule") return undefined;
    throw err;
  }
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

function parentOf(path: string): string {
  const d = posix.dirname(path);
  return d === "." ? "" : d;
}
