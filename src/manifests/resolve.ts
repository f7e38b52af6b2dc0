// Certificates -> the issuer each one uses, or the reasons it cannot be
// issued: a contested name or Secret, an issuer that is missing, invalid or
// not ready (issuer-readiness.ts). One Certificate's problem blocks only
// that Certificate (and, for a contested name or Secret, the ones
// contesting it); the rest go ahead.
import { isDeepStrictEqual } from "node:util";
import { diagnostic, objectLabel, type Diagnostic, type ObjectRef } from "../diagnostics.ts";
import { secretsOf, type IssuerRegistry } from "../issuers/read.ts";
import { IssuerReadiness } from "./issuer-readiness.ts";
import { repositorySecrets, secretKey, type SecretIndex } from "./secret-index.ts";
import {
  certificateRef,
  type CertificateResource,
  type IssuerRef,
  type IssuerResource,
  type ScanResult,
} from "./types.ts";

/** The issuer types cert-manager defines: the keys of an issuer's spec. */
export const CERT_MANAGER_ISSUER_TYPES: ReadonlySet<string> = new Set(["acme", "ca", "selfSigned", "vault", "venafi"]);

const CERT_MANAGER_GROUP = "cert-manager.io";

export interface ResolveOptions {
  /** Where ClusterIssuer Secrets live. */
  clusterResourceNamespace: string;
  /** The issuer kinds gitcert can sign with: each reads its spec and names the Secrets it needs. */
  issuers: IssuerRegistry;
  /** Secrets known to exist; by default the repository's, from the scan. */
  secrets?: SecretIndex;
}

export interface Resolution {
  /** In scan order. */
  ready: Array<{ certificate: CertificateResource; issuer: IssuerResource }>;
  /** In scan order; each with the reasons it is not issued. */
  blocked: Array<{ certificate: CertificateResource; diagnostics: Diagnostic[] }>;
  /**
   * Problems not owned by one Certificate (duplicate issuers; an unused
   * Issuer that is invalid or not ready). Not repeated from `blocked`.
   */
  diagnostics: Diagnostic[];
  /**
   * Why each Issuer that cannot sign cannot (all it needs checked, not one
   * Certificate's share): an Issuer's own Ready condition in the cluster.
   */
  issuerProblems: Map<IssuerResource, Diagnostic>;
}

export function resolve(scan: ScanResult, options: ResolveOptions): Resolution {
  const diagnostics: Diagnostic[] = [];
  const issuers = indexIssuers(scan.issuers, diagnostics);
  const problems = new Map<CertificateResource, Diagnostic[]>();
  const block = (c: CertificateResource, d: Diagnostic) => {
    const list = problems.get(c);
    if (list) list.push(d);
    else problems.set(c, [d]);
  };

  const owners = claimNames(scan.certificates, block);
  checkSecretNames(owners, block);

  const chosen = new Map<CertificateResource, IssuerResource>();
  const supported = new Set(options.issuers.keys());
  const knownTypes = new Set([...CERT_MANAGER_ISSUER_TYPES, ...supported]);
  const leftOut = leftOutIssuers(scan.diagnostics);
  for (const cert of owners) {
    const found = findIssuer(cert, issuers, knownTypes, supported, leftOut);
    if ("issuer" in found) chosen.set(cert, found.issuer);
    else block(cert, found.problem);
  }
  const issuerProblems = new Map<IssuerResource, Diagnostic>();
  diagnostics.push(...checkIssuers(owners, chosen, issuers, knownTypes, new Set(problems.keys()), block, scan, options, issuerProblems));

  const ready: Resolution["ready"] = [];
  const blocked: Resolution["blocked"] = [];
  for (const certificate of scan.certificates) {
    const reasons = problems.get(certificate);
    const issuer = chosen.get(certificate);
    if (reasons) blocked.push({ certificate, diagnostics: reasons });
    else if (issuer) ready.push({ certificate, issuer });
  }
  const resolution = { ready, blocked, diagnostics, issuerProblems };
  const uses = new Map<IssuerResource, number>();
  for (const issuer of chosen.values()) uses.set(issuer, (uses.get(issuer) ?? 0) + 1);
  RESOLVED.set(resolution, { scan, options, uses });
  return resolution;
}

