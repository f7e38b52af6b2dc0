// The Secrets known to exist, as data: what resolve checks an Issuer's
// Secrets against. The repository's come from the scan (the key names of
// `data`/`stringData` are plaintext under SOPS); the cluster's are added at
// the edge by whoever can read them, into a plain Map like this one.
import type { ScanResult, SecretMaker } from "./types.ts";

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
  /** The repository's ExternalSecrets and SealedSecrets by the `namespace/name` of the Secret each makes in the cluster. */
  makers?: ReadonlyMap<string, SecretMaker>;
  /** Only the repository was looked in: no cluster is configured. */
  repositoryOnly?: boolean;
}

export function secretKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The repository's Secrets, and those it makes in the cluster; when a name is defined twice, the first file counts. */
export function repositorySecrets(scan: Pick<ScanResult, "secrets" | "secretMakers">): SecretIndex {
  const secrets = new Map<string, KnownSecret>();
  for (const file of scan.secrets) {
    const key = secretKey(file.namespace, file.name);
    if (!secrets.has(key)) secrets.set(key, { keys: file.keys, where: `${file.source.file}:${file.source.line}` });
  }
  const makers = new Map<string, SecretMaker>();
  for (const maker of scan.secretMakers ?? []) {
    const key = secretKey(maker.namespace, maker.secretName);
    if (!makers.has(key)) makers.set(key, maker);
  }
  return { secrets, lookedIn: "the repository (no cluster configured)", makers, repositoryOnly: true };
}
