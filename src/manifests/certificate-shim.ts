// What the ingress-shim and the gateway-shim share, after cert-manager's
// pkg/controller/certificate-shim (sync.go, helper.go): the trigger
// annotations, issuer choice, the annotations that shape the Certificate,
// and turning one Secret's hosts into a raw Certificate that is then
// validated by certificate.ts like any Certificate written by hand.
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import { validateCertificateObject, CERTIFICATE_API_VERSION } from "./certificate.ts";
import type { CertificateResource, IssuerRef, ManifestDocument } from "./types.ts";
import { ipAddressProblem } from "./validate-names.ts";

export interface ShimOptions {
  /** Used by `kubernetes.io/tls-acme: "true"` (cert-manager's --default-issuer-*). */
  defaultIssuer?: IssuerRef;
}

export const ANNOTATION = {
  issuer: "cert-manager.io/issuer",
  clusterIssuer: "cert-manager.io/cluster-issuer",
  issuerKind: "cert-manager.io/issuer-kind",
  issuerGroup: "cert-manager.io/issuer-group",
  tlsAcme: "kubernetes.io/tls-acme",
  commonName: "cert-manager.io/common-name",
  altNames: "cert-manager.io/alt-names",
  ipSans: "cert-manager.io/ip-sans",
  emailSans: "cert-manager.io/email-sans",
  subjectOrganizations: "cert-manager.io/subject-organizations",
  subjectOrganizationalUnits: "cert-manager.io/subject-organizationalunits",
  subjectCountries: "cert-manager.io/subject-countries",
  subjectProvinces: "cert-manager.io/subject-provinces",
  subjectLocalities: "cert-manager.io/subject-localities",
  subjectPostalCodes: "cert-manager.io/subject-postalcodes",
  subjectStreetAddresses: "cert-manager.io/subject-streetaddresses",
  subjectSerialNumber: "cert-manager.io/subject-serialnumber",
  duration: "cert-manager.io/duration",
  renewBefore: "cert-manager.io/renew-before",
  renewBeforePercentage: "cert-manager.io/renew-before-percentage",
  usages: "cert-manager.io/usages",
  revisionHistoryLimit: "cert-manager.io/revision-history-limit",
  privateKeyAlgorithm: "cert-manager.io/private-key-algorithm",
  privateKeyEncoding: "cert-manager.io/private-key-encoding",
  privateKeySize: "cert-manager.io/private-key-size",
  privateKeyRotationPolicy: "cert-manager.io/private-key-rotation-policy",
  secretTemplate: "cert-manager.io/secret-template",
  ignoreTlsListeners: "cert-manager.io/ignore-tls-listeners",
} as const;

// Copying it would make the applier prune the Certificate (cert-manager#7306).
const APPLYSET_LABEL = "applyset.kubernetes.io/part-of";

const SUBJECT_ANNOTATIONS = [
  ["organizations", ANNOTATION.subjectOrganizations],
  ["organizationalUnits", ANNOTATION.subjectOrganizationalUnits],
  ["countries", ANNOTATION.subjectCountries],
  ["provinces", ANNOTATION.subjectProvinces],
  ["localities", ANNOTATION.subjectLocalities],
  ["postalCodes", ANNOTATION.subjectPostalCodes],
  ["streetAddresses", ANNOTATION.subjectStreetAddresses],
] as const;

/** Spec paths and the annotation each one is read from, for messages. */
const SPEC_ORIGINS: ReadonlyArray<readonly [string, string]> = [
  ["spec.commonName", ANNOTATION.commonName],
  ["spec.emailAddresses", ANNOTATION.emailSans],
  ...SUBJECT_ANNOTATIONS.map(([field, key]) => [`spec.subject.${field}`, key] as const),
  ["spec.subject.serialNumber", ANNOTATION.subjectSerialNumber],
  ["spec.duration", ANNOTATION.duration],
  ["spec.renewBefore", ANNOTATION.renewBefore],
  ["spec.renewBeforePercentage", ANNOTATION.renewBeforePercentage],
  ["spec.usages", ANNOTATION.usages],
  ["spec.revisionHistoryLimit", ANNOTATION.revisionHistoryLimit],
  ["spec.privateKey.algorithm", ANNOTATION.privateKeyAlgorithm],
  ["spec.privateKey.encoding", ANNOTATION.privateKeyEncoding],
  ["spec.privateKey.size", ANNOTATION.privateKeySize],
  ["spec.privateKey.rotationPolicy", ANNOTATION.privateKeyRotationPolicy],
  ["spec.secretTemplate", ANNOTATION.secretTemplate],
];

