// A strategic merge patch as kustomize applies one to a kind it has no
// OpenAPI schema for (every cert-manager and Flux kind, and the fields of
// Ingress and Gateway gitcert reads): mappings merge key by key, `null`
// deletes a key, and a list is replaced unless all its items carry one of
// kustomize's associative keys (`name`, …), in which case items merge by
// that key. The directives `$patch: delete` and `$patch: replace` are
// honoured; other `$`-directives are dropped.

/** kyaml's keys for merging lists of mappings without a schema, in its order. */
const ASSOCIATIVE_KEYS = ["mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort"] as const;

type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The patched object, or `null` when the patch deletes it (`$patch: delete` at the top). */
export function strategicMerge(target: Mapping, patch: Mapping): Mapping | null {
  if (patch.$patch === "delete") return null;
  return mergeMap(target, patch);
}

function mergeMap(target: Mapping, patch: Mapping): Mapping {
  if (patch.$patch === "replace") return withoutDirectives(patch);
  const out: Mapping = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (isMapping(value) && isMapping(current)) out[key] = mergeMap(current, value);
    else if (Array.isArray(value) && Array.isArray(current)) out[key] = mergeList(current, value);
    else out[key] = isMapping(value) ? withoutDirectives(value) : structuredClone(value);
  }
  return out;
}

function withoutDirectives(m: Mapping): Mapping {
  const out: Mapping = {};
  for (const [k, v] of Object.entries(m)) if (!k.startsWith("$")) out[k] = isMapping(v) ? withoutDirectives(v) : structuredClone(v);
  return out;
}

function mergeList(target: unknown[], patch: unknown[]): unknown[] {
  const key = associativeKey([...target, ...patch]);
  if (!key) return patch.map((v) => (isMapping(v) ? withoutDirectives(v) : structuredClone(v)));
  const out = [...target];
  for (const item of patch as Mapping[]) {
    const at = out.findIndex((t) => (t as Mapping)[key] === item[key]);
    if (item.$patch === "delete") {
      if (at !== -1) out.splice(at, 1);
    } else if (at === -1) out.push(withoutDirectives(item));
    else out[at] = mergeMap(out[at] as Mapping, item);
  }
  return out;
}

function associativeKey(items: unknown[]): string | undefined {
  if (items.length === 0 || !items.every(isMapping)) return undefined;
  return ASSOCIATIVE_KEYS.find((k) => (items as Mapping[]).every((item) => item[k] !== undefined && typeof item[k] !== "object"));
}