/**
 * What a resolution was made from, for resolveAgain: the scan, the options,
 * and how many Certificates chose each issuer (an issuer none chooses gets
 * a warning of its own). Kept with the resolution (a weak reference).
 */
const RESOLVED = new WeakMap<Resolution, { scan: ScanResult; options: ResolveOptions; uses: ReadonlyMap<IssuerResource, number> }>();

/** Above this many Certificates changed, resolving all of them again is as quick. */
const FEW_CHANGED = 64;

/**
 * resolve(scan, options), worked out from `previous` (a resolution of a
 * scan that differs from this one in a few Certificates only), or undefined
 * when that cannot be known without resolving everything again. What one
 * Certificate resolves to depends on the others only through its name and
 * its Secret's (contested, or named by an issuer: a CA key pair another
 * Certificate writes) and through which issuers are used at all; so the
 * changed Certificates must have names and Secrets of their own, before
 * and after, write no Secret an issuer needs, use issuers whose readiness
 * reads no other Certificate, and leave every issuer used or unused as it
 * was. The issuers, the Secrets and the problems that left objects out
 * must be the very same. `anew`: the Certificates resolved here (the
 * others' entries are the previous resolution's).
 */
export function resolveAgain(previous: Resolution, scan: ScanResult, options: ResolveOptions): { resolution: Resolution; anew: readonly CertificateResource[] } | undefined {
  const memory = RESOLVED.get(previous);
  if (!memory || options.secrets || memory.options.secrets) return undefined;
  const before = memory.scan;
  if (options.issuers !== memory.options.issuers || options.clusterResourceNamespace !== memory.options.clusterResourceNamespace) return undefined;
  if (!sameItems(scan.issuers, before.issuers) || !sameItems(scan.secrets, before.secrets) || !sameItems(scan.secretMakers ?? [], before.secretMakers ?? [])) return undefined;
  const leftOut = leftOutIssuers(scan.diagnostics);
  if (!isDeepStrictEqual(leftOut, leftOutIssuers(before.diagnostics))) return undefined;

  // The Certificates that changed, between the longest same beginning and end; the others in the same order.
  const after = scan.certificates;
  const was = before.certificates;
  let head = 0;
  while (head < after.length && head < was.length && after[head] === was[head]) head++;
  let tail = 0;
  while (tail < after.length - head && tail < was.length - head && after[after.length - 1 - tail] === was[was.length - 1 - tail]) tail++;
  const middle = after.slice(head, after.length - tail);
  const wasMiddle = was.slice(head, was.length - tail);
  if (middle.length + wasMiddle.length > 2 * FEW_CHANGED) return undefined;
  const now = new Set(middle);
  const then = new Set(wasMiddle);
  const added = middle.filter((c) => !then.has(c));
  const removed = wasMiddle.filter((c) => !now.has(c));
  if (added.length + removed.length > FEW_CHANGED) return undefined;
  if (!sameItems(middle.filter((c) => then.has(c)), wasMiddle.filter((c) => now.has(c)))) return undefined;
  if (added.length === 0 && removed.length === 0) {
    RESOLVED.set(previous, { ...memory, scan });
    return { resolution: previous, anew: [] };
  }

  // Names and Secrets of their own, and no Secret an issuer needs.
  const changed = [...added, ...removed];
  const bareNames = new Set(changed.map((c) => c.name));
  const bareSecrets = new Set(changed.map((c) => c.spec.secretName));
  const names = new Set(changed.map((c) => `${c.namespace}/${c.name}`));
  const secrets = new Set(changed.map((c) => secretKey(c.namespace, c.spec.secretName)));
  for (const list of [after, was]) {
    const seenNames = new Set<string>();
    const seenSecrets = new Set<string>();
    for (const c of list) {
      const name = bareNames.has(c.name) ? `${c.namespace}/${c.name}` : undefined;
      if (name !== undefined && names.has(name)) {
        if (seenNames.has(name)) return undefined;
        seenNames.add(name);
      }
      const secret = bareSecrets.has(c.spec.secretName) ? secretKey(c.namespace, c.spec.secretName) : undefined;
      if (secret !== undefined && secrets.has(secret)) {
        if (seenSecrets.has(secret)) return undefined;
        seenSecrets.add(secret);
      }
    }
  }
  for (const issuer of scan.issuers) {
    for (const need of secretsOf(options.issuers, issuer, options.clusterResourceNamespace)) if (secrets.has(secretKey(need.namespace, need.name))) return undefined;
  }

  // Each changed Certificate resolved as resolve would: no contested name or Secret, so its issuer and that issuer's readiness alone.
  const diagnostics: Diagnostic[] = [];
  const issuers = indexIssuers(scan.issuers, diagnostics);
  const supported = new Set(options.issuers.keys());
  const knownTypes = new Set([...CERT_MANAGER_ISSUER_TYPES, ...supported]);
  const uses = new Map(memory.uses);
  for (const c of removed) {
    const found = findIssuer(c, issuers, knownTypes, supported, leftOut);
    if ("issuer" in found) uses.set(found.issuer, (uses.get(found.issuer) ?? 0) - 1);
  }
  let index: SecretIndex | undefined;
  const repository = () => (index ??= repositorySecrets(scan));
  // The Secret index is made only if an issuer asks for a Secret.
  const lazySecrets: SecretIndex = {
    get secrets() {
      return repository().secrets;
    },
    get lookedIn() {
      return repository().lookedIn;
    },
    get makers() {
      return repository().makers;
    },
    get repositoryOnly() {
      return repository().repositoryOnly;
    },
  };
  const readiness = new IssuerReadiness({ issuers: options.issuers, clusterResourceNamespace: options.clusterResourceNamespace, secrets: lazySecrets, certificates: [], issuerOf: new Map(), blocked: new Set() });
  const status = new Map<CertificateResource, { issuer: IssuerResource } | { diagnostics: Diagnostic[] }>();
  for (const c of added) {
    const found = findIssuer(c, issuers, knownTypes, supported, leftOut);
    if (!("issuer" in found)) {
      status.set(c, { diagnostics: [found.problem] });
      continue;
    }
    const issuer = found.issuer;
    uses.set(issuer, (uses.get(issuer) ?? 0) + 1);
    // A Secret other Certificates write (a CA key pair): its readiness reads them.
    if (secretsOf(options.issuers, issuer, options.clusterResourceNamespace, c).some((need) => need.writtenByCertificates)) return undefined;
    const problem = readiness.problem(issuer, c);
    status.set(c, problem ? { diagnostics: [readinessDiagnostic(issuer, c, problem)] } : { issuer });
  }
  for (const [issuer, count] of uses) if ((count > 0) !== (memory.uses.get(issuer) ?? 0) > 0) return undefined;

  // In scan order: the others as they were resolved (their entries in the same order), the changed ones as worked out here.
  const ready: Resolution["ready"] = [];
  const blocked: Resolution["blocked"] = [];
  const gone = new Set(removed);
  let r = 0;
  let b = 0;
  for (const certificate of after) {
    const s = status.get(certificate);
    if (s) {
      if ("issuer" in s) ready.push({ certificate, issuer: s.issuer });
      else blocked.push({ certificate, diagnostics: s.diagnostics });
      continue;
    }
    while (r < previous.ready.length && gone.has(previous.ready[r]!.certificate)) r++;
    while (b < previous.blocked.length && gone.has(previous.blocked[b]!.certificate)) b++;
    if (previous.ready[r]?.certificate === certificate) ready.push(previous.ready[r++]!);
    else if (previous.blocked[b]?.certificate === certificate) blocked.push(previous.blocked[b++]!);
    else return undefined;
  }
  const resolution = { ready, blocked, diagnostics: previous.diagnostics, issuerProblems: previous.issuerProblems };
  RESOLVED.set(resolution, { scan, options, uses });
  return { resolution, anew: added };
}