/** An Ingress or Gateway that asks for certificates, read far enough to derive them. */
export interface ShimObject {
  owner: ObjectRef & { namespace: string };
  source: SourceRef;
  annotations: Record<string, string>;
  /** Problems found so far; errors among them mean no Certificate is derived. */
  diagnostics: Diagnostic[];
  /** The issuer could not be determined: derived Certificates are not even validated. */
  issuerFailed: boolean;
  issuerRef: Record<string, string>;
  issuerOrigin: string;
  labels: unknown;
  /** The annotation-derived part of the raw Certificate spec. */
  spec: Record<string, unknown>;
  altNames: string[];
  ipSans: string[];
}

/**
 * Reads the trigger, issuer and shaping annotations of an Ingress-like
 * object. Undefined when the object does not ask for certificates at all
 * (no diagnostic: most Ingresses are none of gitcert's business).
 */
export function readShimObject(
  doc: ManifestDocument,
  namespace: string,
  kind: "Ingress" | "Gateway",
  options: ShimOptions,
): ShimObject | undefined {
  const metadata = isRecord(doc.object.metadata) ? doc.object.metadata : {};
  const rawAnnotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  // The tls-acme trigger is Ingress-only in cert-manager too.
  const triggered =
    ANNOTATION.issuer in rawAnnotations ||
    ANNOTATION.clusterIssuer in rawAnnotations ||
    // An unquoted YAML `true` is not a valid annotation, but it is plainly a
    // request: trigger, so the type error gets reported.
    (kind === "Ingress" && (parseGoBool(rawAnnotations[ANNOTATION.tlsAcme]) || rawAnnotations[ANNOTATION.tlsAcme] === true));
  if (!triggered) return undefined;

  const name = typeof metadata.name === "string" ? metadata.name : "";
  const owner = { kind, namespace, name: name || "<unnamed>" };
  const diagnostics: Diagnostic[] = [];
  const where = { source: doc.source, object: owner };
  const error = (code: string, message: string) => diagnostics.push(diagnostic(code, message, where));
  if (name === "") error("BadConfig", "metadata.name is required");

  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawAnnotations)) {
    if (typeof value === "string") annotations[key] = value;
    else if (value !== null && (key.startsWith("cert-manager.io/") || key === ANNOTATION.tlsAcme)) {
      error("InvalidAnnotation", `annotation ${key}: must be a string, not ${JSON.stringify(value)} (quote it in YAML)`);
    }
  }

  const issuer = issuerFromAnnotations(annotations, options);
  for (const message of issuer.errors) error("BadConfig", `cannot determine the issuer: ${message}`);

  const translated = translateAnnotations(annotations);
  for (const message of translated.errors) error("InvalidAnnotation", message);

  const labels = isRecord(metadata.labels) ? omit(metadata.labels, APPLYSET_LABEL) : metadata.labels;

  return {
    owner,
    source: doc.source,
    annotations,
    diagnostics,
    issuerFailed: issuer.errors.length > 0,
    issuerRef: issuer.ref,
    issuerOrigin: issuer.origin,
    labels,
    spec: translated.spec,
    altNames: translated.altNames,
    ipSans: translated.ipSans,
  };
}

