// Where a Certificate's Secret file goes, and how it will be encrypted.
//
// With `secretPath` configured, that template. Without it, the repository's
// own conventions: the first of a few common names that a creation rule of
// the governing `.sops.yaml` matches (CONVENTIONAL_NAMES, in order), then
// names ending the way a rule's path_regex ends (`.*-secret\.yaml$` →
// `{secretName}-secret.yaml`). A name whose rule gitcert cannot encrypt
// with (pgp or KMS keys, Shamir) is passed over. Names come from manifests,
// so every result is checked to stay inside the repository before it is
// ever a path.
import { posix } from "node:path";
import type { SourceRef } from "../diagnostics.ts";
import type { CertificateResource } from "../manifests/types.ts";
import { dns1123SubdomainProblem } from "../manifests/validate-names.ts";
import { encryptionTarget, governingSopsConfig, SOPS_CONFIG_NAME, type EncryptionTarget, type SopsConfigIndex } from "../secrets/index.ts";

/** Tried in this order when `secretPath` is not configured. */
export const CONVENTIONAL_NAMES: readonly string[] = [
  "{dir}/{secretName}.sops.yaml",
  "{dir}/{secretName}.sops.yml",
  "{dir}/{secretName}.enc.yaml",
  "{dir}/{secretName}.enc.yml",
  "{dir}/{secretName}.enc.age.yaml",
  "{dir}/{secretName}.secret.yaml",
  "{dir}/secrets/{secretName}.sops.yaml",
  "{dir}/secrets/{secretName}.yaml",
];

export interface PlacementOptions {
  /** `secretPath` as configured; undefined: follow the repository's `.sops.yaml`. */
  template?: string;
  sops: SopsConfigIndex;
  /** `ageRecipients`: used where no creation rule matches. */
  fallbackRecipients: readonly string[];
}

export type Placement =
  | {
      path: string;
      target: EncryptionTarget;
      /** Why this name, for `plan`: `{secretName}.enc.age.yaml: the first name .sops.yaml creation_rules[0] (line 2) matches`. */
      how: string;
    }
  | { code: string; message: string; source?: SourceRef };

export type Expanded = { path: string } | { error: string };

/** What a Secret file is named after: the folder of the manifest it is for, and its names. */
export interface SecretFileNames {
  /** Repository-relative folder, `""` or `.` for the root. */
  dir: string;
  namespace: string;
  name: string;
  secretName: string;
}

export function namesOf(certificate: CertificateResource): SecretFileNames {
  return { dir: certificate.secretDir ?? posix.dirname(certificate.source.file), namespace: certificate.namespace, name: certificate.name, secretName: certificate.spec.secretName };
}

/** A template with the names filled in, refused when a name could not be a file name or the path would leave the repository. */
export function expandSecretPath(names: SecretFileNames, template: string): Expanded {
  for (const [field, value] of [["namespace", names.namespace], ["name", names.name], ["spec.secretName", names.secretName]] as const) {
    if (dns1123SubdomainProblem(value) !== undefined) {
      return { error: `${field} ${JSON.stringify(value)} cannot be used in a file name` };
    }
  }
  // A manifest at the repository root has no folder: `{dir}/x` is just `x`.
  const atRoot = names.dir === "." || names.dir === "";
  const withDir = atRoot ? template.replaceAll("{dir}/", "").replaceAll("{dir}", "") : template.replaceAll("{dir}", names.dir);
  const expanded = withDir.replaceAll("{namespace}", names.namespace).replaceAll("{name}", names.name).replaceAll("{secretName}", names.secretName);
  const path = posix.normalize(expanded);
  if (path.startsWith("../") || path === ".." || posix.isAbsolute(path) || path.includes("\0")) {
    return { error: `secret path ${JSON.stringify(expanded)} is outside the repository` };
  }
  if (path === "." || path.endsWith("/")) return { error: `secret path ${JSON.stringify(expanded)} is not a file` };
  return { path };
}

/**
 * Paths whose `.sops.yaml` placement may consult: load these at the edge
 * (loadSopsConfigs) before planning. Names derived from a rule's ending sit
 * in `{dir}`, beside the first conventional name.
 */