/** The very same items in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function readinessDiagnostic(issuer: IssuerResource, cert: CertificateResource, problem: { code: string; message: string }): Diagnostic {
  return diagnostic(problem.code, `${objectLabel(issuerObject(issuer))} at ${at(issuer)} ${problem.message}`, { source: cert.source, object: certificateRef(cert) });
}

/**
 * Every Certificate whose issuer is invalid or not ready is blocked with
 * what is missing and where it was looked for; an Issuer no Certificate
 * uses gets one warning of its own.
 */
function checkIssuers(
  owners: readonly CertificateResource[],
  chosen: ReadonlyMap<CertificateResource, IssuerResource>,
  issuers: ReadonlyMap<string, IssuerResource>,
  knownTypes: ReadonlySet<string>,
  blocked: ReadonlySet<CertificateResource>,
  block: (c: CertificateResource, d: Diagnostic) => void,
  scan: ScanResult,
  options: ResolveOptions,
  issuerProblems: Map<IssuerResource, Diagnostic>,
): Diagnostic[] {
  const readiness = new IssuerReadiness({
    issuers: options.issuers,
    clusterResourceNamespace: options.clusterResourceNamespace,
    secrets: options.secrets ?? repositorySecrets(scan),
    certificates: owners,
    issuerOf: chosen,
    blocked,
  });
  for (const [cert, issuer] of chosen) {
    const problem = readiness.problem(issuer, cert);
    if (problem) block(cert, readinessDiagnostic(issuer, cert, problem));
  }
  const used = new Set(chosen.values());
  const unused: Diagnostic[] = [];
  for (const issuer of issuers.values()) {
    // Issuers without exactly one type were reported by the scan already.
    const types = issuerTypesIn(issuer.spec, knownTypes);
    if (types.length !== 1 || !options.issuers.has(types[0]!)) continue;
    const problem = readiness.problem(issuer);
    if (!problem) continue;
    const where = { source: issuer.source, object: issuerObject(issuer) };
    issuerProblems.set(issuer, diagnostic(problem.code, problem.message.replace(/^is (not ready|invalid): /, ""), where));
    if (!used.has(issuer)) unused.push(diagnostic(problem.code, problem.message, where, "warning"));
  }
  return unused;
}

