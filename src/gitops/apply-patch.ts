// Applying one kustomize patch to one object: does it select the object,
// and what does the object become. A strategic merge patch without a target
// selects by its own kind, name (and namespace, when it names one); with a
// target, its identity fields are ignored, as kustomize ignores them.
import { isRecord } from "../schema/index.ts";
import { applyJsonPatch, readOperations } from "./json-patch.ts";
import { selects, splitApiVersion, type SelectableObject } from "./selector.ts";
import { strategicMerge } from "./strategic-merge.ts";
import type { Patch } from "./types.ts";

type Mapping = Record<string, unknown>;

export type PatchOutcome =
  | { selected: false }
  | { selected: true; object: Mapping | null }
  | { selected: true; error: string };

export function applyPatch(object: Mapping, patch: Patch, namespace: string): PatchOutcome {
  const me = selectable(object, namespace);
  if (patch.target) {
    if (!selects(patch.target, me)) return { selected: false };
  } else {
    if (patch.type === "json6902") return { selected: false };
    if (!selectedById(patch.body as Mapping, me)) return { selected: false };
  }
  if (patch.type === "json6902") {
    const ops = readOperations(patch.body);
    if (typeof ops === "string") return { selected: true, error: ops };
    const r = applyJsonPatch(object, ops);
    if (!r.ok) return { selected: true, error: r.error };
    if (!isRecord(r.value)) return { selected: true, error: "the patched object is no longer a mapping" };
    return { selected: true, object: r.value };
  }
  const body = patch.target ? withoutIdentity(patch.body as Mapping) : (patch.body as Mapping);
  return { selected: true, object: strategicMerge(object, body) };
}

function selectable(object: Mapping, namespace: string): SelectableObject {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return {
    apiVersion: typeof object.apiVersion === "string" ? object.apiVersion : "",
    kind: typeof object.kind === "string" ? object.kind : "",
    name: typeof metadata.name === "string" ? metadata.name : "",
    namespace,
    labels: strings(metadata.labels),
    annotations: strings(metadata.annotations),
  };
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string" || typeof x === "number" || typeof x === "boolean") out[k] = String(x);
  return out;
}

function selectedById(body: Mapping, me: SelectableObject): boolean {
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  if (body.kind !== me.kind || metadata.name !== me.name) return false;
  if (typeof body.apiVersion === "string" && splitApiVersion(body.apiVersion).group !== splitApiVersion(me.apiVersion).group) return false;
  return typeof metadata.namespace !== "string" || metadata.namespace === "" || metadata.namespace === me.namespace;
}

/** The patch without the fields that name its target: a target selector chose the objects. */
function withoutIdentity(body: Mapping): Mapping {
  const { apiVersion: _a, kind: _k, ...rest } = body;
  if (!isRecord(rest.metadata)) return rest;
  const { name: _n, namespace: _ns, ...metadata } = rest.metadata;
  return Object.keys(metadata).length > 0 ? { ...rest, metadata } : (({ metadata: _m, ...r }) => r)(rest);
}
