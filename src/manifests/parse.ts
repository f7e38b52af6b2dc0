// File text -> YAML documents, each with the line it starts on. Every file
// goes through one parser, the `yaml` library: values, errors, alias limits
// and lines all come from one place.
//
// Every failure is a Diagnostic for that document only: a syntax error in
// one document of a file does not hide the others, and a hostile document
// (alias bomb, absurd nesting) costs a bounded amount of time and memory.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document } from "yaml";
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import type { ManifestDocument } from "./types.ts";

/**
 * yaml's own default, stated so it is a decision: an alias expansion bigger
 * than this throws instead of building a billion-node object.
 */
export const MAX_ALIAS_COUNT = 100;

export interface ParseOptions {
  /**
   * Only documents whose `kind` passes are converted to objects and returned.
   * Conversion is a good part of the parse cost and most documents in a
   * GitOps repository (Deployments, Services…) are not ours. `List`
   * documents are always opened and their items filtered the same way.
   */
  wantKind?: (kind: string) => boolean;
}

export interface ParsedFile {
  documents: ManifestDocument[];
  diagnostics: Diagnostic[];
  /** Non-empty YAML documents seen, wanted or not (for scan statistics). */
  documentCount: number;
  /**
   * Set when the file is a Go/Helm template rather than YAML (see
   * templateSyntaxLine): the line of its first `{{`. Nothing else is returned.
   */
  templateLine?: number;
}

/** Errors with their lines, alias limits, merge keys, tags, Lists. */
export function parseManifests(file: { path: string; text: string }, options: ParseOptions = {}): ParsedFile {
  const documents: ManifestDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const where = (line: number) => ({ source: { file: file.path, line } });
  const wantKind = options.wantKind;

  const tooDeep = yamlNestingProblem(file.text);
  if (tooDeep) {
    diagnostics.push(diagnostic("YAMLTooDeep", tooDeep.message, where(tooDeep.line)));
    return { documents, diagnostics, documentCount: 0 };
  }

  let docs;
  try {
    // merge: Kubernetes' YAML (go-yaml) honours `<<` merge keys.
    // prettyErrors off: it appends a source excerpt to the message, and the
    // diagnostic already carries the line.
    docs = parseAllDocuments(file.text, { lineCounter, merge: true, prettyErrors: false });
  } catch (err) {
    // yaml reports syntax errors as values; a throw here is a stack
    // overflow on absurd nesting or similar, so it is about the whole file.
    diagnostics.push(
      diagnostic("InvalidYAML", `cannot parse YAML: ${err instanceof Error ? err.message : String(err)}`, where(1)),
    );
    return { documents, diagnostics, documentCount: 0 };
  }

  const templateLine = file.text.includes("{{") ? templateSyntaxLine(file.text, docs, lineCounter) : undefined;
  if (templateLine !== undefined) return { documents, diagnostics, documentCount: 0, templateLine };

  let documentCount = 0;
  for (const doc of docs) {
    const contents = doc.contents;
    const firstError = doc.errors[0];
    if (firstError) {
      documentCount++;
      const errorAt = errorLine(file.text, lineCounter, firstError.pos[0]);
      diagnostics.push(diagnostic("InvalidYAML", `invalid YAML: ${firstError.message}`, where(errorAt)));
      continue;
    }
    if (contents === null) continue;
    documentCount++;
    // Scalars and sequences at the top level are not Kubernetes objects.
    if (!isMap(contents)) continue;
    const line = lineAt(contents.range?.[0]);

    // Judge by the AST before converting. A kind written through an alias
    // or a merge key is not visible here; such documents are converted and
    // judged afterwards.
    const kindNode: unknown = contents.get("kind", true);
    const kindValue: unknown = isScalar(kindNode) ? kindNode.value : undefined;
    const astKind = typeof kindValue === "string" ? kindValue : undefined;
    if (wantKind && astKind !== undefined && !astKind.endsWith("List") && !wantKind(astKind)) continue;

    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // toJS throws for an alias expansion over the limit, for an alias
      // whose anchor is missing (not caught while composing), and for a
      // stack overflow on absurd nesting.
      const message = err instanceof Error ? err.message : String(err);
      if (message.startsWith("Excessive alias count")) {
        const why = `YAML aliases expand past the limit of ${MAX_ALIAS_COUNT} (a billion-laughs alias bomb?)`;
        diagnostics.push(diagnostic("YAMLAliasLimit", `document skipped: ${why}`, where(line)));
      } else {
        const at = unresolvedAliasLine(doc, lineAt) ?? line;
        diagnostics.push(diagnostic("InvalidYAML", `invalid YAML: ${message}`, where(at)));
      }
      continue;
    }
    if (!isPlainObject(object)) continue;
    const kind = typeof object.kind === "string" ? object.kind : undefined;

    if (kind !== undefined && kind.endsWith("List") && Array.isArray(object.items)) {
      // `kind: List` (and typed lists like CertificateList) as kubectl
      // accepts them: each item is an object of its own, at its own line.
      const itemsNode = contents.get("items", true);
      const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
      object.items.forEach((item, i) => {
        if (!isPlainObject(item)) return;
        if (wantKind && (typeof item.kind !== "string" || !wantKind(item.kind))) return;
        const node = itemNodes[i] as { range?: [number, number, number] } | undefined;
        documents.push({ source: { file: file.path, line: node?.range ? lineAt(node.range[0]) : line }, object: item });
      });
      continue;
    }
    if (wantKind && (kind === undefined || !wantKind(kind))) continue;
    documents.push({ source: { file: file.path, line }, object });
  }
  return { documents, diagnostics, documentCount };
}

