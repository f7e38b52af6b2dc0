// Which SOPS rule encrypts a Secret file: the nearest .sops.yaml above it,
// matched as sops matches creation_rules, else the configured recipients.
import { GitcertError, toDiagnostic, type Diagnostic } from "../diagnostics.ts";
import { findCreationRule, nearestSopsConfig, parseSopsConfig, SECRET_ENCRYPTED_REGEX, type NearestSopsConfig, type SopsConfig, type SopsRule } from "../secrets/index.ts";

export interface FallbackRule {
  recipients: readonly string[];
}

/** `read` gives a repository file's text, or undefined when there is none. */
export function encryptionRules(read: (path: string) => Promise<string | undefined>, fallback: FallbackRule): (path: string) => Promise<SopsRule> {
  const texts = new Map<string, Promise<string | undefined>>();
  const readOnce = (path: string) => {
    let pending = texts.get(path);
    if (!pending) texts.set(path, (pending = read(path)));
    return pending;
  };
  // One parse per .sops.yaml, however many Secrets sit below it.
  const parsed = new Map<string, SopsConfig>();
  const parseOnce = (config: NearestSopsConfig) => {
    let p = parsed.get(config.path);
    if (!p) parsed.set(config.path, (p = parseSopsConfig(config.text, config.path)));
    return p;
  };

  return async (path: string) => {
    const config = await nearestSopsConfig(path, readOnce);
    // sops uses the nearest config only, matching or not.
    const rule = config && matchingRule(parseOnce(config), config.dir, path);
    if (rule) return keepMetadataReadable(rule);
    if (fallback.recipients.length > 0) {
      return { recipients: [...fallback.recipients], encryptedRegex: SECRET_ENCRYPTED_REGEX };
    }
    const why = config ? `no creation_rules entry in ${config.path} matches it` : "no .sops.yaml was found above it";
    throw new GitcertError("NoRecipients", `cannot encrypt ${path}: ${why}, and no --age-recipient is configured`);
  };
}

/**
 * Why each of `paths` cannot be encrypted, for the paths that cannot:
 * found before anything is issued, so the plan can block their Certificates.
 */
export async function encryptionProblems(paths: readonly string[], ruleFor: (path: string) => Promise<SopsRule>): Promise<Map<string, Diagnostic>> {
  const problems = new Map<string, Diagnostic>();
  for (const path of paths) {
    try {
      await ruleFor(path);
    } catch (err) {
      problems.set(path, toDiagnostic(err, { code: "NoRecipients" }));
    }
  }
  return problems;
}

/** The rule for `path`, or undefined when the config has none that matches. */
function matchingRule(config: SopsConfig, dir: string, path: string): SopsRule | undefined {
  try {
    return findCreationRule(config, dir, path);
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
