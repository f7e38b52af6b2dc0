// cert-manager's renewal time (pkg/util/pki/renewaltime.go): renewBefore when
// it fits inside the actual lifetime, else the percentage, else one third.
import type { CertificateSpec } from "../manifests/types.ts";

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

/** When to renew, truncated to the second; undefined when renewal is disabled. */
export function renewalTime(
  notBefore: Date,
  notAfter: Date,
  spec: Pick<CertificateSpec, "renewBefore" | "renewBeforePercentage" | "renewalPolicy">,
): Date | undefined {
  if (spec.renewalPolicy === "Disabled") return undefined;
  const lifetime = (notAfter.getTime() - notBefore.getTime()) / 1000;
  const at = notAfter.getTime() - renewBeforeSeconds(lifetime, spec) * 1000;
  return new Date(Math.floor(at / 1000) * 1000);
}
