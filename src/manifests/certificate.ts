// A raw cert-manager.io/v1 Certificate object -> a validated CertificateSpec
// with cert-manager's defaults. The rules are those of cert-manager's webhook
// (internal/apis/certmanager/validation/certificate.go) and CRD schema, plus
// the syntax of every SAN and of every name that later becomes a file path.
// Certificates the ingress/gateway shims derive go through here as well, so
// each rule lives in one place.
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import { cronProblem } from "./cron.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { COMMON_NAME_OID, parseLiteralSubject } from "./literal-subject.ts";
import type {
  CertificateResource,
  CertificateSpec,
  IssuerRef,
  KeyAlgorithm,
  Labels,
  ManifestDocument,
  OutputFormat,
  PrivateKeySpec,
  X509Subject,
} from "./types.ts";
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  dnsNameProblem,
  emailAddressProblem,
  ipAddressProblem,
  labelValueProblem,
  qualifiedNameProblem,
  uriProblem,
} from "./validate-names.ts";

export const CERTIFICATE_API_VERSION = "cert-manager.io/v1";

/** Seconds. cert-manager's defaults and limits (pkg/apis/certmanager/v1/const.go). */
export const DEFAULT_DURATION = 90 * 24 * 3600;
export const MINIMUM_DURATION = 3600;
export const MINIMUM_RENEW_BEFORE = 5 * 60;

export const DEFAULT_USAGES: readonly string[] = ["digital signature", "key encipherment"];

/** Every name cert-manager maps to an x509 KeyUsage or ExtKeyUsage (pkg/api/util/usages.go). */
export const KNOWN_USAGES: ReadonlySet<string> = new Set([
  "signing",
  "digital signature",
  "content commitment",
  "key encipherment",
  "key agreement",
  "data encipherment",
  "cert sign",
  "crl sign",
  "encipher only",
  "decipher only",
  "any",
  "server auth",
  "client auth",
  "code signing",
  "email protection",
  "s/mime",
  "ipsec end system",
  "ipsec tunnel",
  "ipsec user",
  "timestamping",
  "ocsp signing",
  "microsoft sgc",
  "netscape sgc",
]);

const SIGNATURE_ALGORITHMS: Record<KeyAlgorithm, readonly string[]> = {
  RSA: ["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA"],
  ECDSA: ["ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512"],
  Ed25519: ["PureEd25519"],
};

const SPEC_FIELDS = new Set([
  "subject",
  "literalSubject",
  "commonName",
  "duration",
  "renewBefore",
  "renewBeforePercentage",
  "renewal",
  "dnsNames",
  "ipAddresses",
  "uris",
  "otherNames",
  "emailAddresses",
  "secretName",
  "secretTemplate",
  "keystores",
  "issuerRef",
  "isCA",
  "usages",
  "privateKey",
  "signatureAlgorithm",
  "encodeUsagesInRequest",
  "revisionHistoryLimit",
  "additionalOutputFormats",
  "nameConstraints",
]);

const SUBJECT_LISTS = [
  "organizations",
  "countries",
  "organizationalUnits",
  "localities",
  "provinces",
  "streetAddresses",
  "postalCodes",
] as const;

export interface CertificateValidationOptions {
  /**
   * Where a spec path came from when the Certificate was derived (an
   * annotation or an Ingress field), so a message points at what to edit:
   * `spec.dnsNames[2] (from annotation cert-manager.io/alt-names): …`.
   */
  origin?: (path: string) => string | undefined;
  /** The object diagnostics are reported against (default: the Certificate). */
  reportAs?: ObjectRef;
  /** Put before each message, e.g. `Certificate "web-tls": `. */
  messagePrefix?: string;
  owner?: ObjectRef;
}

export function certificateFromManifest(
  doc: ManifestDocument,
  namespace: string,
): { certificate?: CertificateResource; diagnostics: Diagnostic[] } {
  return validateCertificateObject(doc.object, namespace, doc.source);
}

