// secrets/: the TLS Secret's shape, SOPS encryption and decryption of it,
// `.sops.yaml` rules, and the age keys that open it.
export { encryptSecret, encryptYaml } from "./encrypt.ts";
export { decryptDocument, decryptYaml } from "./decrypt.ts";
export { rekeyYaml, type RekeyResult } from "./rekey.ts";
export { findCreationRule, matchingCreationRule, nearestSopsConfig, parseSopsConfig, pathForRules, SOPS_CONFIG_NAME, sopsRuleOf } from "./sops-config.ts";
export { governingSopsConfig, loadSopsConfigs, NO_SOPS_CONFIGS, type SopsConfigFile, type SopsConfigIndex } from "./sops-index.ts";
export { DEFAULT_YAML_INDENT, encryptionTarget, type EncryptionTarget, type TargetResult } from "./encryption-target.ts";
export { generateAgeIdentity, loadAgeIdentities, parseAgeIdentities, recipientOf } from "./age-identities.ts";
export { SECRET_ENCRYPTED_REGEX, readSecretData, renderSecretManifest } from "./secret-manifest.ts";
export { ageRecipientsOf, SOPS_FORMAT_VERSION } from "./metadata.ts";
export { translateRe2 } from "./re2.ts";
export type { SecretsErrorCode } from "./errors.ts";
export type { EncryptOptions, NearestSopsConfig, SecretManifestInput, SopsConfig, SopsCreationRule, SopsRule } from "./types.ts";
