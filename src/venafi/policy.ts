// A Venafi zone's policy — TPP's checkpolicy answer or a Cloud issuing
// template — read into one shape, and the check cert-manager makes before it
// asks (vcert's ZoneConfiguration: the zone's default subject fields filled
// in where the CSR has none, then common name, DNS names, subject fields and
// key checked against the zone's rules). Zone rules are Go regular
// expressions; one that cannot be read matches nothing, as in Go.
import type { CsrInfo } from "../pki/index.ts";
import { translateRe2 } from "../secrets/index.ts";

type Curve = "P256" | "P384" | "P521" | "ED25519";

export interface ZonePolicy {
  commonName: string[];
  dnsNames: string[];
  organization: string[];
  organizationalUnit: string[];
  country: string[];
  province: string[];
  locality: string[];
  /** Empty: any key. */
  keys: Array<{ algorithm: "RSA"; sizes: number[] } | { algorithm: "ECDSA"; curves: Curve[] }>;
  /** Values the zone fills in when the request has none. */
  defaults: { organization?: string; organizationalUnit?: string[]; country?: string; province?: string; locality?: string };
}

const ALL = ".*";
const RSA_SIZES = [1024, 2048, 3072, 4096, 8192];
const ALL_CURVES: Curve[] = ["P521", "P256", "P384", "ED25519"];

function curveOf(value: string | undefined): Curve | undefined {
  switch ((value ?? "").toUpperCase()) {
    case "P256": case "P-256": return "P256";
    case "P384": case "P-384": return "P384";
    case "P521": case "P-521": return "P521";
    case "ED25519": return "ED25519";
    default: return undefined;
  }
}