export function validateCertificateObject(
  object: Record<string, unknown>,
  namespace: string,
  source: SourceRef,
  options: CertificateValidationOptions = {},
): { certificate?: CertificateResource; diagnostics: Diagnostic[] } {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const rawName = metadata.name;
  const name = typeof rawName === "string" && rawName !== "" ? rawName : "<unnamed>";
  const check = new Checker(
    { source, object: options.reportAs ?? { kind: "Certificate", namespace, name } },
    options.origin,
    options.messagePrefix ?? "",
  );

  if (object.apiVersion !== CERTIFICATE_API_VERSION) {
    check.error("apiVersion", `${JSON.stringify(object.apiVersion ?? "")} is not supported: gitcert reads ${CERTIFICATE_API_VERSION} Certificates`);
  }
  if (object.metadata !== undefined && !isRecord(object.metadata)) check.error("metadata", "must be an object");
  if (typeof rawName !== "string" || rawName === "") check.error("metadata.name", "is required");
  else check.problem("metadata.name", rawName, dns1123SubdomainProblem(rawName), "is not a valid object name");
  check.problem("metadata.namespace", namespace, dns1123LabelProblem(namespace), "is not a valid namespace");
  const labels = check.labels(metadata, "labels", "metadata.labels") ?? {};

  if (!isRecord(object.spec)) {
    check.error("spec", object.spec === undefined || object.spec === null ? "is required" : "must be an object");
    return { diagnostics: check.diagnostics };
  }
  const spec = validateSpec(object.spec, check);
  if (check.failed || spec === undefined) return { diagnostics: check.diagnostics };
  const certificate: CertificateResource = { name, namespace, labels, spec, source };
  if (options.owner) certificate.owner = options.owner;
  return { certificate, diagnostics: check.diagnostics };
}