/** cert-manager's issuerForIngressLike: annotations over the default issuer. */
function issuerFromAnnotations(
  annotations: Record<string, string>,
  options: ShimOptions,
): { ref: Record<string, string>; origin: string; errors: string[] } {
  let name = options.defaultIssuer?.name ?? "";
  let kind = options.defaultIssuer?.kind ?? "";
  // The default group applies even to an issuer named by annotation, as in cert-manager.
  let group = options.defaultIssuer?.group ?? "";
  let origin = "the default issuer";
  const issuer = annotations[ANNOTATION.issuer];
  const clusterIssuer = annotations[ANNOTATION.clusterIssuer];
  const issuerKind = annotations[ANNOTATION.issuerKind];
  const issuerGroup = annotations[ANNOTATION.issuerGroup];
  if (issuer !== undefined) {
    name = issuer;
    kind = "Issuer";
    origin = `annotation ${ANNOTATION.issuer}`;
  }
  if (clusterIssuer !== undefined) {
    name = clusterIssuer;
    kind = "ClusterIssuer";
    origin = `annotation ${ANNOTATION.clusterIssuer}`;
  }
  if (issuerKind !== undefined) kind = issuerKind;
  if (issuerGroup !== undefined) group = issuerGroup;

  const errors: string[] = [];
  if (name === "") {
    if (issuer !== undefined || clusterIssuer !== undefined) {
      errors.push(`annotation ${issuer !== undefined ? ANNOTATION.issuer : ANNOTATION.clusterIssuer} is empty`);
    } else if (annotations[ANNOTATION.tlsAcme] !== undefined) {
      errors.push(`${ANNOTATION.tlsAcme} is set but no default issuer is configured`);
    } else {
      errors.push(`no issuer name (set ${ANNOTATION.issuer} or ${ANNOTATION.clusterIssuer})`);
    }
  }
  const both = (a: string, b: string) => `both ${JSON.stringify(a)} and ${JSON.stringify(b)} may not be set`;
  if (issuer !== undefined && clusterIssuer !== undefined) errors.push(both(ANNOTATION.issuer, ANNOTATION.clusterIssuer));
  if (clusterIssuer !== undefined && issuerGroup !== undefined) errors.push(both(ANNOTATION.clusterIssuer, ANNOTATION.issuerGroup));
  if (clusterIssuer !== undefined && issuerKind !== undefined) errors.push(both(ANNOTATION.clusterIssuer, ANNOTATION.issuerKind));
  return { ref: { name, kind, group }, origin, errors };
}

/**
 * cert-manager's translateAnnotations, split in two: parsing the annotation
 * text (lists, integers, CSV, JSON) happens here; what the values must be
 * (valid IPs, durations ≥ 1h, known usages…) is left to certificate.ts.
 */