/**
 * The issuer-type keys an issuer spec sets, among `known`. A key with a null
 * value (`selfSigned:` with nothing after it) is unset, as it is for
 * cert-manager, whose Go struct gets a nil pointer.
 */
export function issuerTypesIn(spec: Record<string, unknown>, known: ReadonlySet<string>): string[] {
  return Object.keys(spec).filter((k) => known.has(k) && spec[k] !== undefined && spec[k] !== null);
}

function issuerKey(kind: string, namespace: string, name: string): string {
  return `${kind}\0${namespace}\0${name}`;
}

function indexIssuers(list: readonly IssuerResource[], diagnostics: Diagnostic[]): Map<string, IssuerResource> {
  const index = new Map<string, IssuerResource>();
  for (const issuer of list) {
    const key = issuerKey(issuer.kind, issuer.namespace, issuer.name);
    const first = index.get(key);
    if (!first) {
      index.set(key, issuer);
      continue;
    }
    diagnostics.push(
      diagnostic(
        "DuplicateIssuer",
        `also defined at ${at(first)}; that first definition is used and this one ignored`,
        { source: issuer.source, object: issuerObject(issuer) },
      ),
    );
  }
  return index;
}

/**
 * One owner per namespace/name. Explicit Certificates claim first, in scan
 * order; then the ones derived from Ingresses and Gateways, because
 * cert-manager's shim never touches a Certificate it does not own.
 */
