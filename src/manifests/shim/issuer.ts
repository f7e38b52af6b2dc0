// cert-manager's issuerForIngressLike: the issuer annotations over the
// default issuer (--default-issuer-*), with its rules on which may be set
// together.
import type { IssuerRef } from "../types.ts";
import { ANNOTATION } from "./annotations.ts";

export interface ShimIssuer {
  ref: Record<string, string>;
  /** Where the issuer came from, for messages: `annotation cert-manager.io/issuer`, `the default issuer`. */
  origin: string;
  errors: string[];
}

export function issuerFromAnnotations(annotations: Readonly<Record<string, string>>, defaultIssuer: IssuerRef | undefined): ShimIssuer {
  let name = defaultIssuer?.name ?? "";
  let kind = defaultIssuer?.kind ?? "";
  // The default group applies even to an issuer named by annotation, as in cert-manager.
  let group = defaultIssuer?.group ?? "";
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