export function placementPaths(names: SecretFileNames, template: string | undefined): string[] {
  const out: string[] = [];
  for (const t of template === undefined ? CONVENTIONAL_NAMES : [template]) {
    const e = expandSecretPath(names, t);
    if ("path" in e) out.push(e.path);
  }
  return out;
}

/** What certificateSopsConfigPaths worked out for a Certificate, with the names it came from (the fields themselves, no key built). */
interface KeptPlacement {
  secretDir: string | undefined;
  file: string;
  namespace: string;
  name: string;
  secretName: string;
  template: string | undefined;
  paths: readonly string[];
}

const placements = new WeakMap<CertificateResource, KeptPlacement>();

/**
 * Where placement may consult a `.sops.yaml` for a Certificate: the
 * `.sops.yaml` path of each folder placementPaths reaches (lookups go by
 * folder, see loadSopsConfigs), kept with it while its names and the template
 * stay: a long-running gitcert plans the same Certificates tick after tick.
 * The Certificates of one folder share one list.
 */
export function certificateSopsConfigPaths(certificate: CertificateResource, template: string | undefined): readonly string[] {
  // Compared field by field, not as a string made for the comparison.
  let kept = placements.get(certificate);
  if (
    !kept ||
    kept.secretDir !== certificate.secretDir ||
    kept.file !== certificate.source.file ||
    kept.namespace !== certificate.namespace ||
    kept.name !== certificate.name ||
    kept.secretName !== certificate.spec.secretName ||
    kept.template !== template
  ) {
    kept = { secretDir: certificate.secretDir, file: certificate.source.file, namespace: certificate.namespace, name: certificate.name, secretName: certificate.spec.secretName, template, paths: sopsConfigsOf(placementPaths(namesOf(certificate), template)) };
    placements.set(certificate, kept);
  }
  return kept.paths;
}

/** Lists handed out by sopsConfigsOf, by content. Bounded: emptied past SHARED_KEPT (a list handed out stays valid). */
const sharedConfigPaths = new Map<string, readonly string[]>();
const SHARED_KEPT = 4096;

function sopsConfigsOf(paths: readonly string[]): readonly string[] {
  const folders = [...new Set(paths.map((path) => path.slice(0, Math.max(0, path.lastIndexOf("/")))))];
  const id = folders.join("\u0000");
  let known = sharedConfigPaths.get(id);
  if (!known) {
    if (sharedConfigPaths.size >= SHARED_KEPT) sharedConfigPaths.clear();
    known = Object.freeze(folders.map((folder) => (folder === "" ? SOPS_CONFIG_NAME : `${folder}/${SOPS_CONFIG_NAME}`)));
    sharedConfigPaths.set(id, known);
  }
  return known;
}

// A literal file ending of a path_regex: `\.`-escaped dots, letters,
// digits, `-` and `_`, up to the end (an optional `$`).
const LITERAL_ENDING = /(?:\\[.\-_]|[A-Za-z0-9_-])+\$?$/;

/** `.*-secret\.yaml$` → `-secret.yaml`; undefined when the rule does not end in a YAML file name part. */
export function fileEndingOf(pathRegex: string): string | undefined {
  const m = LITERAL_ENDING.exec(pathRegex);
  if (!m) return undefined;
  // A quantifier or escape before the match reaches into it (`ya?ml`, `\d`): not literal.
  const before = pathRegex.slice(0, m.index);
  if (before.endsWith("\\") && !before.endsWith("\\\\")) return undefined;
  const ending = m[0].replace(/\$$/, "").replace(/\\(.)/g, "$1");
  return /^[._-][A-Za-z0-9._-]*\.ya?ml$/.test(ending) ? ending : undefined;
}

function candidateTemplates(names: SecretFileNames, sops: SopsConfigIndex): string[] {
  const first = expandSecretPath(names, CONVENTIONAL_NAMES[0]!);
  const config = "path" in first ? governingSopsConfig(sops, first.path)?.config : undefined;
  const derived = (config?.creationRules ?? [])
    .map((r) => (r.pathRegex === undefined ? undefined : fileEndingOf(r.pathRegex)))
    .filter((e): e is string => e !== undefined)
    .map((e) => `{dir}/{secretName}${e}`);
  return [...new Set([...CONVENTIONAL_NAMES, ...derived])];
}

