// Where the Secret file of a Certificate found in the cluster goes, so that
// the owner that made the Certificate's object applies the Secret too:
//
// - a Flux Kustomization: its `path` (it applies that folder);
// - a HelmRelease: its manifest's folder, when the Flux Kustomization that
//   applies the HelmRelease applies that folder and nothing else does (a
//   HelmRelease renders its chart, never files beside it: the Secret is
//   applied by what applies the HelmRelease's folder); but when that
//   folder is a base outside the Kustomization's `path` (`../base/web`),
//   or applied by more than it, the Kustomization's own `path`: a base
//   shared by two clusters' overlays would hand one cluster's Secret to
//   both;
// - an Argo CD Application: its source folder in this repository, else the
//   folder of its manifest, under the same rule as a HelmRelease.
//
// `discovery.secretFolder` can name another folder ({ownerDir},
// {namespace}, {owner}); `discovery.fallbackFolder` is tried last. Any
// folder must be applied by exactly the expected applier (or, for the
// fallback, by exactly one), and must not put the Secret in another
// namespace. Pure.
import { posix } from "node:path";
import { applierLabel, appliersOfFolder, sameApplier, type AppliedBy, type ClusterOwner, type GitOpsView } from "../gitops/index.ts";
import { dns1123SubdomainProblem } from "../manifests/validate-names.ts";
import type { OwnerLookup } from "./repository-owner.ts";
import type { DiscoverySettings } from "./types.ts";

export type SecretFolder = { dir: string; how: string } | { problem: string };

interface Candidate {
  dir: string;
  what: string;
  /** Who must apply it; undefined: any one applier. */
  expected?: AppliedBy;
}

export function secretFolder(
  owner: Extract<OwnerLookup, { found: unknown }> | undefined,
  namespace: string,
  settings: DiscoverySettings,
  view: Pick<GitOpsView, "kustomizations" | "applications">,
): SecretFolder {
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  if (owner) {
    const own = ownerFolders(owner, view);
    if (settings.secretFolder === "{ownerDir}") candidates.push(...own.candidates);
    else {
      const first = own.candidates[0];
      const expanded = expand(settings.secretFolder, { ownerDir: first?.dir, namespace, owner: owner.found.name });
      if ("error" in expanded) skipped.push(`discovery.secretFolder ${settings.secretFolder}: ${expanded.error}`);
      else candidates.push({ dir: expanded.dir, what: `discovery.secretFolder ${settings.secretFolder}`, ...(own.expected ? { expected: own.expected } : {}) });
    }
    skipped.push(...own.skipped);
  }
  if (settings.fallbackFolder) {
    const expanded = expand(settings.fallbackFolder, { namespace, ...(owner ? { owner: owner.found.name } : {}) });
    if ("error" in expanded) skipped.push(`discovery.fallbackFolder ${settings.fallbackFolder}: ${expanded.error}`);
    else candidates.push({ dir: expanded.dir, what: "discovery.fallbackFolder" });
  }
  const refused: string[] = [...skipped];
  for (const c of candidates) {
    const appliers = appliersOfFolder(c.dir, view);
    const shown = c.dir === "" ? "the repository root" : `${c.dir}/`;
    if (appliers.length === 0) {
      refused.push(`${shown} (${c.what}) is applied by no Flux Kustomization or Argo CD Application gitcert can see`);
      continue;
    }
    if (c.expected && !appliers.some((a) => sameApplier(a.by, c.expected!))) {
      refused.push(`${shown} (${c.what}) is not applied by ${applierLabel(c.expected)} but by ${appliers.map((a) => applierLabel(a.by)).join(", ")}`);
      continue;
    }
    if (appliers.length > 1) {
      refused.push(`${shown} (${c.what}) is applied by ${appliers.length} appliers (${appliers.map((a) => applierLabel(a.by)).join(", ")}), which would all apply the Secret`);
      continue;
    }
    const applier = appliers[0]!;
    if (applier.namespace && applier.namespace !== namespace) {
      refused.push(`${shown} (${c.what}) is applied by ${applierLabel(applier.by)} into namespace ${applier.namespace}, not ${namespace}`);
      continue;
    }
    const by = applierLabel(applier.by);
    return { dir: c.dir, how: `${shown}: ${c.what}${c.what.includes(by) ? "" : `, applied by ${by}`}` };
  }
  const fix = settings.fallbackFolder ? "" : "; set discovery.fallbackFolder to a folder one Flux Kustomization or Argo CD Application applies";
  return { problem: `no folder for its Secret file: ${refused.join("; ") || "nothing in this repository applies it"}${fix}` };
}

