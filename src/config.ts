// gitcert's configuration: one declarative table of options (name, type,
// default, description, flag, environment variable), one loader that merges
// defaults < config file < environment < flags, and one validator that
// returns errors as data.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { yamlNestingProblem } from "./yaml-nesting.ts";

type OptionType = "string" | "number" | "boolean" | "list";

interface OptionDef {
  /** Dotted path in the config file, e.g. `git.authorName`. */
  key: string;
  type: OptionType;
  default: unknown;
  description: string;
  /** A credential: settable from the environment or the file, never as a flag. */
  secret?: boolean;
  /** Numbers: the whole numbers allowed, inclusive. */
  range?: readonly [number, number];
}

export const OPTIONS = [
  { key: "repo", type: "string", default: "", description: "Git URL or path of the repository to manage (file://, path, https://, ssh://, scp-style). Empty: the embedded demo." },
  { key: "branch", type: "string", default: "main", description: "Branch to read and push." },
  { key: "workdir", type: "string", default: "", description: "Working clone location (default: a folder under the OS temp dir named after the repository)." },
  { key: "include", type: "list", default: ["**/*.yaml", "**/*.yml"], description: "Globs of files to scan." },
  { key: "exclude", type: "list", default: [], description: "Globs of files to skip (.git and node_modules are always skipped)." },
  { key: "maxFileBytes", type: "number", default: 5 * 1024 * 1024, description: "Files larger than this are reported, not read.", range: [1, Number.MAX_SAFE_INTEGER] },
  { key: "defaultNamespace", type: "string", default: "default", description: "Namespace of objects with none, outside any kustomization with a namespace." },
  { key: "clusterResourceNamespace", type: "string", default: "cert-manager", description: "Where a ClusterIssuer's Secrets live (cert-manager's --cluster-resource-namespace)." },
  { key: "defaultIssuerName", type: "string", default: "", description: "Issuer used for Ingresses annotated kubernetes.io/tls-acme: \"true\"." },
  { key: "defaultIssuerKind", type: "string", default: "ClusterIssuer", description: "Kind of the default issuer." },
  { key: "defaultIssuerGroup", type: "string", default: "cert-manager.io", description: "Group of the default issuer." },
  { key: "secretPath", type: "string", default: "", description: "Where a Certificate's Secret file goes. Variables: {dir} (the manifest's folder), {namespace}, {name}, {secretName}. Empty: the first of {dir}/{secretName}.sops.yaml, .sops.yml, .enc.yaml, .enc.yml, .enc.age.yaml, .secret.yaml, {dir}/secrets/{secretName}.sops.yaml, .yaml that a creation rule of the governing .sops.yaml matches (see The Secret files)." },
  { key: "pruneSecrets", type: "boolean", default: true, description: "Delete a Secret file gitcert wrote when its Certificate is gone (false: keep it)." },
  { key: "kustomizeResources", type: "boolean", default: true, description: "List each Secret file in its folder's kustomization.yaml resources, or in the files of the ksops generator that kustomization lists (Argo CD + KSOPS); the new entry is written like its siblings (./ prefix, sorted place). false: leave kustomization files alone." },
  { key: "gitops.clusterPath", type: "string", default: "", description: "In a repository holding several clusters, the folder of the one gitcert serves (what flux bootstrap --path points at, e.g. clusters/production): only Flux Kustomizations reached from manifests under it render patches and substitutions, and objects only other clusters apply are left out. Empty: every Flux Kustomization in the repository." },
  { key: "ageRecipients", type: "list", default: [], description: "age recipients used when no .sops.yaml creation rule matches." },
  { key: "concurrency", type: "number", default: 4, description: "Certificates issued in parallel.", range: [1, 256] },
  { key: "git.authorName", type: "string", default: "gitcert", description: "Commit author name." },
  { key: "git.authorEmail", type: "string", default: "gitcert@localhost", description: "Commit author email." },
  { key: "git.messageTemplate", type: "string", default: "gitcert: {summary}\n\n{details}", description: "Commit message. {summary}: one line of counts; {details}: one line per issued / renewed / removed certificate." },
  { key: "git.pushRetrySeconds", type: "number", default: 120, description: "How long to keep retrying a push the remote rejects because its branch moved on (fetch, plan again on the new head, push; jittered backoff). When the time is up, the work stays committed in the working clone and the next run pushes it.", range: [0, 3600] },
  { key: "git.pushRetries", type: "number", default: 4, description: "Deprecated and ignored: replaced by git.pushRetrySeconds (a count gave up too soon on a busy remote). Still accepted so existing configurations load.", range: [0, 100] },
  { key: "git.sshKeyFile", type: "string", default: "", description: "SSH private key for ssh:// and scp-style URLs." },
  { key: "git.knownHostsFile", type: "string", default: "", description: "known_hosts for SSH (empty: accept-new)." },
  { key: "git.token", type: "string", default: "", description: "HTTPS token; environment or file only, never a flag (flags show in `ps`).", secret: true },
  { key: "git.tokenFile", type: "string", default: "", description: "File holding the HTTPS token." },
  { key: "git.username", type: "string", default: "", description: "HTTPS username sent with the token (default x-access-token)." },
  { key: "logLevel", type: "string", default: "info", description: "debug, info, warn or error." },
  { key: "acme.applyAccountKey", type: "boolean", default: false, description: "List the ACME account key Secret gitcert creates in its folder's kustomization.yaml, so Flux or Argo CD applies it to the cluster: a cert-manager controller can then take over with the same ACME account. false (least exposure): the key stays in Git only, where gitcert reads it." },
  { key: "acme.http01.address", type: "string", default: "", description: "Address gitcert's HTTP-01 challenge server listens on: while a challenge is open, or always in `serve` with a cluster (empty: every interface)." },
  { key: "acme.http01.port", type: "number", default: 8089, description: "Port of gitcert's HTTP-01 challenge server (the Service the challenge Ingress routes to).", range: [0, 65535] },
  { key: "acme.http01.selfCheck", type: "boolean", default: true, description: "Fetch each HTTP-01 challenge through its public name before asking the ACME server to validate it (false for split-horizon DNS)." },
  { key: "acme.http01.selfCheckPort", type: "number", default: 80, description: "Port the HTTP-01 self-check fetches http://<domain>/.well-known/acme-challenge/ on.", range: [1, 65535] },
  { key: "acme.http01.selfCheckNameservers", type: "list", default: [], description: "Nameservers (ip or ip:port) the HTTP-01 self-check resolves names with, like cert-manager's --acme-http01-solver-nameservers (empty: the system resolver)." },
  { key: "acme.http01.selfCheckPasses", type: "number", default: 5, description: "Good self-check answers needed in a row, 2 s apart, before the ACME server is asked to validate (cert-manager: 5), so every ingress replica has the route.", range: [1, 30] },
  { key: "acme.http01.backend", type: "string", default: "externalName", description: "How the Ingress or HTTPRoute gitcert makes for a challenge, in the Certificate's namespace, reaches gitcert's listener in its own: externalName (a Service of type ExternalName naming gitcert's solver Service; the ingress controller must allow ExternalName backends) or endpoints (a Service without selector and an EndpointSlice holding this pod's POD_IP; needs EndpointSlice rights)." },
  { key: "acme.http01.externalName", type: "string", default: "", description: "DNS name the externalName backend points at (empty: gitcert-http01.<gitcert's namespace>.svc.cluster.local, deploy/'s solver Service)." },
  { key: "acme.http01.externalNamePort", type: "number", default: 80, description: "Port of the externalName backend: the port of gitcert's solver Service.", range: [1, 65535] },
  { key: "acme.dns01.nameservers", type: "list", default: [], description: "Nameservers (ip or ip:port) for DNS-01 propagation checks and CNAME following, like cert-manager's --dns01-recursive-nameservers (empty: the zone's authoritative servers)." },
  { key: "acme.dns01.propagationTimeoutSeconds", type: "number", default: 300, description: "How long to wait for a DNS-01 TXT record to be served before giving up.", range: [1, 86_400] },
  { key: "kubeconfig", type: "string", default: "", description: "kubeconfig of the cluster gitcert reports status to, reads issuer Secrets from and elects a leader in (empty: the files in KUBECONFIG, else the in-cluster service account; neither: no cluster)." },
  { key: "context", type: "string", default: "", description: "kubeconfig context to use (empty: its current context)." },
  { key: "instance", type: "string", default: "", description: "Marks the objects this gitcert creates in the cluster (label gitcert.dev/instance), so gitcerts for other repositories leave them alone (empty: a hash of repo and branch)." },
  { key: "leaderElection.enabled", type: "boolean", default: true, description: "With a cluster, hold a coordination.k8s.io Lease while reconciling, so one replica works and the others wait." },
  { key: "leaderElection.namespace", type: "string", default: "", description: "Namespace of the Lease (empty: gitcert's own: the pod's, else the kubeconfig context's)." },
  { key: "leaderElection.leaseName", type: "string", default: "gitcert", description: "Name of the Lease." },
  { key: "leaderElection.leaseDurationSeconds", type: "number", default: 60, description: "How long a leader's claim lasts without renewal; a new leader takes over this long after the old one died (cert-manager: 60).", range: [2, 3600] },
  { key: "leaderElection.renewDeadlineSeconds", type: "number", default: 40, description: "How long the leader keeps trying to renew before it stops working (cert-manager: 40).", range: [1, 3600] },
  { key: "leaderElection.retryPeriodSeconds", type: "number", default: 15, description: "Time between attempts to take or renew the Lease (cert-manager: 15).", range: [1, 3600] },
  { key: "serve.schedule", type: "string", default: "*/10 * * * *", description: "When `gitcert serve` reconciles, besides at start, on a push webhook and on request (cron: minute hour day-of-month month day-of-week)." },
  { key: "serve.timezone", type: "string", default: "", description: "IANA time zone of serve.schedule (empty: the process's own, UTC in the container image)." },
  { key: "serve.address", type: "string", default: "", description: "Address of the listener for push webhooks (POST /webhook) and the API (POST /reconcile, /renew) (empty: every interface)." },
  { key: "serve.port", type: "number", default: 8080, description: "Port of the webhook and API listener.", range: [0, 65535] },
  { key: "serve.metricsAddress", type: "string", default: "", description: "Address of the listener for /metrics, /healthz and /readyz (empty: every interface)." },
  { key: "serve.metricsPort", type: "number", default: 9402, description: "Port of the metrics and health listener (cert-manager's metrics port); the same as serve.port for one listener.", range: [0, 65535] },
  { key: "serve.gracePeriodSeconds", type: "number", default: 25, description: "On SIGTERM or SIGINT, how long a reconcile in flight may take to finish before it is abandoned (its challenges cleaned up); inside Kubernetes' default 30 s.", range: [0, 3600] },
  { key: "serve.stuckAfterSeconds", type: "number", default: 900, description: "/healthz fails when a reconcile has finished no certificate for this long, so the kubelet restarts a stuck process.", range: [30, 86_400] },
  { key: "serve.token", type: "string", default: "", description: "Bearer token for POST /reconcile and /renew; environment or file only.", secret: true },
  { key: "serve.tokenFile", type: "string", default: "", description: "File holding the API bearer token (read at each request, so a rotated Secret applies at once)." },
  { key: "webhook.secret", type: "string", default: "", description: "Secret of the forges' push webhooks (GitHub, Gitea/Forgejo, Bitbucket sign with it; GitLab sends it as its token); environment or file only.", secret: true },
  { key: "webhook.secretFile", type: "string", default: "", description: "File holding the webhook secret (read at each request)." },
  { key: "webhook.maxBodyBytes", type: "number", default: 4 * 1024 * 1024, description: "Largest webhook or API body accepted; larger ones get 413 unread.", range: [1024, 100 * 1024 * 1024] },
  { key: "discovery.enabled", type: "boolean", default: true, description: "With a cluster, read the annotated Ingresses and Gateways, Certificates, Issuers and ClusterIssuers Flux or Argo CD applied (rendered by Helm, overlays, patches, substitutions) and issue for those whose owner — named by Flux's or Argo CD's labels — is in this repository; Git's copy of an object wins." },
  { key: "discovery.secretFolder", type: "string", default: "{ownerDir}", description: "Folder of the Secret file of a Certificate found in the cluster. {ownerDir}: where its owner applies it (a Flux Kustomization's path; the folder of a HelmRelease or Argo CD Application, or of what applies it); {namespace}, {owner} (the owner's name). secretPath then names the file in it." },
  { key: "discovery.fallbackFolder", type: "string", default: "", description: "Folder for such Secret files when the owner's will not do (nothing, or more than its applier, applies it), and for objects no owner here applies with discovery.unowned: issue. It must be applied by one Flux Kustomization or Argo CD Application. Empty: those Certificates are blocked, saying why." },
  { key: "discovery.unowned", type: "string", default: "report", description: "Objects in the cluster that nothing in this repository applies: report (listed by plan and run, not issued) or issue (issued into discovery.fallbackFolder)." },
  { key: "coexistence.certManager", type: "string", default: "stepBack", description: "When cert-manager's controller runs in the cluster (its Lease is held and fresh): stepBack (gitcert issues nothing for the Certificates it serves and writes no status, Events or Ingress Certificates for them) or takeOver (gitcert acts regardless; scale cert-manager to zero)." },
  { key: "coexistence.namespaces", type: "list", default: [], description: "Namespaces gitcert serves even while cert-manager's controller runs (coexistence by namespace); cert-manager keeps the rest." },
  { key: "coexistence.leaseNamespace", type: "string", default: "kube-system", description: "Namespace of cert-manager's leader-election Lease cert-manager-controller (its --leader-election-namespace)." },
] as const satisfies readonly OptionDef[];