function validateSpec(spec: Record<string, unknown>, check: Checker): CertificateSpec | undefined {
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(key)) {
      check.warning("UnknownField", `spec.${key}`, "is not a field of a cert-manager.io/v1 Certificate and is ignored");
    }
  }

  const secretName = check.string(spec, "secretName", "spec.secretName");
  if (secretName === undefined || secretName === "") check.error("spec.secretName", "is required");
  else check.problem("spec.secretName", secretName, dns1123SubdomainProblem(secretName), "is not a valid Secret name");

  const issuerRef = validateIssuerRef(spec, check);

  const commonName = check.string(spec, "commonName", "spec.commonName") || undefined;
  const literalSubject = check.string(spec, "literalSubject", "spec.literalSubject") || undefined;
  const subject = validateSubject(spec, check);
  let effectiveCommonName = commonName;
  if (literalSubject !== undefined) {
    if (commonName !== undefined) check.error("spec.commonName", "must not be set together with spec.literalSubject");
    if (subject !== undefined) check.error("spec.subject", "must not be set together with spec.literalSubject");
    const parsed = parseLiteralSubject(literalSubject);
    if (!parsed.ok) {
      check.error("spec.literalSubject", `${JSON.stringify(literalSubject)} is not a valid RFC 4514 subject: ${parsed.error}`);
    } else {
      for (const attribute of parsed.rdns.flat()) {
        if (attribute.oid === undefined) {
          check.error(
            "spec.literalSubject",
            `unrecognised attribute type ${JSON.stringify(attribute.type)} (use C, O, OU, CN, SERIALNUMBER, L, ST, STREET, DC, UID or a dotted OID; names are case-sensitive)`,
          );
        }
        if (attribute.oid === COMMON_NAME_OID) effectiveCommonName = attribute.value;
      }
    }
  }
  if (effectiveCommonName !== undefined && utf8Length(effectiveCommonName) > 64) {
    const where = literalSubject !== undefined ? "spec.literalSubject" : "spec.commonName";
    check.error(where, `common name must be no more than 64 bytes (it has ${utf8Length(effectiveCommonName)})`);
  }

  const dnsNames = check.stringList(spec, "dnsNames", "spec.dnsNames");
  dnsNames.forEach((v, i) => check.problem(`spec.dnsNames[${i}]`, v, dnsNameProblem(v), "is not a valid DNS name"));
  const ipAddresses = check.stringList(spec, "ipAddresses", "spec.ipAddresses");
  ipAddresses.forEach((v, i) => check.problem(`spec.ipAddresses[${i}]`, v, ipAddressProblem(v), "is not a valid IP address"));
  const uris = check.stringList(spec, "uris", "spec.uris");
  uris.forEach((v, i) => check.problem(`spec.uris[${i}]`, v, uriProblem(v), "is not a valid URI"));
  const emailAddresses = check.stringList(spec, "emailAddresses", "spec.emailAddresses");
  emailAddresses.forEach((v, i) =>
    check.problem(`spec.emailAddresses[${i}]`, v, emailAddressProblem(v), "is not a valid email address"),
  );
  const otherNames = spec.otherNames;
  const hasOtherNames = Array.isArray(otherNames) && otherNames.length > 0;
  if (hasOtherNames) {
    // Behind cert-manager's alpha OtherNames gate (off by default), and not
    // something gitcert can put in a CSR: refuse rather than issue without them.
    check.error("spec.otherNames", "is not supported (an alpha cert-manager feature)");
  }
  if (
    effectiveCommonName === undefined &&
    dnsNames.length === 0 &&
    uris.length === 0 &&
    emailAddresses.length === 0 &&
    ipAddresses.length === 0 &&
    !hasOtherNames
  ) {
    check.error(
      "spec",
      "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailAddresses, ipAddresses, otherNames or uris must be set",
    );
  }

  const { duration, renewBefore, renewBeforePercentage } = validateDurations(spec, check);
  const renewalPolicy = validateRenewal(spec, check);

  const isCA = check.boolean(spec, "isCA", "spec.isCA") ?? false;
  const declaredUsages = check.stringList(spec, "usages", "spec.usages");
  declaredUsages.forEach((u, i) => {
    if (!KNOWN_USAGES.has(u)) check.error(`spec.usages[${i}]`, `${JSON.stringify(u)} is not a known key usage (e.g. "digital signature", "server auth")`);
  });
  const usages = declaredUsages.length > 0 ? declaredUsages : [...DEFAULT_USAGES];

  const privateKey = validatePrivateKey(spec, check);
  const signatureAlgorithm = check.string(spec, "signatureAlgorithm", "spec.signatureAlgorithm");
  if (signatureAlgorithm) {
    const allowed = SIGNATURE_ALGORITHMS[privateKey.algorithm];
    if (!allowed.includes(signatureAlgorithm)) {
      check.error("spec.signatureAlgorithm", `${JSON.stringify(signatureAlgorithm)} is not allowed for key algorithm ${privateKey.algorithm} (use one of ${allowed.join(", ")})`);
    } else {
      check.warning("UnsupportedField", "spec.signatureAlgorithm", "is not supported yet: the issuer's default signature algorithm for the key is used");
    }
  }
  if (check.boolean(spec, "encodeUsagesInRequest", "spec.encodeUsagesInRequest") === false) {
    check.warning("UnsupportedField", "spec.encodeUsagesInRequest", "is not supported yet: usages are always encoded in the request");
  }

  let revisionHistoryLimit = 1;
  const limit = check.integer(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit");
  if (limit !== undefined) {
    if (limit < 1) check.error("spec.revisionHistoryLimit", `must not be less than 1 (got ${limit})`);
    revisionHistoryLimit = limit;
  }

  const secretTemplate = validateSecretTemplate(spec, check);
  const additionalOutputFormats = validateOutputFormats(spec, check);
  validateKeystores(spec, check);
  if (spec.nameConstraints !== undefined && spec.nameConstraints !== null) {
    check.error("spec.nameConstraints", "is not supported (an alpha cert-manager feature)");
  }

  if (secretName === undefined || issuerRef === undefined) return undefined;
  const result: CertificateSpec = {
    secretName,
    dnsNames,
    ipAddresses,
    uris,
    emailAddresses,
    duration,
    renewalPolicy,
    issuerRef,
    isCA,
    usages,
    privateKey,
    secretTemplate,
    additionalOutputFormats,
    revisionHistoryLimit,
  };
  if (commonName !== undefined) result.commonName = commonName;
  if (literalSubject !== undefined) result.literalSubject = literalSubject;
  if (subject !== undefined) result.subject = subject;
  if (renewBefore !== undefined) result.renewBefore = renewBefore;
  if (renewBeforePercentage !== undefined) result.renewBeforePercentage = renewBeforePercentage;
  return result;
}

