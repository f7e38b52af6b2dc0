// The ACME issuer's spec (cert-manager's `spec.acme`), read from untyped
// YAML into typed data, with every problem as a `field: problem` string.

export interface SecretKeySelector {
  name: string;
  key: string;
}

export interface SolverSelector {
  matchLabels?: Record<string, string>;
  dnsNames?: string[];
  dnsZones?: string[];
}

export interface Dns01SolverSpec {
  cnameStrategy: "None" | "Follow";
  /** The provider key: `rfc2136`, `cloudflare`, … */
  provider: string;
  /** That provider's block. */
  config: Record<string, unknown>;
}

export interface SolverSpec {
  /** Position in spec.acme.solvers, for messages. */
  index: number;
  selector?: SolverSelector;
  http01?: Record<string, unknown>;
  dns01?: Dns01SolverSpec;
}

export interface AcmeIssuerSpec {
  server: string;
  email?: string;
  privateKeySecretRef: SecretKeySelector;
  externalAccountBinding?: { keyID: string; keySecretRef: SecretKeySelector };
  preferredChain?: string;
  /** The decoded caBundle: PEM certificates trusted instead of the system roots. */
  caBundlePem?: string;
  skipTLSVerify: boolean;
  disableAccountKeyGeneration: boolean;
  profile?: string;
  solvers: SolverSpec[];
}

/** What spec parsing needs to know about DNS-01 providers. */
export interface Dns01ProviderInfo {
  validate(config: Record<string, unknown>): string[];
}

/** Providers cert-manager knows; those gitcert lacks get a clear "not supported". */
const CERT_MANAGER_DNS01 = ["acmeDNS", "akamai", "azureDNS", "cloudDNS", "cloudflare", "digitalocean", "rfc2136", "route53", "webhook"];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function parseAcmeSpec(raw: unknown, providers: ReadonlyMap<string, Dns01ProviderInfo>): { spec?: AcmeIssuerSpec; errors: string[] } {
  const errors: string[] = [];
  if (!isObj(raw)) return { errors: ["spec.acme must be a mapping"] };
  const str = (field: string, required = false): string | undefined => {
    const v = raw[field];
    if (v === undefined || v === null || v === "") {
      if (required) errors.push(`spec.acme.${field} is required`);
      return undefined;
    }
    if (typeof v !== "string") {
      errors.push(`spec.acme.${field} must be a string`);
      return undefined;
    }
    return v;
  };
  const bool = (field: string): boolean => {
    const v = raw[field];
    if (v === undefined || v === null) return false;
    if (typeof v === "boolean") return v;
    errors.push(`spec.acme.${field} must be true or false`);
    return false;
  };

  const server = str("server", true);
  if (server !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(server);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) errors.push(`spec.acme.server ${JSON.stringify(server)} is not an https:// URL`);
  }
  const email = str("email");
  const privateKeySecretRef = secretRef(raw.privateKeySecretRef, "spec.acme.privateKeySecretRef", errors, "tls.key");

  let externalAccountBinding: AcmeIssuerSpec["externalAccountBinding"];
  if (raw.externalAccountBinding !== undefined && raw.externalAccountBinding !== null) {
    const eab = raw.externalAccountBinding;
    if (!isObj(eab)) errors.push("spec.acme.externalAccountBinding must be a mapping");
    else {
      const keyID = eab.keyID;
      if (typeof keyID !== "string" || keyID === "") errors.push("spec.acme.externalAccountBinding.keyID is required");
      const ref = secretRef(eab.keySecretRef, "spec.acme.externalAccountBinding.keySecretRef", errors);
      // keyAlgorithm is deprecated in cert-manager and ignored: HS256 is always used.
      if (typeof keyID === "string" && keyID && ref) externalAccountBinding = { keyID, keySecretRef: ref };
    }
  }

  let caBundlePem: string | undefined;
  const caBundle = str("caBundle");
  if (caBundle !== undefined) {
    const decoded = Buffer.from(caBundle, "base64").toString("utf8");
    if (!decoded.includes("-----BEGIN CERTIFICATE-----")) errors.push("spec.acme.caBundle must be base64-encoded PEM certificates");
    else caBundlePem = decoded;
  }

  const solvers = parseSolvers(raw.solvers, providers, errors);
  const spec: AcmeIssuerSpec = {
    server: server ?? "",
    email,
    privateKeySecretRef: privateKeySecretRef ?? { name: "", key: "tls.key" },
    externalAccountBinding,
    preferredChain: str("preferredChain"),
    caBundlePem,
    skipTLSVerify: bool("skipTLSVerify"),
    disableAccountKeyGeneration: bool("disableAccountKeyGeneration"),
    profile: str("profile"),
    solvers,
  };
  if (spec.caBundlePem && spec.skipTLSVerify) errors.push("spec.acme.caBundle and spec.acme.skipTLSVerify cannot both be set");
  return errors.length > 0 ? { errors } : { spec, errors };
}