type ValueOf<T extends OptionType> = T extends "string" ? string : T extends "number" ? number : T extends "boolean" ? boolean : string[];
export type Config = { [K in (typeof OPTIONS)[number] as K["key"]]: ValueOf<K["type"]> };

/** `git.authorName` → `GITCERT_GIT_AUTHOR_NAME` */
export function envName(key: string): string {
  return "GITCERT_" + key.replace(/\./g, "_").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** `git.authorName` → `--git-author-name` */
export function flagName(key: string): string {
  return key.replace(/\./g, "-").replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values by option key, already split off the command line. */
  flags?: Partial<Record<string, string | string[] | boolean>>;
}

export type ConfigResult = { config: Config; errors: string[] };

export function loadConfig(sources: ConfigSources): ConfigResult {
  const errors: string[] = [];
  let fileValues: Record<string, unknown> = {};
  if (sources.file) {
    const text = readConfigFile(sources.file, errors);
    try {
      const tooDeep = yamlNestingProblem(text);
      if (tooDeep) throw new Error(tooDeep.message);
      // prettyErrors off: it quotes the offending line, which may hold a token.
      const parsed: unknown = parseYaml(text, { prettyErrors: false });
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) fileValues = parsed as Record<string, unknown>;
      else if (parsed != null) errors.push(`${sources.file}: the configuration must be a mapping`);
    } catch (err) {
      const { pos, code } = err as { pos?: [number, number]; code?: string };
      if (code === undefined) errors.push(`${sources.file}: ${(err as Error).message}`);
      else errors.push(`${sources.file}:${text.slice(0, pos?.[0] ?? 0).split("\n").length}: not valid YAML (${code})`);
    }
    for (const key of unknownKeys(fileValues)) errors.push(`${sources.file}: unknown option ${key}`);
  }

  const config: Record<string, unknown> = {};
  for (const option of OPTIONS as readonly OptionDef[]) {
    let value: unknown = option.default;
    const fromFile = getPath(fileValues, option.key);
    if (fromFile !== undefined) value = coerce(option, fromFile, `${sources.file}: ${option.key}`, errors);
    const fromEnv = sources.env?.[envName(option.key)];
    if (fromEnv !== undefined && fromEnv !== "") value = coerce(option, fromEnv, envName(option.key), errors);
    const fromFlag = option.secret ? undefined : sources.flags?.[option.key];
    if (fromFlag !== undefined) value = coerce(option, fromFlag, `--${flagName(option.key)}`, errors);
    config[option.key] = value;
  }
  errors.push(...validate(config as Config));
  // An empty file is the demo, like no file; a file that configures anything
  // but forgot `repo` would otherwise run the demo and exit 0.
  if (sources.file && config.repo === "" && Object.keys(fileValues).length > 0) {
    errors.push(`${sources.file}: no \`repo\`: set it to the Git URL or path of the repository to manage (or give --repo or GITCERT_REPO)`);
  }
  return { config: config as Config, errors };
}