function validateIssuerRef(spec: Record<string, unknown>, check: Checker): IssuerRef | undefined {
  const ref = check.object(spec, "issuerRef", "spec.issuerRef");
  if (ref === undefined) {
    if (spec.issuerRef === undefined || spec.issuerRef === null) check.error("spec.issuerRef", "is required");
    return undefined;
  }
  const name = check.string(ref, "name", "spec.issuerRef.name") ?? "";
  if (name === "") check.error("spec.issuerRef.name", "is required");
  const kind = check.string(ref, "kind", "spec.issuerRef.kind") ?? "";
  const group = check.string(ref, "group", "spec.issuerRef.group") ?? "";
  // Only cert-manager's own group has known kinds; external issuers bring theirs.
  if ((group === "" || group === "cert-manager.io") && kind !== "" && kind !== "Issuer" && kind !== "ClusterIssuer") {
    check.error(
      "spec.issuerRef.kind",
      `${JSON.stringify(kind)} must be one of Issuer or ClusterIssuer${group === "" ? " (did you forget to set spec.issuerRef.group?)" : ""}`,
    );
  }
  return { name, kind: kind || "Issuer", group: group || "cert-manager.io" };
}

function validateSubject(spec: Record<string, unknown>, check: Checker): X509Subject | undefined {
  const raw = check.object(spec, "subject", "spec.subject");
  if (raw === undefined) return undefined;
  const subject: X509Subject = {};
  for (const key of Object.keys(raw)) {
    if (!(SUBJECT_LISTS as readonly string[]).includes(key) && key !== "serialNumber") {
      check.warning("UnknownField", `spec.subject.${key}`, "is not a subject field and is ignored");
    }
  }
  for (const key of SUBJECT_LISTS) {
    const values = check.stringList(raw, key, `spec.subject.${key}`);
    if (values.length > 0) subject[key] = values;
  }
  const serialNumber = check.string(raw, "serialNumber", "spec.subject.serialNumber");
  if (serialNumber) subject.serialNumber = serialNumber;
  return Object.keys(subject).length > 0 ? subject : undefined;
}

function validateDurations(
  spec: Record<string, unknown>,
  check: Checker,
): { duration: number; renewBefore?: number; renewBeforePercentage?: number } {
  const declaredDuration = check.duration(spec, "duration", "spec.duration");
  // A duration that did not parse is reported once; comparing renewBefore
  // with the default instead would only add a misleading second message.
  const durationKnown = declaredDuration !== undefined || spec.duration === undefined || spec.duration === null;
  const duration = declaredDuration ?? DEFAULT_DURATION;
  if (duration < MINIMUM_DURATION) {
    check.error("spec.duration", `${formatDuration(duration)} is too short: a certificate duration must be at least ${formatDuration(MINIMUM_DURATION)}`);
  }
  const renewBefore = check.duration(spec, "renewBefore", "spec.renewBefore");
  const renewBeforePercentage = check.integer(spec, "renewBeforePercentage", "spec.renewBeforePercentage");
  if (renewBefore !== undefined && renewBeforePercentage !== undefined) {
    check.error("spec.renewBefore", "must not be set together with spec.renewBeforePercentage");
  }
  if (renewBefore !== undefined) {
    if (renewBefore < MINIMUM_RENEW_BEFORE) {
      check.error("spec.renewBefore", `${formatDuration(renewBefore)} is too short: renewBefore must be at least ${formatDuration(MINIMUM_RENEW_BEFORE)}`);
    }
    if (durationKnown && renewBefore >= duration) {
      check.error("spec.renewBefore", `${formatDuration(renewBefore)} must be less than the duration ${formatDuration(duration)}`);
    }
  }
  if (renewBeforePercentage !== undefined) {
    if (renewBeforePercentage <= 0 || renewBeforePercentage >= 100) {
      check.error("spec.renewBeforePercentage", `must be between 1 and 99 (got ${renewBeforePercentage})`);
    } else if (durationKnown) {
      // The renewBefore cert-manager actually uses (pkg/util/pki/renewaltime.go).
      const effective = (duration * renewBeforePercentage) / 100;
      if (effective < MINIMUM_RENEW_BEFORE) {
        check.error(
          "spec.renewBeforePercentage",
          `${renewBeforePercentage}% of ${formatDuration(duration)} is ${formatDuration(effective)}, less than the minimum renewBefore of ${formatDuration(MINIMUM_RENEW_BEFORE)}`,
        );
      }
    }
  }
  const out: { duration: number; renewBefore?: number; renewBeforePercentage?: number } = { duration };
  if (renewBefore !== undefined) out.renewBefore = renewBefore;
  if (renewBeforePercentage !== undefined) out.renewBeforePercentage = renewBeforePercentage;
  return out;
}

