// The cluster's objects merged with Git's: one object, one identity (kind,
// namespace, name). An object Git renders is Git's — Flux or Argo CD apply
// Git next, and what gitcert commits must match what they will apply — and
// when the cluster's copy asks for something else, that is reported. An
// object Git does not render (a chart's Ingress, a remote base, a value
// from a cluster Secret) is read from the cluster when the labels Flux or
// Argo CD put on it name an owner in this repository; then its Secret file
// goes where that owner applies it. Objects owned by nothing here are
// reported, and issued only with `discovery.unowned: issue`. Pure.
import { diagnostic, objectLabel, type Diagnostic, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import { sameJson } from "../kube/same-json.ts";
import { applierKindLabel, INVISIBLE_ADVICE, INVISIBLE_CODE, type ClusterSource, type Origin, type GitOpsView, type RenderedDocument } from "../gitops/index.ts";
import type { CertificateResource, IssuerResource, ManifestDocument } from "../manifests/types.ts";
import { ownerClaim, type OwnerClaim } from "./owner-labels.ts";
import { repositoryOwner } from "./repository-owner.ts";
import { secretFolder } from "./secret-folder.ts";
import type { ClusterObject, ClusterView, DiscoverySettings } from "./types.ts";

export interface DiscoverInput {
  cluster: ClusterView & { objects: ClusterObject[] };
  settings: DiscoverySettings;
  view: GitOpsView;
  /** Git's objects as they reach the cluster. */
  gitDocuments: Iterable<RenderedDocument>;
  /** The namespace Git gives an object: its own, its kustomization's, the default. */
  namespaceOf(doc: ManifestDocument): string;
  /** What one document yields, to compare Git's copy of an object with the cluster's. */
  read(doc: ManifestDocument): { certificates: readonly CertificateResource[]; issuers: readonly IssuerResource[] };
}

export interface DiscoveredDocument extends ManifestDocument {
  origin: Origin & { from: "cluster"; cluster: ClusterSource };
}

export interface Discovery {
  documents: DiscoveredDocument[];
  diagnostics: Diagnostic[];
}

const KINDS: ReadonlySet<string> = new Set(["Ingress", "Gateway", "Certificate", "Issuer", "ClusterIssuer"]);
/** Kinds whose Certificates write a Secret file, and so need a folder for it. */
const WRITING_KINDS: ReadonlySet<string> = new Set(["Ingress", "Gateway", "Certificate"]);

export function discover(input: DiscoverInput): Discovery {
  const git = new Map<string, RenderedDocument>();
  const gitByName = new Map<string, RenderedDocument[]>();
  for (const doc of input.gitDocuments) {
    const kind = String(doc.object.kind);
    if (!KINDS.has(kind)) continue;
    const name = nameOf(doc.object);
    if (!name) continue;
    git.set(identity(kind, kind === "ClusterIssuer" ? "" : input.namespaceOf(doc), name), doc);
    gitByName.set(`${kind}/${name}`, [...(gitByName.get(`${kind}/${name}`) ?? []), doc]);
  }
  const documents: DiscoveredDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const unowned = new Map<string, ClusterObject[]>();
  const server = input.cluster.server;

  for (const object of input.cluster.objects) {
    if (!KINDS.has(object.kind)) continue;
    const namespace = object.kind === "ClusterIssuer" ? "" : (object.metadata.namespace ?? "");
    const ref = refOf(object);
    const claim = ownerClaim(object);
    const gitCopy = git.get(identity(object.kind, namespace, object.metadata.name)) ?? movedCopy(object, claim, gitByName);
    if (gitCopy) {
      const differs = differences(input, gitCopy, object);
      if (differs) diagnostics.push(driftWarning(gitCopy, object, namespace, differs, server));
      continue;
    }
    const lookup = claim ? repositoryOwner(claim, input.view) : undefined;
    if (lookup && "ambiguous" in lookup) {
      diagnostics.push(diagnostic("DiscoveryOwnerAmbiguous", `in the cluster (${server}), applied by ${lookup.ambiguous}; not issued`, { object: ref }, "warning"));
      continue;
    }
    const owned = lookup && "found" in lookup ? lookup : undefined;
    if (!owned) {
      const why = claim ? `${claim.label}: ${lookup && "missing" in lookup ? `${lookup.missing} is not in this repository` : ""}` : "no Flux or Argo CD labels";
      unowned.set(why, [...(unowned.get(why) ?? []), object]);
      if (input.settings.unowned !== "issue") continue;
    }
    const folder = WRITING_KINDS.has(object.kind) ? secretFolder(owned, namespace, input.settings, input.view) : undefined;
    const cluster: ClusterSource = {
      object: { apiVersion: object.apiVersion, kind: object.kind, ...(namespace ? { namespace } : {}), name: object.metadata.name },
      server,
      ...(owned ? { owner: owned.found } : {}),
      ...(claim ? { ownerLabel: claim.label } : {}),
      ...(folder ? { secretFolder: folder } : {}),
    };
    const origin = { from: "cluster" as const, patchedBy: [], substituted: [], cluster };
    const source: SourceRef = owned ? owned.found.source : { file: `cluster:${object.kind}/${namespace ? `${namespace}/` : ""}${object.metadata.name}`, line: 0 };
    documents.push({ source, object: manifestOf(object), origin });
  }

  for (const [why, objects] of unowned) {
    const shown = objects.slice(0, 5).map((o) => objectLabel(refOf(o))).join(", ");
    const more = objects.length > 5 ? ` and ${objects.length - 5} more` : "";
    const what = input.settings.unowned === "issue" ? "issued into discovery.fallbackFolder (discovery.unowned: issue)" : "not issued (discovery.unowned: issue would issue them)";
    diagnostics.push(
      diagnostic(
        "DiscoveryUnowned",
        `${objects.length === 1 ? "1 object" : `${objects.length} objects`} in the cluster (${server}) ${objects.length === 1 ? "asks" : "ask"} for certificates, but nothing in this repository applies ${objects.length === 1 ? "it" : "them"} (${why}): ${shown}${more}; ${what}`,
        {},
        "info",
      ),
    );
  }
  return { documents, diagnostics };
}

/**
 * The notes about what Git cannot show, with the cluster read: those about
 * an owner some discovered object came from are answered and go; the rest
 * say the cluster shows nothing of theirs (not yet applied, or applied
 * from elsewhere), no longer to give gitcert cluster access.
 */
export function withoutAnswered(diagnostics: readonly Diagnostic[], discovered: readonly DiscoveredDocument[], server: string): Diagnostic[] {
  const answered = new Set(discovered.flatMap(({ origin: { cluster: { owner } } }) => (owner ? [`${owner.kind}/${owner.name}/${owner.source.file}`] : [])));
  return diagnostics.flatMap((d) => {
    if (d.code !== INVISIBLE_CODE) return [d];
    if (d.object && answered.has(`${d.object.kind}/${d.object.name}/${d.source?.file}`)) return [];
    return [{ ...d, message: d.message.replace(INVISIBLE_ADVICE, `may create certificates gitcert cannot read from Git alone, and the cluster (${server}) shows none that this repository applies`) }];
  });
}

function identity(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * Git's copy of an object that landed in another namespace than gitcert's
 * render says: same kind and name, applied by the same Kustomization or
 * Application the cluster's labels name.
 */
function movedCopy(object: ClusterObject, claim: OwnerClaim | undefined, gitByName: ReadonlyMap<string, RenderedDocument[]>): RenderedDocument | undefined {
  if (!claim || claim.kind === "HelmRelease") return undefined;
  const same = (gitByName.get(`${object.kind}/${object.metadata.name}`) ?? []).filter((doc) => {
    const by = doc.origin.appliedBy;
    return by !== undefined && by.kind === claim.kind && by.name === claim.name && (claim.namespace === undefined || by.namespace === claim.namespace);
  });
  // Only an unmistakable one: two objects of that name from one owner are two objects.
  return same.length === 1 ? same[0] : undefined;
}

/** What differs between Git's copy and the cluster's, in what gitcert reads from them; undefined when nothing does. */
function differences(input: DiscoverInput, gitCopy: RenderedDocument, object: ClusterObject): string[] | undefined {
  const ours = input.read(gitCopy);
  const theirs = input.read({ source: gitCopy.source, object: manifestOf(object) });
  const out: string[] = [];
  const gitNamespace = input.namespaceOf(gitCopy);
  if (object.kind !== "ClusterIssuer" && object.metadata.namespace && object.metadata.namespace !== gitNamespace) out.push(`namespace (Git's render: ${gitNamespace})`);
  const byName = (list: readonly CertificateResource[]) => new Map(list.map((c) => [c.name, c]));
  const gitCerts = byName(ours.certificates);
  const clusterCerts = byName(theirs.certificates);
  for (const [name, c] of clusterCerts) {
    const g = gitCerts.get(name);
    if (!g) out.push(`Certificate ${name} only in the cluster`);
    else {
      const fields = Object.keys({ ...g.spec, ...c.spec }).filter((k) => !sameJson((g.spec as unknown as Record<string, unknown>)[k], (c.spec as unknown as Record<string, unknown>)[k]));
      if (fields.length > 0) out.push(`${object.kind === "Certificate" ? "spec" : `Certificate ${name}`}: ${fields.join(", ")}`);
    }
  }
  for (const name of gitCerts.keys()) if (!clusterCerts.has(name)) out.push(`Certificate ${name} only in Git`);
  const [gi] = ours.issuers;
  const [ci] = theirs.issuers;
  if (gi && ci && !sameJson(gi.spec, ci.spec)) out.push("spec");
  return out.length > 0 ? out : undefined;
}

function driftWarning(gitCopy: RenderedDocument, object: ClusterObject, namespace: string, differs: readonly string[], server: string): Diagnostic {
  const by = gitCopy.origin.appliedBy;
  const next = by ? `${applierKindLabel(by.kind)} ${by.namespace}/${by.name} applies Git's next` : "Git's is what gets applied next";
  return diagnostic(
    "ClusterDiffersFromGit",
    `the cluster's copy (${server}) differs from Git's render (${differs.join("; ")}); gitcert follows Git: ${next}. A sync not done yet or failing, a change made in the cluster, or something gitcert does not render the way Flux or Argo CD does`,
    { source: gitCopy.source, object: { kind: object.kind, ...(namespace ? { namespace } : {}), name: object.metadata.name } },
    "warning",
  );
}

/** What gitcert reads of a live object: no status, no server-side fields. */
function manifestOf(object: ClusterObject): Record<string, unknown> {
  const m = object.metadata;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), ...(m.labels ? { labels: m.labels } : {}), ...(m.annotations ? { annotations: m.annotations } : {}) },
    ...(object.spec ? { spec: object.spec } : {}),
  };
}

function refOf(object: ClusterObject): ObjectRef {
  return { kind: object.kind, ...(object.kind !== "ClusterIssuer" && object.metadata.namespace ? { namespace: object.metadata.namespace } : {}), name: object.metadata.name };
}

function nameOf(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata;
  const name = metadata !== null && typeof metadata === "object" ? (metadata as Record<string, unknown>).name : undefined;
  return typeof name === "string" && name !== "" ? name : undefined;
}
