// Which solver answers a domain's challenge: cert-manager's rule
// (pkg/util/pki/solverpicker, pkg/controller/acmeorders/selectors). Only
// solvers whose challenge type the server offers count; a solver without a
// selector is the catch-all; a dnsNames match beats a dnsZones match; the
// zone with the most labels wins; then the most matchLabels; then the
// earlier solver in the list.
import type { SolverSelector, SolverSpec } from "./schema.ts";

export type ChallengeType = "http-01" | "dns-01";

export interface PickInput {
  /** The identifier as cert-manager names it: `*.example.com` for a wildcard authorization. */
  domain: string;
  /** Challenge types the server offers for it, in its order. */
  offered: readonly string[];
  solvers: readonly SolverSpec[];
  /** The Certificate's labels, for matchLabels. */
  labels: Readonly<Record<string, string>>;
}

export interface Picked {
  solver: SolverSpec;
  challengeType: ChallengeType;
}

interface Score {
  labels: number;
  dnsNames: number;
  dnsZones: number;
}

export function pickSolver(input: PickInput): Picked | undefined {
  let selected: Picked | undefined;
  let best: Score = { labels: 0, dnsNames: 0, dnsZones: 0 };

  for (const solver of input.solvers) {
    const challengeType = challengeFor(solver, input.offered);
    if (!challengeType) continue;
    if (!solver.selector) {
      if (!selected) selected = { solver, challengeType };
      continue;
    }
    const score = matches(solver.selector, input.domain, input.labels);
    if (!score) continue;
    const take = () => {
      selected = { solver, challengeType };
      best = score;
    };
    if (!selected) {
      take();
      continue;
    }
    // Several matching dnsNames weigh no more than one.
    const bestNames = best.dnsNames > 0;
    const names = score.dnsNames > 0;
    if (names !== bestNames) {
      if (names) take();
      continue;
    }
    if (names) {
      if (score.dnsZones !== best.dnsZones) {
        if (score.dnsZones > best.dnsZones) take();
        continue;
      }
      if (score.labels > best.labels) take();
      continue;
    }
    const bestZones = best.dnsZones > 0;
    const zones = score.dnsZones > 0;
    if (zones !== bestZones) {
      if (zones) take();
      continue;
    }
    if (zones && score.dnsZones !== best.dnsZones) {
      if (score.dnsZones > best.dnsZones) take();
      continue;
    }
    if (score.labels > best.labels) take();
  }
  return selected;
}

function challengeFor(solver: SolverSpec, offered: readonly string[]): ChallengeType | undefined {
  for (const type of offered) {
    if (type === "http-01" && solver.http01) return "http-01";
    if (type === "dns-01" && solver.dns01) return "dns-01";
  }
  return undefined;
}

/** The selector's match counts, or undefined when any part of it does not match. */
function matches(selector: SolverSelector, domain: string, labels: Readonly<Record<string, string>>): Score | undefined {
  const required = Object.entries(selector.matchLabels ?? {});
  if (required.some(([k, v]) => labels[k] !== v)) return undefined;

  const names = selector.dnsNames ?? [];
  if (names.length > 0 && !names.includes(domain)) return undefined;

  const zones = selector.dnsZones ?? [];
  let zoneLabels = 0;
  for (const zone of zones) {
    const n = zoneMatchLabels(zone, domain);
    if (n > zoneLabels) zoneLabels = n;
  }
  if (zones.length > 0 && zoneLabels === 0) return undefined;

  return { labels: required.length, dnsNames: names.length > 0 ? 1 : 0, dnsZones: zoneLabels };
}

/** Labels of `zone` when `name` is the zone or inside it (miekg/dns CompareDomainName), else 0. */
export function zoneMatchLabels(zone: string, name: string): number {
  const z = splitLabels(zone);
  const n = splitLabels(name);
  if (z.length === 0 || z.length > n.length) return 0;
  for (let i = 1; i <= z.length; i++) {
    if (z[z.length - i] !== n[n.length - i]) return 0;
  }
  return z.length;
}

function splitLabels(name: string): string[] {
  return name.toLowerCase().replace(/\.$/, "").split(".").filter(Boolean);
}

/** Why no solver fits, in words a user can act on. */
export function noSolverReason(input: PickInput, issuerLabel: string): string {
  const wildcard = input.domain.startsWith("*.");
  const dnsSolvers = input.solvers.filter((s) => s.dns01);
  if (input.solvers.length === 0) return `${issuerLabel} has no solvers (spec.acme.solvers), so ${input.domain} cannot be validated`;
  if (wildcard && dnsSolvers.length === 0) {
    return `${input.domain} is a wildcard, which ACME validates only with DNS-01, and ${issuerLabel} has no dns01 solver`;
  }
  if (wildcard) return `${input.domain} is a wildcard, which needs a dns01 solver, and no dns01 solver's selector of ${issuerLabel} matches it`;
  return `no solver of ${issuerLabel} matches ${input.domain} (selectors: dnsNames, dnsZones, matchLabels; challenge types offered: ${input.offered.join(", ") || "none"})`;
}
