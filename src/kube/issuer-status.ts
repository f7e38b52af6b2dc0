// An Issuer's or ClusterIssuer's Ready condition from what gitcert found out
// about it in this reconcile. Pure. Not ready: the reason and message of the
// first problem found (bad spec, missing Secret, unusable ACME account);
// ready: cert-manager's reason for the issuer type.
import type { Diagnostic } from "../diagnostics.ts";
import type { IssuerResource } from "../manifests/index.ts";
import { nextConditions, type Condition } from "./conditions.ts";

export interface IssuerStatus {
  conditions?: Condition[];
  [field: string]: unknown;
}

/** cert-manager's reason for a ready issuer of each type (pkg/issuer/<type>/setup.go). */
const READY_REASON: Record<string, string> = { acme: "ACMEAccountRegistered", ca: "KeyPairVerified", selfSigned: "IsReady", vault: "VaultVerified", venafi: "Venafi issuer started" };

export function issuerStatus(issuer: IssuerResource, problems: readonly Diagnostic[], current: IssuerStatus | undefined, generation: number | undefined, now: Date): IssuerStatus {
  const first = problems.find((d) => d.severity === "error");
  const type = Object.keys(READY_REASON).find((t) => issuer.spec[t] !== undefined && issuer.spec[t] !== null);
  const ready = first
    ? { type: "Ready", status: "False" as const, reason: first.code, message: first.message }
    : { type: "Ready", status: "True" as const, reason: (type && READY_REASON[type]) ?? "IsReady", message: `Issuer in ${issuer.source.file}:${issuer.source.line} is ready to issue` };
  return { ...current, conditions: nextConditions(current?.conditions, [ready], [], generation, now) };
}

/** The diagnostics about one issuer, by kind, namespace and name. */
export function diagnosticsAbout(issuer: IssuerResource, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.object?.kind === issuer.kind && d.object.name === issuer.name && (d.object.namespace ?? "") === issuer.namespace);
}