function translateAnnotations(annotations: Record<string, string>): {
  spec: Record<string, unknown>;
  altNames: string[];
  ipSans: string[];
  errors: string[];
} {
  const spec: Record<string, unknown> = {};
  const errors: string[] = [];
  const fail = (key: string, message: string) => errors.push(`annotation ${key}: ${message}`);
  const get = (key: string) => annotations[key];

  const commonName = get(ANNOTATION.commonName);
  if (commonName !== undefined) spec.commonName = commonName;
  const altNames = splitList(get(ANNOTATION.altNames));
  const ipSans = splitList(get(ANNOTATION.ipSans));
  const emails = splitList(get(ANNOTATION.emailSans));
  if (emails.length > 0) spec.emailAddresses = emails;

  const subject: Record<string, unknown> = {};
  for (const [field, key] of SUBJECT_ANNOTATIONS) {
    const value = get(key);
    if (value === undefined) continue;
    const parsed = parseCsvRecord(value);
    if (parsed.ok) subject[field] = parsed.values;
    else fail(key, parsed.error);
  }
  const serialNumber = get(ANNOTATION.subjectSerialNumber);
  if (serialNumber !== undefined) subject.serialNumber = serialNumber;
  if (Object.keys(subject).length > 0) spec.subject = subject;

  for (const [field, key] of [
    ["duration", ANNOTATION.duration],
    ["renewBefore", ANNOTATION.renewBefore],
  ] as const) {
    const value = get(key);
    if (value !== undefined) spec[field] = value;
  }
  for (const [field, key] of [
    ["renewBeforePercentage", ANNOTATION.renewBeforePercentage],
    ["revisionHistoryLimit", ANNOTATION.revisionHistoryLimit],
  ] as const) {
    const value = get(key);
    if (value === undefined) continue;
    const n = parseGoInt32(value);
    if (n === undefined) fail(key, `${JSON.stringify(value)} is not an integer`);
    else spec[field] = n;
  }

  const usages = get(ANNOTATION.usages);
  if (usages !== undefined) spec.usages = usages.split(",").map((u) => u.trim());

  const privateKey: Record<string, unknown> = {};
  const algorithm = get(ANNOTATION.privateKeyAlgorithm);
  if (algorithm !== undefined) privateKey.algorithm = algorithm;
  const encoding = get(ANNOTATION.privateKeyEncoding);
  if (encoding !== undefined) privateKey.encoding = encoding;
  const size = get(ANNOTATION.privateKeySize);
  if (size !== undefined) {
    const n = parseGoInt32(size);
    if (n === undefined) fail(ANNOTATION.privateKeySize, `${JSON.stringify(size)} is not an integer`);
    // 0 would silently mean "default size" in a Certificate; here it is a typo.
    else if (n <= 0) fail(ANNOTATION.privateKeySize, `${JSON.stringify(size)} is not a valid key size`);
    else privateKey.size = n;
  }
  const rotationPolicy = get(ANNOTATION.privateKeyRotationPolicy);
  if (rotationPolicy !== undefined) privateKey.rotationPolicy = rotationPolicy;
  if (Object.keys(privateKey).length > 0) spec.privateKey = privateKey;

  const secretTemplate = get(ANNOTATION.secretTemplate);
  if (secretTemplate !== undefined) {
    const parsed = parseSecretTemplate(secretTemplate);
    if ("error" in parsed) fail(ANNOTATION.secretTemplate, parsed.error);
    else if (parsed.template) spec.secretTemplate = parsed.template;
  }

  return { spec, altNames, ipSans, errors };
}

/** Strict like Go's json.Decoder with DisallowUnknownFields. */
function parseSecretTemplate(text: string): { template?: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(value)) return { error: 'must be a JSON object like {"labels": {…}, "annotations": {…}}' };
  for (const key of Object.keys(value)) {
    if (key !== "labels" && key !== "annotations") return { error: `unknown field ${JSON.stringify(key)} (only labels and annotations)` };
  }
  const template: Record<string, unknown> = {};
  for (const key of ["labels", "annotations"] as const) {
    const map = value[key];
    if (map === undefined || map === null) continue;
    if (!isRecord(map) || !Object.values(map).every((v) => typeof v === "string")) {
      return { error: `${key} must be an object of strings` };
    }
    if (Object.keys(map).length > 0) template[key] = map;
  }
  return Object.keys(template).length > 0 ? { template } : {};
}

export interface HostRef {
  host: string;
  /** Where the host was written, e.g. `spec.tls[0].hosts` or `spec.listeners[1].hostname`. */
  origin: string;
}

/**
 * One Certificate named after its Secret: hosts split into DNS names and IP
 * addresses and de-duplicated, then the annotation SANs, then validated as
 * a Certificate. Problems land in shim.diagnostics against the owner.
 */
