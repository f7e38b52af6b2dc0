// Writes deploy/crds: CustomResourceDefinitions for cert-manager.io/v1
// Certificate, Issuer and ClusterIssuer, shaped like cert-manager's own (same
// group, names, short names, categories, printer columns, status subresource
// and field layout), written here from cert-manager's API reference
// (pkg/apis/certmanager/v1, pkg/apis/acme/v1). Issuer and ClusterIssuer share
// one spec, which is why this is a generator and not three hand-kept files.
//
//   node scripts/crds.ts          rewrite deploy/crds/*.yaml
//   node scripts/crds.ts --check  exit 1 when deploy/crds differs (a test runs this)
//
// Deep solver and provider settings that gitcert passes through unchanged
// (pod templates, affinity, cloud-provider auth details) are kept as open
// objects (x-kubernetes-preserve-unknown-fields), so every manifest written
// for cert-manager's CRDs is accepted.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

type Schema = Record<string, unknown>;

const str = (description?: string, extra: Schema = {}): Schema => ({ type: "string", ...(description ? { description } : {}), ...extra });
const bool = (description?: string): Schema => ({ type: "boolean", ...(description ? { description } : {}) });
const int32 = (description?: string, extra: Schema = {}): Schema => ({ type: "integer", format: "int32", ...(description ? { description } : {}), ...extra });
const time = (description: string): Schema => str(description, { format: "date-time" });
const bytes = (description: string): Schema => str(description, { format: "byte" });
const list = (items: Schema, description?: string): Schema => ({ type: "array", items, "x-kubernetes-list-type": "atomic", ...(description ? { description } : {}) });
const strings = (description?: string): Schema => list(str(), description);
const stringMap = (description?: string): Schema => ({ type: "object", additionalProperties: str(), ...(description ? { description } : {}) });
const open = (description: string): Schema => ({ type: "object", description, "x-kubernetes-preserve-unknown-fields": true });
const enumOf = (values: string[], description?: string): Schema => str(description, { enum: values });
function obj(properties: Record<string, Schema>, required: string[] = [], description?: string): Schema {
  return { type: "object", ...(description ? { description } : {}), ...(required.length ? { required } : {}), properties };
}

const duration = (description: string): Schema => str(description);
const localRef = (description: string): Schema => obj({ name: str("Name of the referent.") }, ["name"], description);
const secretKeyRef = (description: string): Schema =>
  obj({ name: str("Name of the Secret."), key: str("Key in the Secret's data; some fields have a default.") }, ["name"], description);
const serviceAccountRef = obj({ name: str(), audiences: strings() }, ["name"]);

// ---------------------------------------------------------------- Certificate

const KEY_USAGES = [
  "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
  "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
  "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
  "microsoft sgc", "netscape sgc",
];

const issuerRef = obj(
  {
    name: str("Name of the issuer."),
    kind: str("Issuer (default) or ClusterIssuer, or an external issuer's kind."),
    group: str("cert-manager.io (default), or an external issuer's group."),
  },
  ["name"],
  "The issuer that signs this certificate.",
);

const keystore = (extra: Record<string, Schema>): Schema =>
  obj(
    {
      create: bool("Write the keystore into the Secret."),
      passwordSecretRef: secretKeyRef("Secret key holding the keystore password."),
      password: str("Literal keystore password (passwordSecretRef is preferred)."),
      ...extra,
    },
    ["create"],
  );

const nameConstraintItem = obj({ dnsDomains: strings(), ipRanges: strings(), emailAddresses: strings(), uriDomains: strings() });

