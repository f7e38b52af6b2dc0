// `.sops.yaml` creation rules (config/config.go), resolved the way sops
// does for one file: the path relative to the config's folder, rules tried
// in order, the first whose path_regex matches (or that has none) wins, and
// its crypt rule and recipients become the file's.
//
// Which `.sops.yaml`: sops walks up from its *working directory*; gitcert
// has no meaningful working directory inside the repository, so it walks up
// from each output file's own folder. That is what `cd $(dirname file) &&
// sops -e file` does, and it lets a repository keep one `.sops.yaml` per
// environment folder.
import { posix } from "node:path";
import { z } from "zod";
import { LineCounter, isNode, isSeq, parseDocument } from "yaml";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import { cryptRuleOf } from "./crypt-rule.ts";
import { secretsError } from "./errors.ts";
import { translateRe2 } from "./re2.ts";
import type { NearestSopsConfig, SopsConfig, SopsCreationRule, SopsRule } from "./types.ts";
import { resolvePlain } from "./yaml-resolve.ts";

export const SOPS_CONFIG_NAME = ".sops.yaml";

// Parsed with the failsafe schema, so every scalar is a string here, and
// typed fields are read the way yaml.v3 decodes them into sops' structs.
const yamlBool = z
  .string()
  .refine((s) => {
    const t = resolvePlain(s).type;
    return t === "bool" || t === "null";
  }, "expected true or false")
  .transform((s) => {
    const r = resolvePlain(s);
    return r.type === "bool" && r.value;
  });

const yamlInt = z
  .string()
  .refine((s) => resolvePlain(s).type === "int", "expected an integer")
  .transform((s) => {
    const r = resolvePlain(s);
    return r.type === "int" ? Number(r.value) : 0;
  });

/** `age: a,b` (all versions) or `age: [a, b]` (3.11+). */
const keyList = z
  .union([z.string(), z.array(z.string())])
  .nullish()
  .transform((v) => {
    if (v === null || v === undefined) return [];
    const items = typeof v === "string" ? v.split(",") : v;
    return items.map((s) => s.trim()).filter((s) => s !== "");
  });

const optionalString = z.string().optional();

interface KeyGroupInput {
  age?: string[] | undefined;
  merge?: KeyGroupInput[] | undefined;
  [other: string]: unknown;
}

const keyGroup: z.ZodType<KeyGroupInput> = z.lazy(() =>
  z
    .object({
      age: z.array(z.string()).optional(),
      merge: z.array(keyGroup).optional(),
    })
    .passthrough(),
);

const OTHER_KEY_TYPES = ["pgp", "kms", "gcp_kms", "hckms", "azure_keyvault", "hc_vault_transit_uri", "hc_vault"] as const;

const creationRule = z
  .object({
    path_regex: optionalString,
    age: keyList,
    key_groups: z.array(keyGroup).nullish(),
    shamir_threshold: yamlInt.optional(),
    unencrypted_suffix: optionalString,
    encrypted_suffix: optionalString,
    unencrypted_regex: optionalString,
    encrypted_regex: optionalString,
    unencrypted_comment_regex: optionalString,
    encrypted_comment_regex: optionalString,
    mac_only_encrypted: yamlBool.optional(),
  })
  .passthrough();

const configSchema = z
  .object({
    creation_rules: z.array(creationRule).nullish(),
    stores: z
      .object({ yaml: z.object({ indent: yamlInt.optional() }).passthrough().nullish() })
      .passthrough()
      .nullish(),
  })
  .passthrough();

function hasKeys(v: unknown): boolean {
  if (v === null || v === undefined || v === "") return false;
  return !Array.isArray(v) || v.length > 0;
}

