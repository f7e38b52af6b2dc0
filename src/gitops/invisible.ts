// Objects that only exist once a chart is rendered: a HelmRelease, an Argo
// CD Application with a Helm source, a Helm chart kept in the repository, a
// kustomization inflating a chart. gitcert does not render Helm, so it
// names each one whose values or templates mention what makes a
// certificate (ingress TLS, cert-manager annotations, issuers), with the
// file and line, instead of staying silent about them.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parse as parseYaml, type Document } from "yaml";
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import type { ManifestDocument } from "../manifests/types.ts";
import { isRecord } from "../schema/index.ts";

type Path = Array<string | number>;

interface Hit {
  path: Path;
  what: string;
}

/** Text that cannot ask for a certificate: not parsed at all (parsing is most of a scan's cost). */
export const MAY_ASK_FOR_CERTIFICATES = /cert-manager\.io|tls|[Ii]ssuer|certManager|Certificate/;

/** The code of these notes: with cluster discovery, the ones about an owner whose objects the cluster showed are dropped. */
export const INVISIBLE_CODE = "InvisibleCertificates";

/** What these notes advise; with a cluster that shows nothing of them, reworded (src/discovery). */
export const INVISIBLE_ADVICE = "may create certificates gitcert cannot read from Git alone — give gitcert cluster access to see them";

