// Writing one Secret file: checked before anything is issued for it (the
// file is gitcert's to write, and its SOPS rule is known), then rendered,
// encrypted, checked encrypted, and written atomically.
import { parseAllDocuments } from "yaml";
import { GitcertError } from "../diagnostics.ts";
import type { SecretKey } from "../issuers/types.ts";
import type { WorkingTree } from "../repo/index.ts";
import { encryptSecret } from "../secrets/index.ts";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import type { SecretEncryption } from "./encryption.ts";
import type { SecretContent } from "./tls-secret.ts";

export interface SecretWriteContext {
  tree: WorkingTree;
  /** How each Secret file is encrypted (its .sops.yaml, or ageRecipients). */
  encryption: SecretEncryption;
}

/** A Secret file that may be written, with the rule that will encrypt it. */
export interface SecretTarget {
  write(content: SecretContent): Promise<void>;
}

/**
 * Everything that can fail before the Secret exists fails here, so that no
 * certificate is ordered from a CA only to be thrown away: a file that is not
 * ours, a file shared with other documents, no way to encrypt.
 */
export async function secretTarget(path: string, owner: SecretKey, replacing: boolean, ctx: SecretWriteContext): Promise<SecretTarget> {
  await refuseToClobber(path, owner, replacing, ctx.tree);
  const { rule, indent } = await ctx.encryption.targetFor(path);
  return {
    async write(content) {
      const encrypted = await encryptSecret(content, rule, { indent });
      assertDataEncrypted(encrypted, content, path);
      await ctx.tree.write(path, encrypted);
    },
  };
}

/**
 * gitcert owns the files it writes and nothing else: a new Secret never
 * lands on a file that is already there, and a Secret is never rewritten in
 * a file that also holds other documents (they would be lost).
 */
async function refuseToClobber(path: string, owner: SecretKey, replacing: boolean, tree: WorkingTree): Promise<void> {
  const text = await tree.read(path);
  if (text === undefined) return;
  if (!replacing) {
    throw new GitcertError("FileExists", `${path} already exists and does not hold Secret ${owner.namespace}/${owner.name}; choose another secretName or secretPath`);
  }
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw new GitcertError("FileExists", `${path}: ${tooDeep.message}; gitcert will not replace it`);
  const documents = parseAllDocuments(text).filter((d) => d.contents !== null).length;
  if (documents > 1) {
    throw new GitcertError("SharedSecretFile", `${path} holds ${documents} documents; gitcert only rewrites a Secret kept in a file of its own`);
  }
}

// Shorter values could turn up in the ciphertext's base64 by chance;
// encryptSecret has checked every value on the nodes it emitted anyway.
const CHECKED_BYTES = 12;

/**
 * Last line of defence, independent of the encrypter: no data value is in
 * the file as it would stand in the clear, base64 under `data:`.
 */
function assertDataEncrypted(encrypted: string, content: SecretContent, path: string): void {
  for (const [key, value] of Object.entries(content.data)) {
    if (value.length >= CHECKED_BYTES && encrypted.includes(value.toString("base64"))) {
      throw new GitcertError("NotEncrypted", `refusing to write ${path}: data.${key} would not be encrypted`);
    }
  }
}
