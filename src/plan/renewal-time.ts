// cert-manager's renewal time (pkg/util/pki/renewaltime.go): renewBefore when
// it fits inside the actual lifetime, else the percentage, else one third;
// then moved into the Certificate's renewal windows, if it has any.
import type { CertificateSpec } from "../manifests/types.ts";
import { renewalInWindows, type WindowedRenewal } from "./renewal-window.ts";

export function renewBeforeSeconds(
  lifetimeSeconds: number,
  spec: Pick<CertificateSpec, "renewBefore" | "renewBeforePercentage">,
): number {
  if (spec.renewBefore !== undefined && spec.renewBefore > 0 && spec.renewBefore < lifetimeSeconds) {
    return spec.renewBefore;
  }
  const pct = spec.renewBeforePercentage;
  if (pct !== undefined && pct > 0 && pct < 100) return (lifetimeSeconds * pct) / 100;
  return lifetimeSeconds / 3;
}

type RenewalSpec = Pick<CertificateSpec, "renewBefore" | "renewBeforePercentage" | "renewalPolicy" | "renewalWindows">;

/** When to renew, truncated to the second; undefined when renewal is disabled. */
export function renewalTime(notBefore: Date, notAfter: Date, spec: RenewalSpec): Date | undefined {
  return renewalSchedule(notBefore, notAfter, spec)?.at;
}

/** The renewal time and, when the spec has windows and none fits, why it stands. */
export function renewalSchedule(notBefore: Date, notAfter: Date, spec: RenewalSpec): WindowedRenewal | undefined {
  if (spec.renewalPolicy === "Disabled") return undefined;
  const lifetime = (notAfter.getTime() - notBefore.getTime()) / 1000;
  const at = notAfter.getTime() - renewBeforeSeconds(lifetime, spec) * 1000;
  const desired = new Date(Math.floor(at / 1000) * 1000);
  return spec.renewalWindows?.length ? renewalInWindows(desired, notBefore, notAfter, spec.renewalWindows) : { at: desired };
}