/** The file's text, or "" with the reason it could not be read, in words. */
function readConfigFile(file: string, errors: string[]): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "not found" : code === "EACCES" ? "not readable (permission denied)" : code === "EISDIR" ? "is a folder, not a file" : (err as Error).message;
    errors.push(`${file}: ${reason}`);
    return "";
  }
}

function validate(config: Config): string[] {
  const errors: string[] = [];
  if (!["debug", "info", "warn", "error"].includes(config.logLevel)) errors.push(`logLevel ${config.logLevel} is not one of debug, info, warn, error`);
  if (config.secretPath !== "" && !config.secretPath.includes("{secretName}") && !config.secretPath.includes("{name}")) {
    errors.push("secretPath must contain {secretName} or {name}, or every Secret would go to the same file");
  }
  const lease = config["leaderElection.leaseDurationSeconds"];
  const renew = config["leaderElection.renewDeadlineSeconds"];
  if (!(lease > renew && renew > 1.2 * config["leaderElection.retryPeriodSeconds"])) {
    errors.push("leaderElection: leaseDurationSeconds must be greater than renewDeadlineSeconds, and renewDeadlineSeconds greater than 1.2 × retryPeriodSeconds");
  }
  if (config.instance && !/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(config.instance)) {
    errors.push(`instance ${JSON.stringify(config.instance)} is not a Kubernetes label value (up to 63 letters, digits, -, _ or ., starting and ending with a letter or digit)`);
  }
  if (!["externalName", "endpoints"].includes(config["acme.http01.backend"])) errors.push(`acme.http01.backend ${config["acme.http01.backend"]} is not one of externalName, endpoints`);
  if (!["report", "issue"].includes(config["discovery.unowned"])) errors.push(`discovery.unowned ${config["discovery.unowned"]} is not one of report, issue`);
  if (!["stepBack", "takeOver"].includes(config["coexistence.certManager"])) errors.push(`coexistence.certManager ${config["coexistence.certManager"]} is not one of stepBack, takeOver`);
  for (const r of config.ageRecipients) {
    if (!/^age1[0-9a-z]+$/.test(r)) errors.push(`ageRecipients: ${JSON.stringify(r)} is not an age recipient (age1…)`);
  }
  return errors;
}

