// Which objects a kustomize patch `target` selects: group, version and kind
// compared exactly, name and namespace as anchored regular expressions, and
// Kubernetes label selectors over labels and annotations. An empty field
// selects everything.

export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface SelectableObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A selector made from untyped input; `error` when a field is not a string or does not compile. */
export function readSelector(value: unknown): { selector?: Selector; error?: string } {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) return { error: "target must be a mapping" };
  const selector: Selector = {};
  for (const field of ["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"] as const) {
    const v = (value as Record<string, unknown>)[field];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") return { error: `target.${field} must be a string` };
    selector[field] = v;
  }
  try {
    if (selector.name) anchored(selector.name);
    if (selector.namespace) anchored(selector.namespace);
    if (selector.labelSelector) parseLabelSelector(selector.labelSelector);
    if (selector.annotationSelector) parseLabelSelector(selector.annotationSelector);
  } catch (err) {
    return { error: `target: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { selector };
}

function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const at = apiVersion.indexOf("/");
  return at === -1 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, at), version: apiVersion.slice(at + 1) };
}

export function selects(selector: Selector, obj: SelectableObject): boolean {
  const { group, version } = splitApiVersion(obj.apiVersion);
  if (selector.group !== undefined && selector.group !== group) return false;
  if (selector.version !== undefined && selector.version !== version) return false;
  if (selector.kind !== undefined && selector.kind !== obj.kind) return false;
  if (selector.name !== undefined && !anchored(selector.name).test(obj.name)) return false;
  if (selector.namespace !== undefined && !anchored(selector.namespace).test(obj.namespace)) return false;
  if (selector.labelSelector !== undefined && !matchesLabels(parseLabelSelector(selector.labelSelector), obj.labels)) return false;
  if (selector.annotationSelector !== undefined && !matchesLabels(parseLabelSelector(selector.annotationSelector), obj.annotations)) return false;
  return true;
}

type Requirement =
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

/** `a=b, c!=d, e in (x,y), f notin (z), g, !h` as requirements; throws on bad syntax. */
export function parseLabelSelector(text: string): Requirement[] {
  const reqs: Requirement[] = [];
  // Commas inside `( … )` belong to a set, not between requirements.
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") continue;
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      reqs.push({ key: m[1]!, op: m[2] as "in" | "notin", values: m[3]!.split(",").map((v) => v.trim()).filter(Boolean) });
    } else if ((m = part.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1]!, op: m[2] === "!=" ? "notin" : "in", values: [m[3]!] });
    } else if ((m = part.match(/^!\s*([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: "!exists" });
    } else if ((m = part.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: "exists" });
    } else {
      throw new Error(`cannot read selector ${JSON.stringify(part)}`);
    }
  }
  return reqs;
}

function matchesLabels(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "in":
        return has && r.values.includes(labels[r.key]!);
      case "notin":
        return !has || !r.values.includes(labels[r.key]!);
    }
  });
}
