// How a Secret file is encrypted at write time, and where an issuer's
// Secret goes: the same pure resolution the plan used (plan/placement.ts,
// secrets/encryption-target.ts), over the .sops.yaml files read once per
// reconcile.
import { GitcertError } from "../diagnostics.ts";
import { placementPaths, placeSecret, type SecretFileNames } from "../plan/placement.ts";
import { encryptionTarget, loadSopsConfigs, type EncryptionTarget, type SopsConfigFile } from "../secrets/index.ts";

export interface SecretEncryption {
  /** The rule and indent for a repository-relative Secret file; throws the plan's reason when there is none. */
  targetFor(path: string): Promise<EncryptionTarget>;
  /** A new file named after `names` by the repository's .sops.yaml conventions, and how to encrypt it. */
  place(names: SecretFileNames): Promise<{ path: string; target: EncryptionTarget }>;
}

/** `read` gives a repository file's text, or undefined when there is none. */
export function secretEncryption(read: (path: string) => Promise<string | undefined>, fallbackRecipients: readonly string[]): SecretEncryption {
  // One read and parse per .sops.yaml, however many Secrets sit below it.
  const index = new Map<string, SopsConfigFile | null>();
  let loading: Promise<unknown> = Promise.resolve();
  // Loads run one after another; one that failed (an unreadable file) fails its own caller, not every later one.
  const load = (paths: string[]) => (loading = loading.catch(() => undefined).then(() => loadSopsConfigs(paths, read, index)));

  return {
    async targetFor(path) {
      await load([path]);
      const r = encryptionTarget(index, path, fallbackRecipients);
      if ("problem" in r) throw r.problem;
      return r.target;
    },
    async place(names) {
      await load(placementPaths(names, undefined));
      const p = placeSecret(names, { sops: index, fallbackRecipients });
      if ("code" in p) throw new GitcertError(p.code, p.message, p.source ? { source: p.source } : {});
      return { path: p.path, target: p.target };
    },
  };
}