function coerce(option: OptionDef, raw: unknown, where: string, errors: string[]): unknown {
  switch (option.type) {
    case "string":
      if (typeof raw === "string") return raw;
      if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
      break;
    case "number": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      const range: readonly [number, number] | undefined = "range" in option ? option.range : undefined;
      if (range && Number.isFinite(n) && (!Number.isInteger(n) || n < range[0] || n > range[1])) {
        errors.push(`${where}: expected a whole number from ${range[0]} to ${range[1]}, got ${n}`);
        return option.default;
      }
      if (Number.isFinite(n)) return n;
      break;
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      break;
    case "list":
      if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return raw;
      if (typeof raw === "string") return raw.split(",").map((s) => s.trim()).filter(Boolean);
      break;
  }
  errors.push(`${where}: expected a ${option.type}`);
  return option.default;
}

function getPath(obj: Record<string, unknown>, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function unknownKeys(values: Record<string, unknown>, prefix = ""): string[] {
  const known = new Set<string>(OPTIONS.map((o) => o.key));
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const key = prefix + k;
    if (known.has(key)) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && [...known].some((o) => o.startsWith(key + "."))) {
      out.push(...unknownKeys(v as Record<string, unknown>, key + "."));
    } else out.push(key);
  }
  return out;
}

/** The options as a Markdown table, for README.md and `gitcert help config --markdown`. */
export function configReference(): string {
  const rows = (OPTIONS as readonly OptionDef[]).map((o) => {
    const def = Array.isArray(o.default) ? o.default.join(", ") : String(o.default);
    const flag = o.secret ? "—" : `\`--${flagName(o.key)}\``;
    return `| \`${o.key}\` | ${flag} | \`${envName(o.key)}\` | \`${def.replace(/\n/g, "\\n")}\` | ${o.description} |`;
  });
  return ["| key | flag | environment | default | description |", "|---|---|---|---|---|", ...rows].join("\n");
}

/**
 * The options for a terminal `columns` wide: one block per option (its
 * flag, environment variable and default, then the description wrapped), as
 * a table of five columns cannot fit.
 */
export function configText(columns = 100): string {
  const width = Math.max(40, Math.min(columns, 100));
  const blocks = (OPTIONS as readonly OptionDef[]).map((o) => {
    const def = Array.isArray(o.default) ? o.default.join(", ") : String(o.default);
    const shown = def === "" ? "(empty)" : JSON.stringify(def).slice(1, -1);
    const where = [o.secret ? "no flag" : `--${flagName(o.key)}`, envName(o.key), `default ${shown}`].join(" · ");
    return [o.key, ...wrap(where, width - 4).map((l) => `    ${l}`), ...wrap(o.description, width - 4).map((l) => `    ${l}`)].join("\n");
  });
  const intro = wrap("Every option can be set in a YAML file (--config FILE or GITCERT_CONFIG), as an environment variable, or as a flag; flags beat the environment, which beats the file.", width);
  return [...intro, "", ...blocks.join("\n\n").split("\n")].join("\n");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