const shortName = (template: string) => template.replace(/^\{dir\}\//, "");

/** A path as seen from the manifest's folder: `web-tls.sops.yaml`, `secrets/web-tls.yaml`. */
function inFolder(names: SecretFileNames, path: string): string {
  const dir = names.dir === "." ? "" : names.dir;
  return dir !== "" && path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : path;
}

/** Where a new Secret file goes and how it is encrypted, or why it cannot be written. */
export function placeSecret(names: SecretFileNames, options: PlacementOptions): Placement {
  return options.template === undefined ? byConvention(names, options) : byTemplate(names, options.template, options);
}

function byTemplate(names: SecretFileNames, template: string, options: PlacementOptions): Placement {
  const e = expandSecretPath(names, template);
  if ("error" in e) return { code: "InvalidSecretPath", message: e.error };
  const r = encryptionTarget(options.sops, e.path, options.fallbackRecipients);
  if ("target" in r) return { path: e.path, target: r.target, how: `secretPath ${template}; recipients from ${r.target.origin}` };
  const fix = r.problem.code === "NoRecipients" ? suggestion(names, options) : "";
  return { code: r.problem.code, message: r.problem.message + fix, ...(r.problem.where.source ? { source: r.problem.where.source } : {}) };
}

/** For a configured secretPath no rule matches: the name the conventions would choose, if any. */
function suggestion(names: SecretFileNames, options: PlacementOptions): string {
  const p = byConvention(names, { ...options, fallbackRecipients: [] });
  if (!("path" in p)) return "";
  return `; ${p.path} would match ${p.target.origin}: leave secretPath unset to follow the repository's .sops.yaml, or set it to a name a rule matches`;
}

function byConvention(names: SecretFileNames, options: PlacementOptions): Placement {
  const first = expandSecretPath(names, CONVENTIONAL_NAMES[0]!);
  if ("error" in first) return { code: "InvalidSecretPath", message: first.error };
  const templates = candidateTemplates(names, options.sops);
  let unusable: Placement | undefined;
  for (const [i, template] of templates.entries()) {
    const e = expandSecretPath(names, template);
    if ("error" in e) continue;
    const r = encryptionTarget(options.sops, e.path, []);
    if ("target" in r) {
      const why = i < CONVENTIONAL_NAMES.length ? `the first of gitcert's names ${r.target.origin} matches` : `the file ending of ${r.target.origin}'s path_regex`;
      return { path: e.path, target: r.target, how: `${inFolder(names, e.path)}: ${why}` };
    }
    // A name whose rule gitcert cannot use: the next name may match another rule.
    if (r.problem.code !== "NoRecipients") unusable ??= { code: r.problem.code, message: r.problem.message, ...(r.problem.where.source ? { source: r.problem.where.source } : {}) };
  }
  if (unusable) return unusable;
  const fallback = encryptionTarget(options.sops, first.path, options.fallbackRecipients);
  if ("target" in fallback) {
    const config = fallback.target.config;
    return { path: first.path, target: fallback.target, how: `${inFolder(names, first.path)}: ${config ? `no creation rule in ${config} matches gitcert's names` : "no .sops.yaml above it"}; recipients from ageRecipients` };
  }
  const config = governingSopsConfig(options.sops, first.path);
  if (!config?.config?.creationRules) return { code: fallback.problem.code, message: `${fallback.problem.message}; add a .sops.yaml with a creation rule for it, or set ageRecipients` };
  const tried = templates.map(shortName).map((t) => t.replaceAll("{secretName}", names.secretName));
  const dir = posix.dirname(first.path);
  return {
    code: "NoRecipients",
    message:
      `cannot encrypt Secret ${names.secretName}: no creation rule in ${config.path} matches any name gitcert tries in ${dir === "." ? "the repository root" : `${dir}/`} (${tried.join(", ")}); ` +
      `add a creation rule for one of them (for instance path_regex: \\.sops\\.yaml$), set secretPath to a name a rule matches, or set ageRecipients`,
  };
}