const certificateSpec = obj(
  {
    subject: obj(
      {
        organizations: strings(), countries: strings(), organizationalUnits: strings(), localities: strings(),
        provinces: strings(), streetAddresses: strings(), postalCodes: strings(), serialNumber: str(),
      },
      [],
      "Subject fields of the certificate.",
    ),
    literalSubject: str("The whole subject as an RFC 4514 string; excludes commonName and subject."),
    commonName: str("Common name (at most 64 bytes); prefer dnsNames."),
    duration: duration("Requested lifetime, a Go duration (default 2160h, 90 days)."),
    renewBefore: duration("How long before expiry to renew, a Go duration (default: a third of the lifetime)."),
    renewBeforePercentage: int32("Renew when this percentage of the lifetime remains; excludes renewBefore."),
    renewal: obj(
      {
        policy: enumOf(["RenewBefore", "Disabled"], "RenewBefore (default) or Disabled."),
        windows: list(
          obj({
            timezone: str(undefined, { minLength: 1 }),
            windowDuration: str(undefined, { pattern: "^([0-9]+(\\.[0-9]+)?(s|m|h))+$" }),
            cron: str(undefined, { minLength: 1 }),
          }),
          "Times of day renewals may start.",
        ),
      },
      [],
      "When renewals happen.",
    ),
    dnsNames: strings("DNS subject alternative names."),
    ipAddresses: strings("IP address subject alternative names."),
    uris: strings("URI subject alternative names."),
    otherNames: list(obj({ oid: str(), utf8Value: str() }), "otherName subject alternative names."),
    emailAddresses: strings("Email subject alternative names."),
    secretName: str("Name of the kubernetes.io/tls Secret the certificate and key are written to."),
    secretTemplate: obj({ annotations: stringMap(), labels: stringMap() }, [], "Annotations and labels copied onto the Secret."),
    keystores: obj(
      {
        jks: keystore({ alias: str() }),
        pkcs12: keystore({ profile: enumOf(["LegacyRC2", "LegacyDES", "Modern2023", "Modern2026"]) }),
      },
      [],
      "Additional keystore formats written into the Secret.",
    ),
    issuerRef,
    isCA: bool("Mark the certificate as a CA (adds the cert sign usage)."),
    usages: list(enumOf(KEY_USAGES), "Key usages and extended key usages (default: digital signature, key encipherment, server auth)."),
    privateKey: obj(
      {
        rotationPolicy: enumOf(["Never", "Always"], "Always (default): a new key at every issuance; Never: keep the key."),
        encoding: enumOf(["PKCS1", "PKCS8"], "PKCS1 (default) or PKCS8."),
        algorithm: enumOf(["RSA", "ECDSA", "Ed25519"], "RSA (default), ECDSA or Ed25519."),
        size: { type: "integer", description: "RSA bits or ECDSA curve size." },
      },
      [],
      "The private key's options.",
    ),
    signatureAlgorithm: enumOf(["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA", "ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512", "PureEd25519"]),
    encodeUsagesInRequest: bool("Encode the usages in the certificate request (default true)."),
    revisionHistoryLimit: int32("How many CertificateRequests to keep."),
    additionalOutputFormats: list(obj({ type: enumOf(["DER", "CombinedPEM"]) }, ["type"]), "Extra keys written into the Secret."),
    nameConstraints: obj({ critical: bool(), permitted: nameConstraintItem, excluded: nameConstraintItem }, [], "Name constraints of a CA certificate."),
  },
  ["issuerRef", "secretName"],
  "The certificate wanted.",
);

const conditions = (types: string): Schema => ({
  type: "array",
  description: `Conditions (${types}).`,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
  items: obj(
    {
      type: str("Type of the condition."),
      status: enumOf(["True", "False", "Unknown"]),
      lastTransitionTime: time("When the status last changed."),
      reason: str("Machine-readable reason of the last transition."),
      message: str("Human-readable details."),
      observedGeneration: { type: "integer", format: "int64", description: "metadata.generation the condition was set for." },
    },
    ["status", "type"],
  ),
});

const acmeWindow = obj({ start: time("Start of the window."), end: time("End of the window.") }, ["start", "end"]);

const certificateStatus = obj(
  {
    conditions: conditions("Ready, Issuing"),
    lastFailureTime: time("When the last issuance failed."),
    notBefore: time("Start of the validity of the certificate in the Secret."),
    notAfter: time("Expiry of the certificate in the Secret."),
    renewalTime: time("When the certificate will next be renewed."),
    revision: { type: "integer", description: "Issuance count of the Secret's certificate, starting at 1." },
    nextPrivateKeySecretName: str("Secret holding the key of an issuance in progress."),
    failedIssuanceAttempts: { type: "integer", description: "Consecutive failed issuance attempts." },
    acme: obj({ ari: obj({ suggestedWindow: acmeWindow, explanationURL: str(), lastChecked: time("Last ARI fetch."), nextCheck: time("Next ARI fetch."), lastError: str() }) }),
  },
  [],
  "What the controller observed.",
);

// ---------------------------------------------------------------- Issuer

const solverSelector = obj({ matchLabels: stringMap(), dnsNames: strings(), dnsZones: strings() }, [], "Which certificates this solver is for.");
const objectMetaTemplate = (description: string): Schema => obj({ metadata: obj({ annotations: stringMap(), labels: stringMap() }) }, [], description);
const podTemplate = open("Pod template of cert-manager's solver pod; gitcert answers challenges itself and ignores it.");

const http01 = obj(
  {
    ingress: obj(
      {
        serviceType: str("Service type of the solver Service (NodePort by default in cert-manager)."),
        ingressClassName: str("IngressClass of the challenge Ingress."),
        class: str("kubernetes.io/ingress.class annotation of the challenge Ingress."),
        name: str("Edit this existing Ingress instead of creating one."),
        podTemplate,
        ingressTemplate: objectMetaTemplate("Metadata added to the challenge Ingress."),
      },
      [],
      "Solve through an Ingress.",
    ),
    gatewayHTTPRoute: obj(
      {
        serviceType: str(),
        labels: stringMap("Labels of the challenge HTTPRoute."),
        parentRefs: list(
          obj({ group: str(), kind: str(), namespace: str(), name: str(), sectionName: str(), port: int32() }, ["name"]),
          "Gateways the challenge HTTPRoute attaches to.",
        ),
        podTemplate,
      },
      [],
      "Solve through a Gateway API HTTPRoute.",
    ),
  },
  [],
  "HTTP-01 challenge settings.",
);