function validateRenewal(spec: Record<string, unknown>, check: Checker): CertificateSpec["renewalPolicy"] {
  const renewal = check.object(spec, "renewal", "spec.renewal");
  if (renewal === undefined) return "RenewBefore";
  const policy = check.string(renewal, "policy", "spec.renewal.policy") || "RenewBefore";
  if (policy !== "RenewBefore" && policy !== "Disabled") {
    check.error("spec.renewal.policy", `${JSON.stringify(policy)} is not supported (use RenewBefore or Disabled)`);
  }
  const windows = check.list(renewal, "windows", "spec.renewal.windows");
  if (windows.length > 0) {
    if (policy === "Disabled") check.error("spec.renewal.windows", "must not be set when spec.renewal.policy is Disabled");
    windows.forEach((w, i) => {
      const path = `spec.renewal.windows[${i}]`;
      if (!isRecord(w)) return check.error(path, "must be an object");
      if (w.windowDuration === undefined || w.windowDuration === null) check.error(`${path}.windowDuration`, "is required");
      else check.duration(w, "windowDuration", `${path}.windowDuration`);
      const timezone = check.string(w, "timezone", `${path}.timezone`);
      if (timezone && !isTimeZone(timezone)) check.error(`${path}.timezone`, `${JSON.stringify(timezone)} is not an IANA time zone`);
      const cron = check.string(w, "cron", `${path}.cron`) ?? "";
      check.problem(`${path}.cron`, cron, cronProblem(cron), "is not valid cron syntax");
    });
    check.warning("UnsupportedField", "spec.renewal.windows", "is not supported yet: renewal happens at the renewal time, outside any window");
  }
  return policy === "Disabled" ? "Disabled" : "RenewBefore";
}

function validatePrivateKey(spec: Record<string, unknown>, check: Checker): PrivateKeySpec {
  const raw = check.object(spec, "privateKey", "spec.privateKey") ?? {};
  let algorithm: KeyAlgorithm = "RSA";
  const declared = check.string(raw, "algorithm", "spec.privateKey.algorithm") ?? "";
  if (declared === "RSA" || declared === "ECDSA" || declared === "Ed25519") algorithm = declared;
  else if (declared !== "") check.error("spec.privateKey.algorithm", `${JSON.stringify(declared)} is not supported (use RSA, ECDSA or Ed25519)`);

  const declaredSize = check.integer(raw, "size", "spec.privateKey.size") ?? 0;
  let size = declaredSize;
  if (algorithm === "RSA") {
    if (size === 0) size = 2048;
    else if (size < 2048 || size > 8192) check.error("spec.privateKey.size", `must be between 2048 and 8192 for RSA keys (got ${size})`);
  } else if (algorithm === "ECDSA") {
    if (size === 0) size = 256;
    else if (size !== 256 && size !== 384 && size !== 521) check.error("spec.privateKey.size", `must be 256, 384 or 521 for ECDSA keys (got ${size})`);
  } else {
    size = 0; // ignored for Ed25519, as in cert-manager
  }

  const encoding = check.string(raw, "encoding", "spec.privateKey.encoding") || "PKCS1";
  if (encoding !== "PKCS1" && encoding !== "PKCS8") {
    check.error("spec.privateKey.encoding", `${JSON.stringify(encoding)} is not supported (use PKCS1 or PKCS8)`);
  }
  const rotationPolicy = check.string(raw, "rotationPolicy", "spec.privateKey.rotationPolicy") || "Always";
  if (rotationPolicy !== "Always" && rotationPolicy !== "Never") {
    check.error("spec.privateKey.rotationPolicy", `${JSON.stringify(rotationPolicy)} is not supported (use Always or Never)`);
  }
  return {
    algorithm,
    size,
    // Ed25519 has no PKCS#1 form; cert-manager writes PKCS#8 whatever is asked.
    encoding: algorithm === "Ed25519" || encoding === "PKCS8" ? "PKCS8" : "PKCS1",
    rotationPolicy: rotationPolicy === "Never" ? "Never" : "Always",
  };
}

