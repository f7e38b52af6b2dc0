// Will the Secret files gitcert writes be decrypted where they land? With
// Flux, the Kustomization that applies a file's folder needs
// `decryption.provider: sops` (Flux refuses to apply a SOPS-encrypted
// Secret otherwise), and its key must be one the file is encrypted to.
// The key itself lives in the cluster; its public half is known only when
// the repository says it (a `# public key: age1…` line in the Secret the
// Kustomization names), so that part is checked only then.
//
// And a file gitcert would write below a Helm chart's `templates/` folder
// would be rendered by Helm and applied still encrypted: that is refused
// before anything is issued.
import { posix } from "node:path";
import { diagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import { chartOfTemplate } from "../manifests/parse.ts";
import type { AppliedKustomization, FluxKustomization, GitOpsView } from "./types.ts";

/** The Flux Kustomizations that apply the file at `path`, existing or about to be written (and listed in its folder's kustomization.yaml). */
export function appliersOf(path: string, view: Pick<GitOpsView, "kustomizations">): AppliedKustomization[] {
  const dir = posix.dirname(path) === "." ? "" : posix.dirname(path);
  return view.kustomizations.filter(({ kustomization: k, build }) => {
    if (!build || k.dir === undefined) return false;
    if (build.kustomizationDirs.includes(dir) || build.entries.some((e) => e.file === path)) return true;
    if (!build.generated || !(k.dir === "" || dir === k.dir || dir.startsWith(`${k.dir}/`))) return false;
    // A generated build takes every file below its folder, except below a
    // folder that has a kustomization of its own.
    return !build.kustomizationDirs.some((d) => dir === d || dir.startsWith(`${d}/`));
  });
}

const PUBLIC_KEY = /public key:\s*(age1[0-9a-z]{20,})/g;

export interface DecryptionContext {
  /** The recipients the `.sops.yaml` rule for `path` encrypts to (undefined: none known). */
  recipientsFor(path: string): Promise<readonly string[] | undefined>;
  /** The repository file defining Secret `namespace/name`, if it holds one. */
  secretFile(namespace: string, name: string): SourceRef | undefined;
  read(path: string): Promise<string | undefined>;
}

/** One warning per Flux Kustomization that would fail to decrypt some of `paths`. */
export async function decryptionProblems(paths: readonly string[], view: Pick<GitOpsView, "kustomizations">, ctx: DecryptionContext): Promise<Diagnostic[]> {
  const noDecryption = new Map<FluxKustomization, string[]>();
  const wrongKey = new Map<FluxKustomization, { paths: string[]; keys: string[]; secret: SourceRef }>();
  const keysOf = new Map<FluxKustomization, { keys: string[]; secret: SourceRef } | undefined>();
  for (const path of [...new Set(paths)].sort()) {
    for (const { kustomization: k } of appliersOf(path, view)) {
      if (k.decryption?.provider !== "sops") {
        noDecryption.set(k, [...(noDecryption.get(k) ?? []), path]);
        continue;
      }
      if (!keysOf.has(k)) keysOf.set(k, await publicKeys(k, ctx));
      const known = keysOf.get(k);
      if (!known) continue;
      const recipients = await ctx.recipientsFor(path);
      if (!recipients || known.keys.some((key) => recipients.includes(key))) continue;
      const entry = wrongKey.get(k) ?? { paths: [], keys: known.keys, secret: known.secret };
      entry.paths.push(path);
      wrongKey.set(k, entry);
    }
  }
  const out: Diagnostic[] = [];
  for (const [k, list] of noDecryption) {
    out.push(
      diagnostic(
        "FluxDecryptionMissing",
        `applies gitcert's SOPS-encrypted ${files(list)} but has no spec.decryption.provider: sops, so Flux refuses to apply ${list.length === 1 ? "it" : "them"}; add spec.decryption (provider: sops, secretRef: the Secret holding the age key)`,
        { source: k.source, object: { kind: "Kustomization", namespace: k.namespace, name: k.name } },
        "warning",
      ),
    );
  }
  for (const [k, { paths: list, keys, secret }] of wrongKey) {
    out.push(
      diagnostic(
        "FluxDecryptionKeyNotRecipient",
        `decrypts with the age key in Secret ${k.namespace}/${k.decryption?.secretRef} (${secret.file}:${secret.line}, public key ${keys.join(", ")}), which is not a recipient of the .sops.yaml rule for ${files(list)}: Flux could not decrypt ${list.length === 1 ? "it" : "them"}; add the key to that rule`,
        { source: k.source, object: { kind: "Kustomization", namespace: k.namespace, name: k.name } },
        "warning",
      ),
    );
  }
  return out;
}

async function publicKeys(k: FluxKustomization, ctx: DecryptionContext): Promise<{ keys: string[]; secret: SourceRef } | undefined> {
  const name = k.decryption?.secretRef;
  if (!name) return undefined;
  const secret = ctx.secretFile(k.namespace, name);
  if (!secret) return undefined;
  const text = await ctx.read(secret.file);
  const keys = [...(text ?? "").matchAll(PUBLIC_KEY)].map((m) => m[1]!);
  return keys.length > 0 ? { keys: [...new Set(keys)], secret } : undefined;
}

function files(paths: readonly string[]): string {
  const shown = paths.slice(0, 3).join(", ");
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
}

/** Secret paths below a chart's templates/ folder, with why they cannot be written there. */
export function chartTemplateProblems(paths: readonly string[], charts: readonly string[]): Map<string, Diagnostic> {
  const chartSet = new Set(charts);
  const out = new Map<string, Diagnostic>();
  for (const path of paths) {
    const chart = chartOfTemplate(path, chartSet);
    if (chart === undefined) continue;
    out.set(
      path,
      diagnostic(
        "SecretInChartTemplates",
        `its Secret file ${path} would be in Helm chart ${chart || "."}'s templates/ folder, which Helm renders and applies still encrypted; set secretPath to a folder outside the chart`,
      ),
    );
  }
  return out;
}