function secretRef(v: unknown, path: string, errors: string[], defaultKey?: string): SecretKeySelector | undefined {
  if (!isObj(v)) {
    errors.push(`${path} is required, with name${defaultKey ? "" : " and key"}`);
    return undefined;
  }
  const { name, key } = v;
  if (typeof name !== "string" || name.length > 253 || !DNS_LABEL.test(name)) {
    errors.push(`${path}.name must name a Secret`);
    return undefined;
  }
  if (key !== undefined && key !== null && (typeof key !== "string" || key === "")) {
    errors.push(`${path}.key must be a string`);
    return undefined;
  }
  const k = typeof key === "string" ? key : defaultKey;
  if (!k) {
    errors.push(`${path}.key is required`);
    return undefined;
  }
  return { name, key: k };
}

function stringArray(v: unknown, path: string, errors: string[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  errors.push(`${path} must be a list of strings`);
  return undefined;
}

function parseSolvers(raw: unknown, providers: ReadonlyMap<string, Dns01ProviderInfo>, errors: string[]): SolverSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    errors.push("spec.acme.solvers must be a list");
    return [];
  }
  const solvers: SolverSpec[] = [];
  raw.forEach((item, index) => {
    const path = `spec.acme.solvers[${index}]`;
    if (!isObj(item)) {
      errors.push(`${path} must be a mapping`);
      return;
    }
    const solver: SolverSpec = { index };
    if (item.selector !== undefined && item.selector !== null) {
      if (!isObj(item.selector)) errors.push(`${path}.selector must be a mapping`);
      else {
        const s = item.selector;
        const selector: SolverSelector = {};
        if (s.matchLabels !== undefined && s.matchLabels !== null) {
          if (isObj(s.matchLabels) && Object.values(s.matchLabels).every((x) => typeof x === "string")) selector.matchLabels = s.matchLabels as Record<string, string>;
          else errors.push(`${path}.selector.matchLabels must map strings to strings`);
        }
        selector.dnsNames = stringArray(s.dnsNames, `${path}.selector.dnsNames`, errors);
        selector.dnsZones = stringArray(s.dnsZones, `${path}.selector.dnsZones`, errors);
        solver.selector = selector;
      }
    }
    const hasHttp = "http01" in item;
    const hasDns = "dns01" in item;
    if (hasHttp === hasDns) {
      errors.push(`${path} must have exactly one of http01 and dns01`);
      return;
    }
    if (hasHttp) {
      const h = item.http01;
      if (h !== null && h !== undefined && !isObj(h)) errors.push(`${path}.http01 must be a mapping`);
      else solver.http01 = h ?? {};
    } else {
      const dns01 = parseDns01(item.dns01, `${path}.dns01`, providers, errors);
      if (dns01) solver.dns01 = dns01;
    }
    solvers.push(solver);
  });
  return solvers;
}

function parseDns01(raw: unknown, path: string, providers: ReadonlyMap<string, Dns01ProviderInfo>, errors: string[]): Dns01SolverSpec | undefined {
  if (!isObj(raw)) {
    errors.push(`${path} must be a mapping with one provider`);
    return undefined;
  }
  const { cnameStrategy = "None", ...rest } = raw;
  if (cnameStrategy !== "None" && cnameStrategy !== "Follow") {
    errors.push(`${path}.cnameStrategy must be None or Follow`);
  }
  const keys = Object.keys(rest).filter((k) => rest[k] !== undefined && rest[k] !== null);
  const supported = [...providers.keys()].sort().join(", ") || "none in this build";
  if (keys.length !== 1) {
    errors.push(`${path} must configure exactly one provider (gitcert supports: ${supported})`);
    return undefined;
  }
  const provider = keys[0]!;
  const impl = providers.get(provider);
  if (!impl) {
    const known = CERT_MANAGER_DNS01.includes(provider) ? "is a cert-manager provider gitcert does not support" : "is not a DNS-01 provider";
    errors.push(`${path}.${provider} ${known} (gitcert supports: ${supported})`);
    return undefined;
  }
  const config = rest[provider];
  if (!isObj(config)) {
    errors.push(`${path}.${provider} must be a mapping`);
    return undefined;
  }
  for (const problem of impl.validate(config)) errors.push(`${path}.${provider}.${problem}`);
  return { cnameStrategy: cnameStrategy === "Follow" ? "Follow" : "None", provider, config };
}