function claimNames(
  certificates: readonly CertificateResource[],
  block: (c: CertificateResource, d: Diagnostic) => void,
): CertificateResource[] {
  const claimed = new Map<string, CertificateResource>();
  const claim = (cert: CertificateResource) => {
    const key = `${cert.namespace}/${cert.name}`;
    const first = claimed.get(key);
    if (!first) {
      claimed.set(key, cert);
      return;
    }
    const where = { source: cert.source, object: certificateRef(cert) };
    if (cert.owner && !first.owner) {
      block(
        cert,
        diagnostic(
          "CertificateNotOwned",
          `${objectLabel(cert.owner)} would create this Certificate, but one of that name is defined at ${at(first)}; ` +
            "a Certificate the Ingress/Gateway does not own is never changed, so the explicit one is used",
          where,
        ),
      );
    } else {
      const other = first.owner ? `derived from ${objectLabel(first.owner)} at ${at(first)}` : `defined at ${at(first)}`;
      block(cert, diagnostic("DuplicateCertificate", `a Certificate of the same name is ${other}; that first one is used`, where));
    }
  };
  for (const cert of certificates) if (!cert.owner) claim(cert);
  for (const cert of certificates) if (cert.owner) claim(cert);
  const winners = new Set(claimed.values());
  return certificates.filter((c) => winners.has(c));
}

/** Two Certificates writing one Secret would overwrite each other on every run. */
function checkSecretNames(
  owners: readonly CertificateResource[],
  block: (c: CertificateResource, d: Diagnostic) => void,
): void {
  const writers = new Map<string, CertificateResource[]>();
  for (const cert of owners) {
    const key = `${cert.namespace}/${cert.spec.secretName}`;
    const list = writers.get(key);
    if (list) list.push(cert);
    else writers.set(key, [cert]);
  }
  for (const [secret, certs] of writers) {
    if (certs.length < 2) continue;
    const all = certs.map((c) => `${describe(c)} at ${at(c)}`).join(", ");
    for (const cert of certs) {
      block(
        cert,
        diagnostic(
          "DuplicateSecretName",
          `Secret ${secret} is written by ${certs.length} Certificates (${all}); none of them is issued until one Secret has one Certificate`,
          { source: cert.source, object: certificateRef(cert) },
        ),
      );
    }
  }
}