function flattenGroup(group: KeyGroupInput): { age: string[]; other: string[] } {
  const age = (group.age ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  const other: string[] = OTHER_KEY_TYPES.filter((k) => hasKeys(group[k]));
  for (const sub of group.merge ?? []) {
    const f = flattenGroup(sub);
    age.push(...f.age);
    other.push(...f.other);
  }
  return { age: [...new Set(age)], other: [...new Set(other)] };
}

/** Parse a `.sops.yaml`; `file` is its repository-relative path, used in messages. */
export function parseSopsConfig(text: string, file: string): SopsConfig {
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw secretsError("SopsConfigInvalid", `${file}: ${tooDeep.message}`, { file, line: tooDeep.line });
  const lines = new LineCounter();
  const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const lineAt = (node: unknown): number | undefined => {
    const offset = isNode(node) ? node.range?.[0] : undefined;
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  const err = doc.errors[0];
  if (err) throw secretsError("SopsConfigInvalid", `${file}: invalid YAML (${err.code})`, { file, line: lines.linePos(err.pos[0]).line });
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const at = path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "");
    let line: number | undefined;
    for (let n = path.length; n > 0 && line === undefined; n--) line = lineAt(doc.getIn(path.slice(0, n), true));
    throw secretsError("SopsConfigInvalid", `${file}: ${at || "top level"}: ${issue.message}`, { file, line: line ?? 1 });
  }
  const rulesNode = doc.get("creation_rules", true);
  const lineOfRule = (i: number): number | undefined => (isSeq(rulesNode) ? lineAt(rulesNode.items[i]) : undefined);

  const config: SopsConfig = { file };
  const indent = parsed.data.stores?.yaml?.indent;
  if (indent !== undefined) config.yamlIndent = indent;
  const rules = parsed.data.creation_rules;
  if (rules) {
    config.creationRules = rules.map((r, index) => {
      const rule: SopsCreationRule = {
        index,
        age: r.age,
        otherKeyTypes: OTHER_KEY_TYPES.filter((k) => hasKeys((r as Record<string, unknown>)[k])),
        macOnlyEncrypted: r.mac_only_encrypted ?? false,
      };
      const line = lineOfRule(index);
      if (line !== undefined) rule.line = line;
      if (r.path_regex) rule.pathRegex = r.path_regex;
      if (r.key_groups && r.key_groups.length > 0) rule.keyGroups = r.key_groups.map((g) => flattenGroup(g).age);
      const groupsOther = (r.key_groups ?? []).flatMap((g) => flattenGroup(g).other);
      rule.otherKeyTypes = [...new Set([...rule.otherKeyTypes, ...groupsOther])];
      if (r.encrypted_regex) rule.encryptedRegex = r.encrypted_regex;
      if (r.unencrypted_regex) rule.unencryptedRegex = r.unencrypted_regex;
      if (r.encrypted_suffix) rule.encryptedSuffix = r.encrypted_suffix;
      if (r.unencrypted_suffix) rule.unencryptedSuffix = r.unencrypted_suffix;
      if (r.encrypted_comment_regex) rule.encryptedCommentRegex = r.encrypted_comment_regex;
      if (r.unencrypted_comment_regex) rule.unencryptedCommentRegex = r.unencrypted_comment_regex;
      return rule;
    });
  }
  return config;
}

/** A repository-relative POSIX path, normalised; paths leaving the repository are refused. */
function repoPath(p: string, what: string): string {
  const n = posix.normalize(p.replaceAll("\\", "/")).replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (posix.isAbsolute(n) || n === ".." || n.startsWith("../")) {
    throw secretsError("SopsConfigInvalid", `${what} ${JSON.stringify(p)} is not a path inside the repository`);
  }
  return n === "." ? "" : n;
}

/** The path sops matches path_regex against: relative to the config's folder when inside it. */
export function pathForRules(configDir: string, filePath: string): string {
  const dir = repoPath(configDir, "config folder");
  const file = repoPath(filePath, "file path");
  return dir !== "" && file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : file;
}

