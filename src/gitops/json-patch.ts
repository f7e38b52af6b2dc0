// RFC 6902 JSON Patch over plain JSON-like values, as kustomize applies a
// JSON6902 patch: every operation in order, the first failure fails the
// patch, and the input is never modified (the result is a new value).

export interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export type JsonPatchResult = { ok: true; value: unknown } | { ok: false; error: string };

/** The operations of a patch document, or why it is not one. */
export function readOperations(value: unknown): JsonPatchOperation[] | string {
  if (!Array.isArray(value)) return "a JSON6902 patch must be a list of operations";
  const ops: JsonPatchOperation[] = [];
  for (const [i, item] of value.entries()) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return `operation ${i} is not a mapping`;
    const { op, path, from } = item as Record<string, unknown>;
    if (typeof op !== "string" || typeof path !== "string") return `operation ${i} needs "op" and "path"`;
    if ((op === "move" || op === "copy") && typeof from !== "string") return `operation ${i} (${op}) needs "from"`;
    ops.push(item as JsonPatchOperation);
  }
  return ops;
}

export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): JsonPatchResult {
  let doc = structuredClone(document);
  for (const [i, op] of operations.entries()) {
    try {
      doc = applyOne(doc, op);
    } catch (err) {
      return { ok: false, error: `operation ${i} (${op.op} ${op.path}): ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { ok: true, value: doc };
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new Error(`path ${JSON.stringify(path)} does not start with "/"`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === "object" && v !== null;
}

/** The parent container of the last segment, and that segment. */
function parentOf(doc: unknown, segments: string[]): { parent: Container; key: string } {
  let cur = doc;
  for (const seg of segments.slice(0, -1)) {
    if (!isContainer(cur)) throw new Error(`no such path (at ${JSON.stringify(seg)})`);
    cur = Array.isArray(cur) ? cur[arrayIndex(cur, seg, false)] : cur[seg];
  }
  if (!isContainer(cur)) throw new Error("no such path");
  return { parent: cur, key: segments.at(-1)! };
}

function arrayIndex(list: unknown[], seg: string, forInsert: boolean): number {
  if (forInsert && seg === "-") return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) throw new Error(`${JSON.stringify(seg)} is not an array index`);
  const i = Number(seg);
  if (i > list.length || (!forInsert && i === list.length)) throw new Error(`index ${i} is out of range`);
  return i;
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const seg of pointer(path)) {
    if (!isContainer(cur)) throw new Error("no such path");
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, seg, false)];
    else {
      if (!Object.hasOwn(cur, seg)) throw new Error("no such path");
      cur = cur[seg];
    }
  }
  return cur;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const segments = pointer(path);
  if (segments.length === 0) return value;
  const { parent, key } = parentOf(doc, segments);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const segments = pointer(path);
  if (segments.length === 0) throw new Error("cannot remove the whole document");
  const { parent, key } = parentOf(doc, segments);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else {
    if (!Object.hasOwn(parent, key)) throw new Error("no such path");
    delete parent[key];
  }
  return doc;
}

function applyOne(doc: unknown, op: JsonPatchOperation): unknown {
  switch (op.op) {
    case "add":
      return add(doc, op.path, structuredClone(op.value));
    case "remove":
      return remove(doc, op.path);
    case "replace":
      if (op.path === "") return structuredClone(op.value);
      get(doc, op.path);
      return add(remove(doc, op.path), op.path, structuredClone(op.value));
    case "move": {
      const value = get(doc, op.from!);
      return add(remove(doc, op.from!), op.path, value);
    }
    case "copy":
      return add(doc, op.path, structuredClone(get(doc, op.from!)));
    case "test":
      if (!deepEqual(get(doc, op.path), op.value)) throw new Error("test failed: the value differs");
      return doc;
    default:
      throw new Error(`unknown operation ${JSON.stringify(op.op)}`);
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
