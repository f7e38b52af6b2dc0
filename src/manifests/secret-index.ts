// The Secrets known to exist, as data: what resolve checks an Issuer's
// Secrets against. The repository's come from the scan (the key names of
// `data`/`stringData` are plaintext under SOPS); the cluster's are added at
// the edge by whoever can read them, into a plain Map like this one.
import type { SecretFile } from "./types.ts";

export interface KnownSecret {
  /** Keys of its `data` and `stringData`. */
  keys: readonly string[];
  /** Where it is, for messages: `platform/ca.sops.yaml:1`, `the cluster`. */
  where: string;
}

export interface SecretIndex {
  /** By `namespace/name`. */
  secrets: ReadonlyMap<string, KnownSecret>;
  /** Where a missing Secret was looked for, for "not found in …": `the repository (no cluster configured)`. */
  lookedIn: string;
}

export function secretKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The repository's Secrets; when a name is defined twice, the first file counts. */
export function repositorySecrets(files: readonly SecretFile[], lookedIn = "the repository (no cluster configured)"): SecretIndex {
  const secrets = new Map<string, KnownSecret>();
  for (const file of files) {
    const key = secretKey(file.namespace, file.name);
    if (!secrets.has(key)) secrets.set(key, { keys: file.keys, where: `${file.source.file}:${file.source.line}` });
  }
  return { secrets, lookedIn };
}