/** A creation rule as gitcert can encrypt with it; refuses what gitcert cannot do (other key types, Shamir, comment rules). */
export function sopsRuleOf(config: SopsConfig, rule: SopsCreationRule): SopsRule {
  const at = `${config.file}: creation_rules[${rule.index}]`;
  const source = { file: config.file, line: rule.line ?? 1 };
  if (rule.encryptedCommentRegex || rule.unencryptedCommentRegex) {
    throw secretsError("SopsUnsupported", `${at}: encrypted_comment_regex / unencrypted_comment_regex are not supported`, source);
  }
  if (rule.otherKeyTypes.length > 0) {
    throw secretsError("SopsUnsupported", `${at}: gitcert encrypts for age recipients only, and this rule also uses ${rule.otherKeyTypes.join(", ")}`, source);
  }
  let recipients = rule.age;
  if (rule.keyGroups) {
    // sops ignores the top-level keys when key_groups is set.
    if (rule.keyGroups.length > 1) {
      throw secretsError("SopsUnsupported", `${at}: ${rule.keyGroups.length} key groups (Shamir secret sharing) are not supported; use one group`, source);
    }
    recipients = rule.keyGroups[0] ?? [];
  }
  if (recipients.length === 0) throw secretsError("SopsInvalidRecipient", `${at}: the rule has no age recipients`, source);
  try {
    cryptRuleOf(rule);
  } catch (err) {
    throw secretsError("SopsRuleInvalid", `${at}: ${(err as Error).message}`, source);
  }
  const out: SopsRule = { recipients: [...recipients] };
  // Copied only when the rule names one, so that sops' default stays implicit.
  if (rule.encryptedRegex) out.encryptedRegex = rule.encryptedRegex;
  if (rule.unencryptedRegex) out.unencryptedRegex = rule.unencryptedRegex;
  if (rule.encryptedSuffix) out.encryptedSuffix = rule.encryptedSuffix;
  if (rule.unencryptedSuffix) out.unencryptedSuffix = rule.unencryptedSuffix;
  if (rule.macOnlyEncrypted) out.macOnlyEncrypted = true;
  return out;
}

/**
 * The creation rule for a file. `configDir` is the repository-relative
 * folder of the `.sops.yaml` (`""` for the root), `filePath` the file's
 * repository-relative path. Returns undefined when the config has no
 * creation_rules (sops then treats it as absent); throws
 * SopsNoMatchingRule when it has rules and none matches, as sops does.
 */
export function findCreationRule(config: SopsConfig, configDir: string, filePath: string): SopsRule | undefined {
  if (!config.creationRules) return undefined;
  const rule = matchingCreationRule(config, configDir, filePath);
  if (rule) return sopsRuleOf(config, rule);
  throw secretsError("SopsNoMatchingRule", `${config.file}: no creation rule matches ${pathForRules(configDir, filePath)}`, { file: config.file, line: 1 });
}

// Placement asks the same few rules about many names: translate each pattern once.
const translations = new Map<string, ReturnType<typeof translateRe2>>();

function translated(pattern: string): ReturnType<typeof translateRe2> {
  let t = translations.get(pattern);
  if (!t) {
    if (translations.size >= 256) translations.clear();
    translations.set(pattern, (t = translateRe2(pattern)));
  }
  return t;
}

/**
 * The creation rule sops would pick for a file: the first whose path_regex
 * matches, or that has none. Undefined when none matches (or the config has
 * no creation_rules); throws on a path_regex that cannot be used.
 */
export function matchingCreationRule(config: SopsConfig, configDir: string, filePath: string): SopsCreationRule | undefined {
  const path = pathForRules(configDir, filePath);
  for (const rule of config.creationRules ?? []) {
    if (rule.pathRegex === undefined) return rule;
    const t = translated(rule.pathRegex);
    if (!t.ok) {
      const source = { file: config.file, line: rule.line ?? 1 };
      if (t.reason === "invalid") {
        throw secretsError("SopsConfigInvalid", `${config.file}: creation_rules[${rule.index}]: path_regex does not compile: ${t.detail}`, source);
      }
      throw secretsError("SopsUnsupportedRegex", `${config.file}: creation_rules[${rule.index}]: path_regex: ${t.detail}`, source);
    }
    if (t.regex.test(path)) return rule;
  }
  return undefined;
}

/**
 * The `.sops.yaml` closest to a file, walking up from the file's folder to
 * the repository root. `read` gives a repository-relative file's text, or
 * undefined when there is none; only files named exactly `.sops.yaml` are
 * asked for (sops ignores `.sops.yml`).
 */
export async function nearestSopsConfig(filePath: string, read: (path: string) => Promise<string | undefined>): Promise<NearestSopsConfig | undefined> {
  let dir = posix.dirname(repoPath(filePath, "file path"));
  if (dir === ".") dir = "";
  for (;;) {
    const path = dir === "" ? SOPS_CONFIG_NAME : `${dir}/${SOPS_CONFIG_NAME}`;
    const text = await read(path);
    if (text !== undefined) return { path, dir, text };
    if (dir === "") return undefined;
    const parent = posix.dirname(dir);
    dir = parent === "." ? "" : parent;
  }
}