/** Where a HelmRelease, Application or chart asks for certificates, as info diagnostics. */
export function invisibleCertificates(input: {
  files: ReadonlyArray<{ path: string; text: string }>;
  documents: ReadonlyMap<string, readonly ManifestDocument[]>;
  kustomizations: ReadonlyArray<{ file: string; object: Record<string, unknown>; source: SourceRef }>;
  charts: ReadonlySet<string>;
  namespaceOf: (doc: ManifestDocument) => string;
}): Diagnostic[] {
  // Texts are read only where they are looked at (values files, charts' files).
  const files = new Map(input.files.map((f) => [f.path, f]));
  const texts = { get: (path: string) => files.get(path)?.text };
  // Each file parsed once, with its lines: for values (toJS) and for where a hit is.
  const parsed = new Map<string, Parsed | undefined>();
  const parseFile = (path: string): Parsed | undefined => {
    if (!parsed.has(path)) parsed.set(path, parseWithLines(texts.get(path)));
    return parsed.get(path);
  };
  const valuesOf = (path: string): unknown => {
    const first = parseFile(path)?.docs[0];
    try {
      return first && first.errors.length === 0 ? first.toJS({ maxAliasCount: 100 }) : undefined;
    } catch {
      return undefined;
    }
  };
  const out: Diagnostic[] = [];
  const report = (file: string, docLine: number, prefix: Path, found: Hit[], what: string, object?: ObjectRef) => {
    // Ingress TLS alone is not cert-manager's: without an issuer annotation
    // (or a chart's issuer setting) it issues nothing. The note points at what asks.
    const asking = found.filter((h) => h.what !== INGRESS_TLS);
    if (asking.length === 0) return;
    const hits = [...asking, ...found.filter((h) => h.what === INGRESS_TLS)];
    const line = lineOf(parseFile(file), docLine, [...prefix, ...hits[0]!.path]) ?? docLine;
    const named = [...new Set(hits.map((h) => h.what))].slice(0, 4).join(", ");
    // With an object, formatDiagnostic already names it: the message says what of it.
    out.push(diagnostic(INVISIBLE_CODE, `${what}${what ? " " : ""}${INVISIBLE_ADVICE} (${named})`, { source: { file, line }, ...(object ? { object } : {}) }, "info"));
  };

  for (const [file, docs] of input.documents) {
    for (const doc of docs) {
      const o = doc.object;
      const apiVersion = typeof o.apiVersion === "string" ? o.apiVersion : "";
      const name = isRecord(o.metadata) && typeof o.metadata.name === "string" ? o.metadata.name : "?";
      const spec = isRecord(o.spec) ? o.spec : {};
      if (o.kind === "HelmRelease" && apiVersion.startsWith("helm.toolkit.fluxcd.io/")) {
        const object = { kind: "HelmRelease", namespace: input.namespaceOf(doc), name };
        report(file, doc.source.line, ["spec", "values"], findHits(spec.values), "", object);
      } else if ((o.kind === "Application" || o.kind === "ApplicationSet") && apiVersion.startsWith("argoproj.io/")) {
        const template = o.kind === "ApplicationSet" && isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : spec;
        const prefix: Path = o.kind === "ApplicationSet" ? ["spec", "template", "spec"] : ["spec"];
        const sources: Array<{ source: unknown; at: Path }> = [];
        if (template.source !== undefined) sources.push({ source: template.source, at: [...prefix, "source"] });
        if (Array.isArray(template.sources)) template.sources.forEach((s, i) => sources.push({ source: s, at: [...prefix, "sources", i] }));
        for (const { source, at } of sources) {
          if (!isRecord(source) || !isRecord(source.helm)) continue;
          const helm = source.helm;
          const hits = [...findHits(helm.valuesObject).map((h) => ({ ...h, path: ["helm", "valuesObject", ...h.path] }))];
          if (typeof helm.values === "string") hits.push(...findHits(safeParse(helm.values)).map((h) => ({ ...h, path: ["helm", "values"] as Path })));
          // Values files in this repository (`$ref/path` of a multi-source Application, or beside a chart kept here).
          for (const v of Array.isArray(helm.valueFiles) ? helm.valueFiles : []) {
            if (typeof v !== "string") continue;
            const path = v.startsWith("$") ? v.slice(v.indexOf("/") + 1) : typeof source.path === "string" ? `${source.path.replace(/\/$/, "")}/${v}` : v;
            const file = path.replace(/^\.\//, "");
            const text = texts.get(file);
            if (text === undefined || !MAY_ASK_FOR_CERTIFICATES.test(text)) continue;
            report(file, 1, [], findHits(valuesOf(file)), `its Helm values file ${file}`, { kind: String(o.kind), name });
          }
          if (Array.isArray(helm.parameters)) {
            helm.parameters.forEach((p, i) => {
              if (isRecord(p) && typeof p.name === "string" && /ingress.*tls|cert-?manager|issuer/i.test(p.name)) hits.push({ path: ["helm", "parameters", i], what: `parameter ${p.name}` });
            });
          }
          report(file, doc.source.line, at, hits, "its Helm source", { kind: String(o.kind), name });
        }
      }
    }
  }

  for (const k of input.kustomizations) {
    const charts = k.object.helmCharts;
    if (!Array.isArray(charts)) continue;
    charts.forEach((c, i) => {
      if (!isRecord(c)) return;
      // Only what its inline values say: most inflated charts (a CNI, a CSR approver) make no certificates.
      const hits = findHits(c.valuesInline).map((h) => ({ ...h, path: ["valuesInline", ...h.path] }));
      report(k.file, k.source.line, ["helmCharts", i], hits, `Helm chart ${typeof c.name === "string" ? c.name : `#${i}`} in ${k.file}`);
    });
  }

  for (const chart of input.charts) {
    const prefix = chart === "" ? "" : `${chart}/`;
    for (const [path, file] of files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const text = file.text;
      if (/^values[^/]*\.ya?ml$/.test(rest)) {
        if (MAY_ASK_FOR_CERTIFICATES.test(text)) report(path, 1, [], findHits(valuesOf(path)), `Helm chart ${chart || "."} (values)`);
      } else if (rest.startsWith("templates/") && text.includes("{{")) {
        const line = templateMention(text);
        if (line) out.push(diagnostic(INVISIBLE_CODE, `Helm chart ${chart || "."} template ${INVISIBLE_ADVICE} (${line.what})`, { source: { file: path, line: line.line } }, "info"));
      }
    }
  }
  return out;
}

const ANNOTATION = /^(cert-manager\.io\/(cluster-issuer|issuer|common-name|issuer-kind)|kubernetes\.io\/tls-acme)$/;
// Not a bare `issuer`: that is as often an OIDC issuer URL (Dex, Grafana, an OAuth proxy).
const ISSUER_KEY = /^(cluster-?issuer|issuer(Ref|Name)|certManager)$/i;
const INGRESS_TLS = "ingress TLS";

/** Places in a values tree that ask for a certificate, outermost first. */
export function findHits(values: unknown, path: Path = [], underIngress = false, out: Hit[] = []): Hit[] {
  if (out.length >= 8) return out;
  if (Array.isArray(values)) {
    values.forEach((v, i) => findHits(v, [...path, i], underIngress, out));
    return out;
  }
  if (!isRecord(values)) return out;
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined || value === false) continue;
    // Charts switch features off with `enabled: false`: nothing below asks for anything.
    if (isRecord(value) && value.enabled === false) continue;
    const here = [...path, key];
    if (ANNOTATION.test(key)) out.push({ path: here, what: `annotation ${key}` });
    else if (key === "tls" && underIngress && (value === true || (Array.isArray(value) && value.length > 0) || (isRecord(value) && Object.keys(value).length > 0))) {
      out.push({ path: here, what: INGRESS_TLS });
    } else if (ISSUER_KEY.test(key) && (typeof value === "string" ? value !== "" : true)) out.push({ path: here, what: `${key} setting` });
    else if (key === "kind" && (value === "Certificate" || value === "Issuer" || value === "ClusterIssuer")) out.push({ path: here, what: article(value) });
    findHits(value, here, underIngress || /ingress|route|gateway/i.test(key), out);
  }
  return out;
}