const anchored = (s: string) => `${s.startsWith("^") ? "" : "^"}${s}${s.endsWith("$") ? "" : "$"}`;
const escape = (s: string) => anchored(s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&"));

interface Locked<T> {
  Locked?: boolean;
  Value?: T;
}

/** TPP's `Policy` from certificates/checkpolicy. */
export interface TppPolicy {
  KeyPair?: { KeyAlgorithm?: Locked<string>; KeySize?: Locked<number>; EllipticCurve?: Locked<string> };
  Subject?: {
    Organization?: Locked<string>;
    OrganizationalUnit?: { Locked?: boolean; Values?: string[] };
    City?: Locked<string>;
    State?: Locked<string>;
    Country?: Locked<string>;
  };
  WhitelistedDomains?: string[];
  WildcardsAllowed?: boolean;
  SubjAltNameDnsAllowed?: boolean;
  // Read by the server only: cert-manager checks no IP, email, URI or UPN SANs before asking.
  SubjAltNameIpAllowed?: boolean;
  SubjAltNameEmailAllowed?: boolean;
  SubjAltNameUriAllowed?: boolean;
  SubjAltNameUpnAllowed?: boolean;
}

export function zoneFromTpp(p: TppPolicy): ZonePolicy {
  const domains = p.WhitelistedDomains ?? [];
  const domainRules = (allowAllWhenEmpty: boolean) => {
    if (domains.length === 0) return allowAllWhenEmpty ? [ALL] : [];
    return domains.map((d) => {
      const prefix = d.startsWith(".");
      const label = p.WildcardsAllowed ? "[\\p{L}\\p{N}-*]" : "[\\p{L}\\p{N}-]";
      const domain = (prefix ? d.slice(1) : d).replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
      return anchored(`(${label}+\\.)${prefix ? "+" : "*"}${domain}`);
    });
  };
  const subject = p.Subject ?? {};
  const lockedOr = (field: Locked<string> | undefined) => (field?.Locked ? [escape(field.Value ?? "")] : [ALL]);
  const ou = subject.OrganizationalUnit;
  const keyPair = p.KeyPair ?? {};
  const rsaSizes = RSA_SIZES.filter((s) => !keyPair.KeySize?.Locked || s >= (keyPair.KeySize.Value ?? 0));
  const curve = curveOf(keyPair.EllipticCurve?.Value);
  const curves: Curve[] = keyPair.EllipticCurve?.Locked && curve ? [curve] : ALL_CURVES;
  let keys: ZonePolicy["keys"];
  if (keyPair.KeyAlgorithm?.Locked) {
    keys = /^RSA$/i.test(keyPair.KeyAlgorithm.Value ?? "") ? [{ algorithm: "RSA", sizes: rsaSizes }] : [{ algorithm: "ECDSA", curves }];
  } else {
    keys = [{ algorithm: "RSA", sizes: rsaSizes }, { algorithm: "ECDSA", curves }];
  }
  const defaults: ZonePolicy["defaults"] = {};
  if (subject.Organization?.Value) defaults.organization = subject.Organization.Value;
  if (ou?.Values?.length) defaults.organizationalUnit = ou.Values;
  if (subject.Country?.Value) defaults.country = subject.Country.Value;
  if (subject.State?.Value) defaults.province = subject.State.Value;
  if (subject.City?.Value) defaults.locality = subject.City.Value;
  return {
    commonName: domainRules(true),
    dnsNames: domainRules(p.SubjAltNameDnsAllowed ?? false),
    organization: lockedOr(subject.Organization),
    organizationalUnit: ou?.Locked ? (ou.Values ?? []).map(escape) : [ALL],
    country: lockedOr(subject.Country),
    province: lockedOr(subject.State),
    locality: lockedOr(subject.City),
    keys,
    defaults,
  };
}

/** A Cloud certificate issuing template. */
export interface CloudTemplate {
  subjectCNRegexes?: string[];
  subjectORegexes?: string[];
  subjectOURegexes?: string[];
  subjectLRegexes?: string[];
  subjectSTRegexes?: string[];
  subjectCValues?: string[];
  sanRegexes?: string[];
  // Read by the server only, as in cert-manager.
  sanIpAddressRegexes?: string[];
  sanRfc822NameRegexes?: string[];
  sanUniformResourceIdentifierRegexes?: string[];
  keyTypes?: Array<{ keyType?: string; keyLengths?: number[]; keyCurves?: string[] }>;
  recommendedSettings?: { subjectOValue?: string; subjectOUValue?: string; subjectLValue?: string; subjectSTValue?: string; subjectCValue?: string };
}

export function zoneFromCloud(t: CloudTemplate): ZonePolicy {
  const rules = (list: string[] | undefined) => (list ?? []).map(anchored);
  const keys: ZonePolicy["keys"] = (t.keyTypes ?? []).flatMap((k): ZonePolicy["keys"] => {
    if (/^RSA$/i.test(k.keyType ?? "")) return [{ algorithm: "RSA", sizes: k.keyLengths ?? [] }];
    if (/^(EC|ECDSA|ECC)$/i.test(k.keyType ?? "")) return [{ algorithm: "ECDSA", curves: (k.keyCurves ?? []).map(curveOf).filter((c): c is Curve => !!c) }];
    return [];
  });
  const r = t.recommendedSettings ?? {};
  const defaults: ZonePolicy["defaults"] = {};
  if (r.subjectOValue) defaults.organization = r.subjectOValue;
  if (r.subjectOUValue) defaults.organizationalUnit = [r.subjectOUValue];
  if (r.subjectCValue) defaults.country = r.subjectCValue;
  if (r.subjectSTValue) defaults.province = r.subjectSTValue;
  if (r.subjectLValue) defaults.locality = r.subjectLValue;
  return {
    commonName: rules(t.subjectCNRegexes),
    dnsNames: rules(t.sanRegexes),
    organization: rules(t.subjectORegexes),
    organizationalUnit: rules(t.subjectOURegexes),
    country: rules(t.subjectCValues),
    province: rules(t.subjectSTRegexes),
    locality: rules(t.subjectLRegexes),
    keys,
    defaults,
  };
}

function matchesAny(value: string, rules: string[]): boolean {
  return rules.some((rule) => {
    const translated = translateRe2(rule);
    return translated.ok && translated.regex.test(value);
  });
}

/** Every value must match a rule; an empty list is checked as one empty value unless optional. */
function allMatch(values: string[], rules: string[], optional: boolean): boolean {
  if (optional && values.length === 0) return true;
  return (values.length === 0 ? [""] : values).every((v) => matchesAny(v, rules));
}

/** The subject after the zone's defaults, as vcert fills them in. */
export function withZoneDefaults(csr: CsrInfo, zone: ZonePolicy): { O: string[]; OU: string[]; C: string[]; ST: string[]; L: string[] } {
  const s = csr.subject;
  const d = zone.defaults;
  const pick = (have: string[] | undefined, fallback: string[] | undefined) => (have && have.length > 0 ? have : (fallback ?? []));
  return {
    O: pick(s.organizations, d.organization ? [d.organization] : undefined),
    OU: pick(s.organizationalUnits, d.organizationalUnit),
    C: pick(s.countries, d.country ? [d.country] : undefined),
    ST: pick(s.provinces, d.province ? [d.province] : undefined),
    L: pick(s.localities, d.locality ? [d.locality] : undefined),
  };
}

function keyAllowed(csr: CsrInfo, zone: ZonePolicy): boolean {
  if (zone.keys.length === 0) return true;
  const curve: Curve | undefined = csr.keyAlgorithm === "Ed25519" ? "ED25519" : csr.keyAlgorithm === "ECDSA" ? (`P${csr.keySize}` as Curve) : undefined;
  return zone.keys.some((k) => (k.algorithm === "RSA" ? csr.keyAlgorithm === "RSA" && k.sizes.includes(csr.keySize) : curve !== undefined && k.curves.includes(curve)));
}

function describeKeys(zone: ZonePolicy): string {
  return zone.keys.map((k) => (k.algorithm === "RSA" ? `RSA ${k.sizes.join("/")}` : `ECDSA ${k.curves.join("/")}`)).join(", ");
}

/** What the zone forbids in this request, in words; empty when it may be sent. */
export function policyViolations(csr: CsrInfo, zone: ZonePolicy): string[] {
  const problems: string[] = [];
  const cn = csr.commonName ?? "";
  if (!matchesAny(cn, zone.commonName)) problems.push(`common name ${JSON.stringify(cn)} is not allowed (zone allows ${zone.commonName.join(" | ") || "none"})`);
  if (!allMatch(csr.dnsNames, zone.dnsNames, true)) problems.push(`DNS names ${csr.dnsNames.join(", ")} are not allowed (zone allows ${zone.dnsNames.join(" | ") || "none"})`);
  const subject = withZoneDefaults(csr, zone);
  const fields: Array<[string, string[], string[]]> = [
    ["organization", subject.O, zone.organization],
    ["organizational unit", subject.OU, zone.organizationalUnit],
    ["country", subject.C, zone.country],
    ["state (province)", subject.ST, zone.province],
    ["locality", subject.L, zone.locality],
  ];
  for (const [name, values, rules] of fields) {
    if (!allMatch(values, rules, false)) problems.push(`${name} ${JSON.stringify(values)} is not allowed (zone allows ${rules.join(" | ") || "none"})`);
  }
  if (!keyAllowed(csr, zone)) {
    const have = csr.keyAlgorithm === "RSA" ? `RSA ${csr.keySize}` : csr.keyAlgorithm === "ECDSA" ? `ECDSA P${csr.keySize}` : "Ed25519";
    problems.push(`key ${have} is not allowed (zone allows ${describeKeys(zone)})`);
  }
  return problems;
}