// The size limit apimachinery's ValidateAnnotations enforces.
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

function validateSecretTemplate(spec: Record<string, unknown>, check: Checker): CertificateSpec["secretTemplate"] {
  const raw = check.object(spec, "secretTemplate", "spec.secretTemplate");
  if (raw === undefined) return { annotations: {}, labels: {} };
  const labels = check.labels(raw, "labels", "spec.secretTemplate.labels") ?? {};
  const annotations = check.stringMap(raw, "annotations", "spec.secretTemplate.annotations") ?? {};
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const path = `spec.secretTemplate.annotations[${JSON.stringify(key)}]`;
    // cert-manager owns these on the Secret; a template must not forge them.
    if (key.startsWith("cert-manager.io/") && key !== "cert-manager.io/allow-direct-injection") {
      check.error(path, "cert-manager.io/* annotations are not allowed in a secretTemplate");
    } else {
      check.problem(path, key, qualifiedNameProblem(key), "is not a valid annotation key");
    }
    bytes += utf8Length(key) + utf8Length(value);
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) check.error("spec.secretTemplate.annotations", `are too long: ${bytes} bytes, at most ${MAX_ANNOTATIONS_BYTES}`);
  return { annotations, labels };
}

function validateOutputFormats(spec: Record<string, unknown>, check: Checker): OutputFormat[] {
  const formats: OutputFormat[] = [];
  check.list(spec, "additionalOutputFormats", "spec.additionalOutputFormats").forEach((entry, i) => {
    const path = `spec.additionalOutputFormats[${i}]`;
    if (!isRecord(entry)) return check.error(path, "must be an object with a type");
    const type = check.string(entry, "type", `${path}.type`);
    if (type !== "DER" && type !== "CombinedPEM") {
      return check.error(`${path}.type`, `${JSON.stringify(type ?? "")} is not supported (use DER or CombinedPEM)`);
    }
    if (formats.includes(type)) return check.error(`${path}.type`, `${JSON.stringify(type)} is listed more than once`);
    formats.push(type);
  });
  return formats;
}

