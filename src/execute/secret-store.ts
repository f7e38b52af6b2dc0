// Secrets issuers read (CA key pairs, and later EAB keys and DNS tokens):
// first those issued earlier in this reconcile, kept in memory only, then
// SOPS files in the repository, decrypted with their MAC verified, then
// (when a cluster is configured) the cluster's own Secrets.
import { parseAllDocuments } from "yaml";
import { GitcertError } from "../diagnostics.ts";
import type { SecretKey } from "../issuers/types.ts";
import type { SecretFile } from "../manifests/types.ts";
import type { WorkingTree } from "../repo/index.ts";
import { decryptYaml, readSecretData } from "../secrets/index.ts";

export class SecretStore {
  private readonly issued = new Map<string, Record<string, Buffer>>();
  private readonly decrypted = new Map<string, Promise<Record<string, Buffer>>>();
  private readonly files: Map<string, SecretFile>;

  private readonly tree: WorkingTree;
  private readonly identities: readonly string[];
  private readonly fromCluster: ((key: SecretKey) => Promise<Record<string, Buffer> | undefined>) | undefined;

  constructor(
    tree: WorkingTree,
    secrets: readonly SecretFile[],
    identities: readonly string[],
    fromCluster?: (key: SecretKey) => Promise<Record<string, Buffer> | undefined>,
  ) {
    this.tree = tree;
    this.identities = identities;
    this.fromCluster = fromCluster;
    this.files = new Map(secrets.map((s) => [keyOf(s), s]));
  }

  /** Make a Secret issued in this run visible to later issuers of the same run. */
  remember(key: SecretKey, data: Record<string, Buffer>): void {
    this.issued.set(keyOf(key), data);
    this.decrypted.delete(keyOf(key));
  }

  async read(key: SecretKey): Promise<Record<string, Buffer> | undefined> {
    const id = keyOf(key);
    const fresh = this.issued.get(id);
    if (fresh) return fresh;
    const file = this.files.get(id);
    if (!file) return this.fromCluster?.(key);
    let pending = this.decrypted.get(id);
    if (!pending) {
      pending = this.decryptFile(file);
      this.decrypted.set(id, pending);
    }
    return pending;
  }

  private async decryptFile(file: SecretFile): Promise<Record<string, Buffer>> {
    const where = { source: file.source, object: { kind: "Secret", namespace: file.namespace, name: file.name } };
    if (!file.encrypted) {
      throw new GitcertError("SecretNotEncrypted", `Secret ${keyOf(file)} in ${file.source.file} is not SOPS-encrypted; gitcert only reads key material from encrypted files`, where);
    }
    if (this.identities.length === 0) {
      throw new GitcertError("NoAgeIdentity", `Secret ${keyOf(file)} must be decrypted, but no age identity is configured (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)`, where);
    }
    const text = await this.tree.read(file.source.file);
    if (text === undefined) throw new GitcertError("SecretNotFound", `${file.source.file} is gone`, where);
    let plaintext: string;
    try {
      plaintext = await decryptYaml(text, [...this.identities]);
    } catch (err) {
      if (err instanceof GitcertError) throw new GitcertError(err.code, `${file.source.file}: ${err.message}`, where);
      // An error gitcert did not word itself could quote what it was reading:
      // only its kind is told.
      const kind = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.name) : typeof err;
      throw new GitcertError("SopsDecryptFailed", `${file.source.file}: cannot decrypt (${kind})`, where);
    }
    for (const doc of parseAllDocuments(plaintext)) {
      const obj = doc.toJS() as Record<string, unknown> | null;
      const meta = obj?.metadata as Record<string, unknown> | undefined;
      if (obj?.kind === "Secret" && meta?.name === file.name) return readSecretData(obj);
    }
    throw new GitcertError("SecretNotFound", `Secret ${keyOf(file)} is not in ${file.source.file} after decryption`, where);
  }
}

function keyOf(k: { namespace: string; name: string }): string {
  return `${k.namespace}/${k.name}`;
}
