// The annotations cert-manager's certificate-shim reads on an Ingress or a
// Gateway (cert-manager-reference.md §4), and which of them ask for a
// certificate at all.
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
  http01EditInPlace: "acme.cert-manager.io/http01-edit-in-place",
  http01IngressClass: "acme.cert-manager.io/http01-ingress-class",
  http01IngressClassName: "acme.cert-manager.io/http01-ingress-ingressclassname",
} as const;

/**
 * cert-manager's setIssuerSpecificConfig: the HTTP-01 annotations of an
 * Ingress become the Certificate's override annotations (read by the ACME
 * solver, src/acme/http01/overrides.ts); edit in place names the Ingress.
 * A Gateway names itself as the HTTPRoute's parent.
 */
export function http01OverrideAnnotations(annotations: Readonly<Record<string, string>>, owner: { kind: "Ingress" | "Gateway"; name: string }): Record<string, string> {
  const out: Record<string, string> = {};
  // A Gateway's challenges go through an HTTPRoute attached to that Gateway.
  if (owner.kind === "Gateway") return { "acme.cert-manager.io/http01-parentrefkind": "Gateway", "acme.cert-manager.io/http01-parentrefname": owner.name };
  if (annotations[ANNOTATION.http01EditInPlace] === "true") out["acme.cert-manager.io/http01-override-ingress-name"] = owner.name;
  const ingressClass = annotations[ANNOTATION.http01IngressClass];
  const ingressClassName = annotations[ANNOTATION.http01IngressClassName];
  if (ingressClass) out["acme.cert-manager.io/http01-override-ingress-class"] = ingressClass;
  if (ingressClassName) out["acme.cert-manager.io/http01-override-ingress-ingressclassname"] = ingressClassName;
  return out;
}

/** Go's strconv.ParseBool truths, as cert-manager reads `kubernetes.io/tls-acme`. */
function parseGoBool(value: unknown): boolean {
  return typeof value === "string" && ["1", "t", "T", "TRUE", "true", "True"].includes(value);
}

/** Does the object ask for certificates? Most Ingresses do not, and are none of gitcert's business. */
export function asksForCertificates(annotations: Record<string, unknown>, kind: "Ingress" | "Gateway"): boolean {
  if (ANNOTATION.issuer in annotations || ANNOTATION.clusterIssuer in annotations) return true;
  // The tls-acme trigger is Ingress-only in cert-manager too. An unquoted
  // YAML `true` is not a valid annotation, but it is plainly a request:
  // trigger, so the type error gets reported.
  const tlsAcme = annotations[ANNOTATION.tlsAcme];
  return kind === "Ingress" && (parseGoBool(tlsAcme) || tlsAcme === true);
}