/** The folders the owner applies, best first, and who must apply them. */
function ownerFolders(lookup: Extract<OwnerLookup, { found: unknown }>, view: Pick<GitOpsView, "kustomizations" | "applications">): { candidates: Candidate[]; skipped: string[]; expected?: AppliedBy } {
  const owner: ClusterOwner = lookup.found;
  const label = applierLabel(owner);
  const folderOf = (file: string) => (posix.dirname(file) === "." ? "" : posix.dirname(file));
  if (owner.kind === "Kustomization") {
    const k = lookup.kustomization!.kustomization;
    const self: AppliedBy = { kind: "Kustomization", namespace: k.namespace, name: k.name, source: k.source };
    if (k.dir === undefined) return { candidates: [], skipped: [`the spec.path of ${label} is not a folder of this repository`], expected: self };
    return { candidates: [{ dir: k.dir, what: `the spec.path of ${label}`, expected: self }], skipped: [], expected: self };
  }
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  if (lookup.application && lookup.application.sources.length > 0) {
    // An Application with a folder here applies that folder itself.
    const expected = lookup.application.application;
    candidates.push({ dir: lookup.application.sources[0]!.dir, what: `the source folder of ${label}`, expected });
    return { candidates, skipped, expected };
  }
  const expected = owner.appliedBy;
  if (!expected) {
    skipped.push(`nothing in this repository applies ${label}`);
    return { candidates, skipped };
  }
  const manifestDir = folderOf(owner.source.file);
  const home =
    expected.kind === "Kustomization"
      ? view.kustomizations.find(({ kustomization: k }) => k.name === expected.name && k.namespace === expected.namespace)?.kustomization.dir
      : view.applications.find((a) => sameApplier(a.application, expected))?.sources[0]?.dir;
  // A manifest outside its applier's folder is in a base (`../base/web`) that other overlays — other
  // clusters, which gitcert may not render — include too: the Secret goes to the applier's own folder.
  const inBase = home !== undefined && !(home === "" || manifestDir === home || manifestDir.startsWith(`${home}/`));
  if (!inBase) candidates.push({ dir: manifestDir, what: `the folder of ${label}`, expected });
  if (home !== undefined && home !== manifestDir) {
    candidates.push({ dir: home, what: inBase ? `the folder of ${applierLabel(expected)}, which applies ${label} from the base ${manifestDir}/` : `the folder ${applierLabel(expected)} applies`, expected });
  }
  return { candidates, skipped, expected };
}

function expand(template: string, values: { ownerDir?: string; namespace: string; owner?: string }): { dir: string } | { error: string } {
  if (template.includes("{ownerDir}") && values.ownerDir === undefined) return { error: "the owner has no folder in this repository" };
  if (template.includes("{owner}") && values.owner === undefined) return { error: "the object has no owner" };
  for (const [field, value] of [["namespace", values.namespace], ["owner", values.owner]] as const) {
    if (value !== undefined && template.includes(`{${field}}`) && dns1123SubdomainProblem(value) !== undefined) return { error: `${field} ${JSON.stringify(value)} cannot be used in a folder name` };
  }
  const filled = template.replaceAll("{ownerDir}", values.ownerDir ?? "").replaceAll("{namespace}", values.namespace).replaceAll("{owner}", values.owner ?? "");
  const dir = posix.normalize(filled === "" ? "." : filled).replace(/\/$/, "");
  if (dir === ".." || dir.startsWith("../") || posix.isAbsolute(dir) || dir.includes("\0")) return { error: `${JSON.stringify(filled)} is outside the repository` };
  return { dir: dir === "." ? "" : dir };
}