/**
 * yaml reports some errors where it noticed them rather than where they
 * are: an unclosed `[` or quote at the next `---` or at the end of the
 * file. Step back over blank and marker lines to the line that is wrong.
 */
function errorLine(text: string, lineCounter: LineCounter, offset: number): number {
  const starts = lineCounter.lineStarts;
  let line = lineCounter.linePos(offset).line;
  while (line > 1) {
    const start = starts[line - 1] ?? text.length;
    const end = line < starts.length ? (starts[line] ?? text.length) : text.length;
    const content = text.slice(start, end).trim();
    if (content !== "" && content !== "---" && content !== "...") break;
    line--;
  }
  return line;
}

function unresolvedAliasLine(doc: Document.Parsed, lineAt: (offset: number | undefined) => number): number | undefined {
  let found: number | undefined;
  try {
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined) return undefined;
        found = lineAt(node.range?.[0]);
        return visit.BREAK;
      },
    });
  } catch {
    // Only a nicer line is lost; the document's own line is reported.
  }
  return found;
}

/**
 * Whether Helm would render anything in this text: it holds `{{`. Below a
 * chart's `templates/` folder that makes the whole file a template (even a
 * quoted `"{{ .Values.host }}"` becomes something else); elsewhere `{{` is
 * often just text in a YAML string (see templateSyntaxLine).
 */
export function isTemplateFile(text: string): boolean {
  return text.includes("{{");
}

/**
 * `{{` inside a YAML string value is valid YAML and common outside charts
 * (an ExternalSecret's template, a HelmRelease value the chart expands), so
 * such a file is read. It is a Go/Helm template, not YAML, when it does not
 * parse, or when a `{{` stands where YAML reads a flow mapping
 * (`name: {{ .Values.name }}` parses, as a mapping nobody meant). Returns the
 * line to point at, or undefined when the file is plain YAML.
 */
function templateSyntaxLine(text: string, docs: Document.Parsed[], lineCounter: LineCounter): number | undefined {
  const firstBraces = () => lineCounter.linePos(text.indexOf("{{")).line;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      // The line yaml stumbled on when it holds `{{`, else the file's first one.
      const at = lineCounter.linePos(doc.errors[0]!.pos[0]).line;
      const start = lineCounter.lineStarts[at - 1] ?? 0;
      const end = lineCounter.lineStarts[at] ?? text.length;
      return text.slice(start, end).includes("{{") ? at : firstBraces();
    }
    let found: number | undefined;
    visit(doc, {
      Map(_, node) {
        const start = node.range?.[0];
        if (node.flow && start !== undefined && text.startsWith("{{", start)) {
          found = lineCounter.linePos(start).line;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The chart folder when `path` is below a chart's `templates/` folder (Helm renders it), else undefined. */
export function chartOfTemplate(path: string, chartDirs: ReadonlySet<string>): string | undefined {
  if (chartDirs.size === 0) return undefined;
  let at = path.indexOf("templates/");
  while (at !== -1) {
    if (at === 0 && chartDirs.has("")) return "";
    if (at > 0 && path.charCodeAt(at - 1) === 47 /* "/" */ && chartDirs.has(path.slice(0, at - 1))) return path.slice(0, at - 1);
    at = path.indexOf("templates/", at + 1);
  }
  return undefined;
}

/** Folders holding a Helm chart, from the paths of all scanned files. */
export function chartDirsOf(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const p of paths) {
    if (p === "Chart.yaml") dirs.add("");
    else if (p.endsWith("/Chart.yaml")) dirs.add(p.slice(0, -"/Chart.yaml".length));
  }
  return dirs;
}

/**
 * A chart's template is expected (debug); elsewhere a file that does not
 * read as YAML because of its `{{` is said (info): its objects are not read.
 */
export function templateSkipped(path: string, line: number, severity: "debug" | "info"): Diagnostic {
  return diagnostic(
    "TemplateSkipped",
    "Go/Helm template syntax (`{{ … }}` outside a YAML string), not a plain manifest; its objects are skipped (what a chart renders is seen with cluster access)",
    { source: { file: path, line } },
    severity,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