export function certificateForSecret(
  shim: ShimObject,
  secretName: string,
  secretNameOrigin: string,
  hosts: HostRef[],
): CertificateResource | undefined {
  const dnsNames: HostRef[] = [];
  const ipAddresses: HostRef[] = [];
  const seen = new Set<string>();
  const add = (list: HostRef[], ref: HostRef) => {
    if (seen.has(ref.host)) return;
    seen.add(ref.host);
    list.push(ref);
  };
  for (const ref of hosts) add(ipAddressProblem(ref.host) === undefined ? ipAddresses : dnsNames, ref);
  for (const host of shim.altNames) add(dnsNames, { host, origin: `annotation ${ANNOTATION.altNames}` });
  for (const host of shim.ipSans) add(ipAddresses, { host, origin: `annotation ${ANNOTATION.ipSans}` });

  const raw = {
    apiVersion: CERTIFICATE_API_VERSION,
    kind: "Certificate",
    metadata: { name: secretName, ...(shim.labels === undefined ? {} : { labels: shim.labels }) },
    spec: {
      ...shim.spec,
      secretName,
      dnsNames: dnsNames.map((r) => r.host),
      ipAddresses: ipAddresses.map((r) => r.host),
      issuerRef: shim.issuerRef,
    },
  };
  const origin = (path: string): string | undefined => {
    const indexed = /^spec\.(dnsNames|ipAddresses)\[(\d+)\]/.exec(path);
    if (indexed) return (indexed[1] === "dnsNames" ? dnsNames : ipAddresses)[Number(indexed[2])]?.origin;
    if (path === "metadata.name" || path === "spec.secretName") return secretNameOrigin;
    if (path.startsWith("metadata.labels")) return `${shim.owner.kind} metadata.labels`;
    if (path.startsWith("spec.issuerRef")) return shim.issuerOrigin;
    for (const [prefix, key] of SPEC_ORIGINS) {
      if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) return `annotation ${key}`;
    }
    return undefined;
  };
  const { certificate, diagnostics } = validateCertificateObject(raw, shim.owner.namespace, shim.source, {
    origin,
    reportAs: shim.owner,
    messagePrefix: `Certificate ${JSON.stringify(secretName)}: `,
    owner: shim.owner,
  });
  shim.diagnostics.push(...diagnostics);
  return certificate;
}

export function hasErrors(diagnostics: Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Go's strconv.ParseBool truths, as cert-manager reads `kubernetes.io/tls-acme`. */
function parseGoBool(value: unknown): boolean {
  return typeof value === "string" && ["1", "t", "T", "TRUE", "true", "True"].includes(value);
}

/** Go's strconv.ParseInt(s, 10, 32). */
function parseGoInt32(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}

/**
 * Comma-separated list, trimmed, empties dropped: `a.example.com, b.example.com,`.
 * cert-manager does not trim alt-names; a space there only ever makes an
 * invalid DNS name, so trimming loses nothing.
 */
function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * One record of Go's encoding/csv (cert-manager's SplitWithEscapeCSV), so
 * `"10 Downing Street, Westminster",Manchester` is two values. Values are
 * not trimmed, as in Go.
 */
export function parseCsvRecord(text: string): { ok: true; values: string[] } | { ok: false; error: string } {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const input = text.replace(/\r\n/g, "\n");
  let atLineStart = true;
  while (i <= input.length) {
    if (atLineStart && input[i] === "\n") {
      i++; // Go skips empty lines
      continue;
    }
    if (i === input.length) break;
    atLineStart = false;
    let field = "";
    if (input[i] === '"') {
      i++;
      for (;;) {
        if (i >= input.length) return { ok: false, error: `failed to parse ${JSON.stringify(text)} as CSV: extraneous or missing " in quoted-field` };
        if (input[i] === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += input[i];
        i++;
      }
      if (i < input.length && input[i] !== "," && input[i] !== "\n") {
        return { ok: false, error: `failed to parse ${JSON.stringify(text)} as CSV: extraneous or missing " in quoted-field` };
      }
    } else {
      while (i < input.length && input[i] !== "," && input[i] !== "\n") {
        if (input[i] === '"') return { ok: false, error: `failed to parse ${JSON.stringify(text)} as CSV: bare " in non-quoted-field` };
        field += input[i];
        i++;
      }
    }
    record.push(field);
    if (input[i] === ",") {
      i++;
      if (i === input.length || input[i] === "\n") {
        record.push("");
      } else continue;
    }
    records.push(record);
    record = [];
    atLineStart = true;
    if (input[i] === "\n") i++;
  }
  if (records.length === 0) return { ok: false, error: `no values found after parsing ${JSON.stringify(text)}` };
  if (records.length > 1) return { ok: false, error: `refusing to use ${JSON.stringify(text)} as it parses as multiple lines of CSV` };
  return { ok: true, values: records[0]! };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function omit(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
