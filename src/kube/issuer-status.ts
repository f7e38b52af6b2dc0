// An Issuer's or ClusterIssuer's Ready condition from what gitcert found out
// about it in this reconcile. Pure. Not ready: the reason and message of the
// first problem found (bad spec, missing Secret, unusable ACME account), or
// of the live check of its server when that failed (an ACME account the
// server refuses, a sealed Vault), with cert-manager's reason for a setup
// failure of that issuer type; ready: cert-manager's reason for the type.
import type { Diagnostic } from "../diagnostics.ts";
import type { IssuerReadiness } from "../issuers/types.ts";
import type { IssuerResource } from "../manifests/index.ts";
import { nextConditions, type Condition } from "./conditions.ts";

export interface IssuerStatus {
  conditions?: Condition[];
  [field: string]: unknown;
}

/** cert-manager's reason for a ready issuer of each type (pkg/issuer/<type>/setup.go). */
const READY_REASON: Record<string, string> = { acme: "ACMEAccountRegistered", ca: "KeyPairVerified", selfSigned: "IsReady", vault: "VaultVerified", venafi: "Venafi issuer started" };

/** cert-manager's reason when an issuer of the type fails its setup (its server refuses or cannot be reached). */
const SETUP_FAILED_REASON: Record<string, string> = { acme: "ErrRegisterACMEAccount", vault: "VaultError", venafi: "ErrorSetup" };

export function issuerStatus(issuer: IssuerResource, problems: readonly Diagnostic[], current: IssuerStatus | undefined, generation: number | undefined, now: Date, live?: IssuerReadiness): IssuerStatus {
  const first = problems.find((d) => d.severity === "error");
  const type = Object.keys(READY_REASON).find((t) => issuer.spec[t] !== undefined && issuer.spec[t] !== null);
  const ready = first
    ? { type: "Ready", status: "False" as const, reason: first.code, message: first.message }
    : live && !live.ready
      ? { type: "Ready", status: "False" as const, reason: (type && SETUP_FAILED_REASON[type]) ?? "ErrorSetup", message: live.message }
      : { type: "Ready", status: "True" as const, reason: (type && READY_REASON[type]) ?? "IsReady", message: live?.message ?? `Issuer in ${issuer.source.file}:${issuer.source.line} is ready to issue` };
  return { ...current, conditions: nextConditions(current?.conditions, [ready], [], generation, now) };
}

/** The diagnostics about one issuer, by kind, namespace and name. */
export function diagnosticsAbout(issuer: IssuerResource, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.object?.kind === issuer.kind && d.object.name === issuer.name && (d.object.namespace ?? "") === issuer.namespace);
}