const dns01 = obj(
  {
    cnameStrategy: enumOf(["None", "Follow"], "Follow CNAMEs from _acme-challenge names."),
    nameservers: strings(),
    acmeDNS: obj({ host: str(), accountSecretRef: secretKeyRef("acme-dns account JSON.") }, ["host", "accountSecretRef"]),
    akamai: obj(
      { serviceConsumerDomain: str(), clientTokenSecretRef: secretKeyRef(""), clientSecretSecretRef: secretKeyRef(""), accessTokenSecretRef: secretKeyRef("") },
      ["serviceConsumerDomain", "clientTokenSecretRef", "clientSecretSecretRef", "accessTokenSecretRef"],
    ),
    azureDNS: open("Azure DNS settings."),
    cloudDNS: obj({ serviceAccountSecretRef: secretKeyRef("Service account JSON key."), project: str(), hostedZoneName: str() }, ["project"]),
    cloudflare: obj({ email: str(), apiKeySecretRef: secretKeyRef("Global API key."), apiTokenSecretRef: secretKeyRef("API token.") }),
    digitalocean: obj({ tokenSecretRef: secretKeyRef("API token.") }, ["tokenSecretRef"]),
    rfc2136: obj(
      {
        nameserver: str("host:port of the authoritative server."),
        tsigKeyName: str(),
        tsigAlgorithm: str(),
        tsigSecretSecretRef: secretKeyRef("base64 TSIG secret."),
        protocol: enumOf(["TCP", "UDP"]),
      },
      ["nameserver"],
    ),
    route53: obj(
      {
        accessKeyID: str(),
        accessKeyIDSecretRef: secretKeyRef(""),
        secretAccessKeySecretRef: secretKeyRef(""),
        role: str(),
        hostedZoneID: str(),
        region: str(),
        auth: open("Ambient Kubernetes service-account authentication."),
      },
    ),
    webhook: obj({ groupName: str(), solverName: str(), config: open("Solver-specific configuration.") }, ["groupName", "solverName"]),
  },
  [],
  "DNS-01 challenge settings.",
);

const acmeIssuer = obj(
  {
    email: str("Email of the ACME account."),
    server: str("URL of the ACME directory."),
    preferredChain: str("Common name of the root (or intermediate) of the chain to prefer."),
    caBundle: bytes("PEM CAs to trust for the ACME server."),
    skipTLSVerify: bool("Do not verify the ACME server's TLS certificate."),
    externalAccountBinding: obj(
      { keyID: str(), keySecretRef: secretKeyRef("base64url HMAC key."), keyAlgorithm: enumOf(["HS256", "HS384", "HS512"]) },
      ["keyID", "keySecretRef"],
      "External account binding.",
    ),
    privateKeySecretRef: secretKeyRef("Secret holding the ACME account key."),
    solvers: list(
      obj({ selector: solverSelector, http01, dns01, waitInsteadOfSelfCheck: duration("Wait this long instead of self-checking.") }),
      "Challenge solvers, chosen per name.",
    ),
    disableAccountKeyGeneration: bool("Never create an account key."),
    enableDurationFeature: bool("Send the certificate duration in the order."),
    profile: str("ACME profile to request."),
    renewalInformationSource: str("Where renewal information (ARI) comes from."),
  },
  ["privateKeySecretRef", "server"],
  "Issue from an ACME server.",
);