function findIssuer(
  cert: CertificateResource,
  issuers: ReadonlyMap<string, IssuerResource>,
  knownTypes: ReadonlySet<string>,
  supported: ReadonlySet<string>,
  leftOut: ReadonlyMap<string, Diagnostic>,
): { issuer: IssuerResource } | { problem: Diagnostic } {
  const where = { source: cert.source, object: certificateRef(cert) };
  const ref = cert.spec.issuerRef;
  const group = ref.group || CERT_MANAGER_GROUP;
  const kind = ref.kind || "Issuer";
  if (group !== CERT_MANAGER_GROUP) {
    return {
      problem: diagnostic(
        "ExternalIssuer",
        `issuerRef ${kind} ${ref.name} belongs to group ${group}: external issuers are not supported, only ${CERT_MANAGER_GROUP} Issuers and ClusterIssuers`,
        where,
      ),
    };
  }
  if (kind !== "Issuer" && kind !== "ClusterIssuer") {
    return {
      problem: diagnostic("UnknownIssuerKind", `issuerRef kind ${kind} is neither Issuer nor ClusterIssuer`, where),
    };
  }
  const namespace = kind === "Issuer" ? cert.namespace : "";
  const issuer = issuers.get(issuerKey(kind, namespace, ref.name));
  if (!issuer) {
    const wanted = kind === "Issuer" ? `Issuer ${cert.namespace}/${ref.name}` : `ClusterIssuer ${ref.name}`;
    const why = leftOut.get(issuerKey(kind, namespace, ref.name));
    if (why) {
      const there = why.source ? ` at ${why.source.file}:${why.source.line}` : "";
      return {
        problem: diagnostic("IssuerLeftOut", `${wanted}${there} is in the repository but was left out (wanted by ${describe(cert)} at ${at(cert)}): ${why.message}`, where),
      };
    }
    return {
      problem: diagnostic(
        "IssuerNotFound",
        `${wanted} not found in the repository (wanted by ${describe(cert)} at ${at(cert)})${notFoundHint(cert, ref, issuers)}`,
        where,
      ),
    };
  }
  const types = issuerTypesIn(issuer.spec, knownTypes);
  if (types.length !== 1) {
    const found = types.length === 0 ? "sets no issuer type" : `sets several issuer types (${types.join(", ")})`;
    return {
      problem: diagnostic("InvalidIssuer", `${objectLabel(issuerObject(issuer))} at ${at(issuer)} ${found}`, where),
    };
  }
  const type = types[0]!;
  if (!supported.has(type)) {
    return {
      problem: diagnostic(
        "UnsupportedIssuerType",
        `issuer type ${type} is not supported (${objectLabel(issuerObject(issuer))} at ${at(issuer)}); supported: ${[...supported].sort().join(", ")}`,
        where,
      ),
    };
  }
  return { issuer };
}

/**
 * Issuers the repository holds but the scan left out (a Flux variable not
 * substituted, a SOPS Secret that could not be opened, clusters rendering
 * it differently), by issuerKey: the diagnostic that said why.
 */
function leftOutIssuers(diagnostics: readonly Diagnostic[]): Map<string, Diagnostic> {
  const out = new Map<string, Diagnostic>();
  for (const d of diagnostics) {
    const o = d.object;
    if (!o || (o.kind !== "Issuer" && o.kind !== "ClusterIssuer") || (d.severity !== "error" && d.severity !== "warning")) continue;
    const key = issuerKey(o.kind, o.kind === "Issuer" ? (o.namespace ?? "") : "", o.name);
    if (!out.has(key)) out.set(key, d);
  }
  return out;
}

/** The usual mistakes: the wrong kind, or an Issuer in another namespace. */
function notFoundHint(cert: CertificateResource, ref: IssuerRef, issuers: ReadonlyMap<string, IssuerResource>): string {
  if (ref.kind === "ClusterIssuer") {
    return issuers.has(issuerKey("Issuer", cert.namespace, ref.name))
      ? `; an Issuer of that name exists in namespace ${cert.namespace} (issuerRef.kind: Issuer)`
      : "";
  }
  if (issuers.has(issuerKey("ClusterIssuer", "", ref.name))) {
    return "; a ClusterIssuer of that name exists (issuerRef.kind: ClusterIssuer)";
  }
  // Only on the failure path, so a scan of all issuers is affordable.
  const elsewhere: string[] = [];
  for (const i of issuers.values()) {
    if (i.kind === "Issuer" && i.name === ref.name) elsewhere.push(i.namespace);
  }
  return elsewhere.length > 0
    ? `; Issuers of that name exist in namespace ${elsewhere.join(", ")}, and an Issuer serves only its own namespace`
    : "";
}

function issuerObject(i: IssuerResource): ObjectRef {
  return i.kind === "Issuer" ? { kind: i.kind, namespace: i.namespace, name: i.name } : { kind: i.kind, name: i.name };
}

function describe(c: CertificateResource): string {
  const label = objectLabel(certificateRef(c));
  return c.owner ? `${label} (from ${objectLabel(c.owner)})` : label;
}

function at(x: { source: { file: string; line: number } }): string {
  return `${x.source.file}:${x.source.line}`;
}