function validateKeystores(spec: Record<string, unknown>, check: Checker): void {
  const keystores = check.object(spec, "keystores", "spec.keystores");
  if (keystores === undefined) return;
  for (const [key, label] of [["jks", "JKS"], ["pkcs12", "PKCS#12"]] as const) {
    const store = check.object(keystores, key, `spec.keystores.${key}`);
    if (store === undefined) continue;
    const path = `spec.keystores.${key}`;
    const password = check.string(store, "password", `${path}.password`);
    const ref = check.object(store, "passwordSecretRef", `${path}.passwordSecretRef`);
    const refName = ref && typeof ref.name === "string" ? ref.name : "";
    if (password !== undefined && refName !== "") check.error(path, `set exactly one of passwordSecretRef and password for ${label} keystores, not both`);
    if (password === undefined && refName === "") check.error(path, `set exactly one of passwordSecretRef and password for ${label} keystores`);
    if (password === "") check.error(`${path}.password`, `a literal password must not be empty for ${label} keystores`);
    if (store.create === true) {
      check.warning("UnsupportedField", path, `is not supported yet: the Secret will not contain a ${label} keystore`);
    }
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Collects every problem of one object, each naming its field, and reads
 * fields with their expected types. YAML `null` counts as unset, as it does
 * for the Kubernetes API.
 */
class Checker {
  readonly diagnostics: Diagnostic[] = [];
  failed = false;

  private readonly where: { source: SourceRef; object: ObjectRef };
  private readonly origin: ((path: string) => string | undefined) | undefined;
  private readonly prefix: string;

  constructor(
    where: { source: SourceRef; object: ObjectRef },
    origin: ((path: string) => string | undefined) | undefined,
    prefix: string,
  ) {
    this.where = where;
    this.origin = origin;
    this.prefix = prefix;
  }

  private label(path: string): string {
    const from = this.origin?.(path);
    return from ? `${path} (from ${from})` : path;
  }

  error(path: string, message: string): void {
    this.failed = true;
    this.diagnostics.push(diagnostic("InvalidCertificate", `${this.prefix}${this.label(path)}: ${message}`, this.where));
  }

  warning(code: string, path: string, message: string): void {
    this.diagnostics.push(diagnostic(code, `${this.prefix}${this.label(path)}: ${message}`, this.where, "warning"));
  }

  /** `spec.dnsNames[1]: "foo..bar" is not a valid DNS name: must not contain an empty label` */
  problem(path: string, value: string, problem: string | undefined, what: string): void {
    if (problem !== undefined) this.error(path, `${JSON.stringify(value)} ${what}: ${problem}`);
  }

  private present(obj: Record<string, unknown>, key: string): unknown {
    const v = obj[key];
    return v === null ? undefined : v;
  }

  string(obj: Record<string, unknown>, key: string, path: string): string | undefined {
    const v = this.present(obj, key);
    if (v === undefined || typeof v === "string") return v;
    this.error(path, `must be a string, not ${describe(v)}`);
    return undefined;
  }

  boolean(obj: Record<string, unknown>, key: string, path: string): boolean | undefined {
    const v = this.present(obj, key);
    if (v === undefined || typeof v === "boolean") return v;
    this.error(path, `must be true or false, not ${describe(v)}`);
    return undefined;
  }

  integer(obj: Record<string, unknown>, key: string, path: string): number | undefined {
    const v = this.present(obj, key);
    if (v === undefined) return undefined;
    if (typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 31) return v;
    this.error(path, `must be an integer, not ${describe(v)}`);
    return undefined;
  }

  /** A Go duration string, in seconds. */
  duration(obj: Record<string, unknown>, key: string, path: string): number | undefined {
    const v = this.present(obj, key);
    if (v === undefined) return undefined;
    if (typeof v !== "string") {
      this.error(path, `must be a Go duration string such as "2160h", not ${describe(v)}`);
      return undefined;
    }
    const parsed = parseDuration(v);
    if (!parsed.ok) {
      this.error(path, parsed.error);
      return undefined;
    }
    return parsed.seconds;
  }

  object(obj: Record<string, unknown>, key: string, path: string): Record<string, unknown> | undefined {
    const v = this.present(obj, key);
    if (v === undefined || isRecord(v)) return v;
    this.error(path, `must be an object, not ${describe(v)}`);
    return undefined;
  }

  list(obj: Record<string, unknown>, key: string, path: string): unknown[] {
    const v = this.present(obj, key);
    if (v === undefined) return [];
    if (Array.isArray(v)) return v;
    this.error(path, `must be a list, not ${describe(v)}`);
    return [];
  }

  stringList(obj: Record<string, unknown>, key: string, path: string): string[] {
    const out: string[] = [];
    this.list(obj, key, path).forEach((item, i) => {
      if (typeof item === "string") out.push(item);
      else this.error(`${path}[${i}]`, `must be a string, not ${describe(item)}`);
    });
    return out;
  }

  stringMap(obj: Record<string, unknown>, key: string, path: string): Record<string, string> | undefined {
    const raw = this.object(obj, key, path);
    if (raw === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v === "string") out[k] = v;
      else this.error(`${path}[${JSON.stringify(k)}]`, `must be a string, not ${describe(v)} (quote it in YAML)`);
    }
    return out;
  }

  labels(obj: Record<string, unknown>, key: string, path: string): Labels | undefined {
    const labels = this.stringMap(obj, key, path);
    for (const [k, v] of Object.entries(labels ?? {})) {
      const at = `${path}[${JSON.stringify(k)}]`;
      this.problem(at, k, qualifiedNameProblem(k), "is not a valid label key");
      this.problem(at, v, labelValueProblem(v), "is not a valid label value");
    }
    return labels;
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object" && v !== null) return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