const issuerSpec = obj(
  {
    acme: acmeIssuer,
    ca: obj(
      { secretName: str("Secret holding the CA's tls.crt and tls.key."), crlDistributionPoints: strings(), ocspServers: strings(), issuingCertificateURLs: strings() },
      ["secretName"],
      "Sign with a CA key pair.",
    ),
    selfSigned: obj({ crlDistributionPoints: strings() }, [], "Sign each certificate with its own key."),
    vault: obj(
      {
        server: str(),
        serverName: str(),
        path: str(),
        namespace: str(),
        caBundle: bytes("PEM CAs to trust for Vault."),
        caBundleSecretRef: secretKeyRef(""),
        clientCertSecretRef: secretKeyRef(""),
        clientKeySecretRef: secretKeyRef(""),
        auth: obj(
          {
            tokenSecretRef: secretKeyRef("A Vault token."),
            appRole: obj({ path: str(), roleId: str(), secretRef: secretKeyRef("") }, ["path", "roleId", "secretRef"]),
            clientCertificate: obj({ mountPath: str(), secretName: str(), name: str() }),
            kubernetes: obj({ mountPath: str(), secretRef: secretKeyRef(""), serviceAccountRef, role: str() }, ["role"]),
            aws: open("AWS IAM authentication."),
          },
          [],
        ),
      },
      ["auth", "path", "server"],
      "Sign with HashiCorp Vault's PKI engine.",
    ),
    venafi: obj(
      {
        zone: str(),
        tpp: obj({ url: str(), credentialsRef: localRef(""), caBundle: bytes(""), caBundleSecretRef: secretKeyRef("") }, ["url", "credentialsRef"]),
        cloud: obj({ url: str(), apiTokenSecretRef: secretKeyRef("") }, ["apiTokenSecretRef"]),
        ngts: obj({ url: str(), tokenEndpoint: str(), tsgID: str(), credentialsRef: localRef("") }, ["tsgID", "credentialsRef"]),
      },
      ["zone"],
      "Sign with Venafi (CyberArk) Certificate Manager.",
    ),
  },
  [],
  "Exactly one issuer type.",
);

const issuerStatus = obj(
  {
    conditions: conditions("Ready"),
    acme: obj({ uri: str("The ACME account URL."), lastRegisteredEmail: str(), lastPrivateKeyHash: str() }),
  },
  [],
  "What the controller observed.",
);

// ---------------------------------------------------------------- CRDs

const READY = `.status.conditions[?(@.type == "Ready")]`;
const AGE = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

interface Kind {
  kind: string;
  plural: string;
  scope: "Namespaced" | "Cluster";
  shortNames: string[];
  columns: Schema[];
  spec: Schema;
  status: Schema;
}

function crd(k: Kind): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${k.plural}.cert-manager.io`,
      labels: { "app.kubernetes.io/name": "gitcert", "app.kubernetes.io/component": "crds" },
    },
    spec: {
      group: "cert-manager.io",
      names: { kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.kind.toLowerCase(), shortNames: k.shortNames, categories: ["cert-manager"] },
      scope: k.scope,
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...k.columns, AGE],
          schema: {
            openAPIV3Schema: obj(
              { apiVersion: str(), kind: str(), metadata: { type: "object" }, spec: k.spec, status: k.status },
              ["spec"],
              `A cert-manager.io/v1 ${k.kind}, read from Git by gitcert.`,
            ),
          },
        },
      ],
    },
  };
}

const issuerColumns = [
  { name: "Ready", type: "string", jsonPath: `${READY}.status` },
  { name: "Status", type: "string", jsonPath: `${READY}.message`, priority: 1 },
];

export const CRDS: Record<string, Schema> = {
  "certificates.yaml": crd({
    kind: "Certificate",
    plural: "certificates",
    scope: "Namespaced",
    shortNames: ["cert", "certs"],
    columns: [
      { name: "Ready", type: "string", jsonPath: `${READY}.status` },
      { name: "Secret", type: "string", jsonPath: ".spec.secretName" },
      { name: "Issuer", type: "string", jsonPath: ".spec.issuerRef.name", priority: 1 },
      { name: "Status", type: "string", jsonPath: `${READY}.message`, priority: 1 },
      { name: "Expiration", type: "string", jsonPath: ".status.notAfter", priority: 1 },
    ],
    spec: certificateSpec,
    status: certificateStatus,
  }),
  "issuers.yaml": crd({ kind: "Issuer", plural: "issuers", scope: "Namespaced", shortNames: ["iss"], columns: issuerColumns, spec: issuerSpec, status: issuerStatus }),
  "clusterissuers.yaml": crd({ kind: "ClusterIssuer", plural: "clusterissuers", scope: "Cluster", shortNames: ["ciss"], columns: issuerColumns, spec: issuerSpec, status: issuerStatus }),
};

const HEADER = "# Generated by scripts/crds.ts from cert-manager's API reference; edit that, then `node scripts/crds.ts`.\n";

export function renderCrd(file: string): string {
  return HEADER + stringify(CRDS[file], { lineWidth: 0, aliasDuplicateObjects: false });
}

const isMain = process.argv[1]?.endsWith("scripts/crds.ts");
if (isMain) {
  const dir = join(import.meta.dirname, "..", "deploy", "crds");
  const check = process.argv.includes("--check");
  let stale = false;
  for (const file of Object.keys(CRDS)) {
    const text = renderCrd(file);
    const path = join(dir, file);
    if (!check) writeFileSync(path, text);
    else if (readFileSync(path, "utf8") !== text) {
      console.error(`${path} differs from scripts/crds.ts: run node scripts/crds.ts`);
      stale = true;
    }
  }
  process.exit(stale ? 1 : 0);
}