function templateMention(text: string): { line: number; what: string } | undefined {
  const lines = text.split("\n");
  for (const [i, l] of lines.entries()) {
    const kind = l.match(/^\s*kind:\s*(Certificate|Issuer|ClusterIssuer)\s*$/);
    if (kind) return { line: i + 1, what: article(kind[1]!) };
    const annotation = l.match(/(cert-manager\.io\/(cluster-issuer|issuer)|kubernetes\.io\/tls-acme)/);
    if (annotation) return { line: i + 1, what: `annotation ${annotation[1]}` };
  }
  return undefined;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function safeParse(text: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: false, maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

interface Parsed {
  docs: Document.Parsed[];
  lineCounter: LineCounter;
}

function parseWithLines(text: string | undefined): Parsed | undefined {
  if (text === undefined) return undefined;
  try {
    const lineCounter = new LineCounter();
    return { docs: parseAllDocuments(text, { lineCounter, prettyErrors: false }) as Document.Parsed[], lineCounter };
  } catch {
    return undefined;
  }
}

/** The line of the key (or item) at `path` in the document starting at `docLine`. */
function lineOf(parsed: Parsed | undefined, docLine: number, path: Path): number | undefined {
  if (!parsed) return undefined;
  const { docs, lineCounter } = parsed;
  for (const doc of docs) {
    let node: unknown = doc.contents;
    const start = (node as { range?: number[] } | null)?.range?.[0];
    // Line 1 stands for "the file's first document", which comments may push down.
    if (start === undefined || (docLine > 1 && lineCounter.linePos(start).line !== docLine)) continue;
    let line = lineCounter.linePos(start).line;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
        if (!pair) break;
        const at = (pair.key as { range?: number[] }).range?.[0];
        if (at !== undefined) line = lineCounter.linePos(at).line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
        const at = (node as { range?: number[] } | undefined)?.range?.[0];
        if (at !== undefined) line = lineCounter.linePos(at).line;
      } else break;
    }
    return line;
  }
  return undefined;
}
