// What `git diff-tree -r --no-renames <from> <to>` says, worked out from the
// tree objects themselves, read through a cat-file session the caller
// already has open: no diff-tree process. Trees whose ids are equal are
// the same all the way down and are not read; only the folders a push
// touched are. The order and the entries are git's: a folder and a file
// of one name are two different entries (the folder sorts as "name/"), a
// folder that became a file is its files removed and the file added; modes
// are git's canonical ones.
//
// One thing differs on purpose: diff-tree hides a submodule whose
// .gitmodules entry says `ignore = all`; this lists it, as ls-tree does.
import type { GitObject } from "./cat-file.ts";
import type { TreeChange } from "./objects.ts";

/** Reads objects by id, in order; undefined for one the store lacks. */
export type ObjectReader = (ids: readonly string[]) => Promise<Array<GitObject | undefined>>;

const TREE = 0o040000;
const TYPE_BITS = 0o170000;

/** One entry of a tree object: "<octal mode> <name>\0<raw id>". */
interface RawEntry {
  /** Git's canonical mode (canon_mode in git's cache.h). */
  mode: number;
  /** The name's bytes, then '/' for a folder, '\0' otherwise: git's order (base_name_compare) is this key's byte order. */
  key: Buffer;
  /** The whole entry, for a quick "unchanged". */
  raw: Buffer;
  id: Buffer;
}

/** The changes between the trees of two commits (or two trees). Rejects when an object is missing. */
export async function diffCommits(read: ObjectReader, from: string, to: string): Promise<TreeChange[]> {
  const [a, b] = await read([from, to]);
  const trees = [rootTree(a, from), rootTree(b, to)] as const;
  const idBytes = trees[0].length / 2;
  const changes: TreeChange[] = [];
  for (const part of await diffTrees(read, idBytes, trees[0], trees[1], Buffer.alloc(0))) changes.push(...part);
  return changes;
}

function rootTree(object: GitObject | undefined, name: string): string {
  if (!object?.data) throw new Error(`${name}: no such object in the clone`);
  if (object.type === "tree") return object.id;
  if (object.type !== "commit") throw new Error(`${name} is a ${object.type}, not a commit`);
  // A commit starts with "tree <id>\n".
  const match = /^tree ([0-9a-f]{40}|[0-9a-f]{64})\n/.exec(object.data.toString("latin1", 0, 80));
  if (!match) throw new Error(`${name}: a commit without a tree`);
  return match[1]!;
}

/** Changes under the folder `prefix` (its path's bytes and "/"), in parts (each folder's own, in order), for one flat copy at the end. */
async function diffTrees(read: ObjectReader, idBytes: number, from: string | undefined, to: string | undefined, prefix: Buffer): Promise<TreeChange[][]> {
  if (from === to) return [];
  const ids = [from, to].filter((id): id is string => id !== undefined);
  const objects = await read(ids);
  const entriesOf = (id: string | undefined) => {
    if (id === undefined) return [];
    const object = objects[ids.indexOf(id)];
    if (!object?.data || object.type !== "tree") throw new Error(`tree ${id} (${prefix.length ? prefix.toString("utf8") : "the root"}): no such tree in the clone`);
    return parseTree(object.data, idBytes, id);
  };
  const before = entriesOf(from);
  const after = entriesOf(to);
  const own: TreeChange[] = [];
  const parts: Array<TreeChange[] | Promise<TreeChange[][]>> = [own];
  // Whatever came before a folder is kept in order: a folder's changes start a new part.
  let current = own;
  const add = (change: TreeChange) => current.push(change);
  const descend = (oldId: string | undefined, newId: string | undefined, folder: RawEntry) => {
    // A folder's key is its name and "/".
    parts.push(diffTrees(read, idBytes, oldId, newId, Buffer.concat([prefix, folder.key])));
    current = [];
    parts.push(current);
  };
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const old = before[i];
    const next = after[j];
    const order = !old ? 1 : !next ? -1 : Buffer.compare(old.key, next.key);
    if (order === 0) {
      i++;
      j++;
      if (old!.raw.equals(next!.raw)) continue;
      // Equal keys: both folders or both not.
      if (next!.mode === TREE) {
        if (!old!.id.equals(next!.id)) descend(hex(old!), hex(next!), next!);
      } else if (old!.mode !== next!.mode || !old!.id.equals(next!.id)) add(added(prefix, next!));
    } else if (order < 0) {
      i++;
      if (old!.mode === TREE) descend(hex(old!), undefined, old!);
      else add({ path: pathOf(prefix, old!) });
    } else {
      j++;
      if (next!.mode === TREE) descend(undefined, hex(next!), next!);
      else add(added(prefix, next!));
    }
  }
  const nested = await Promise.all(parts.map((part) => (Array.isArray(part) ? [part] : part)));
  return nested.flat(1).filter((part) => part.length > 0);
}

function added(prefix: Buffer, entry: RawEntry): TreeChange {
  return { path: pathOf(prefix, entry), entry: { mode: entry.mode.toString(8).padStart(6, "0"), blob: hex(entry) } };
}

/** The whole path decoded at once, as git's own output would be: one flat string, not pieces joined. */
function pathOf(prefix: Buffer, entry: RawEntry): string {
  return Buffer.concat([prefix, entry.key.subarray(0, -1)]).toString("utf8");
}

function hex(entry: RawEntry): string {
  return entry.id.toString("hex");
}

/** A tree object's entries, in the order git wrote them (its own sort order). */
export function parseTree(data: Buffer, idBytes: number, id = "a tree"): RawEntry[] {
  const entries: RawEntry[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const nul = space === -1 ? -1 : data.indexOf(0, space + 1);
    if (space === -1 || nul === -1 || nul + 1 + idBytes > data.length) throw new Error(`${id}: not a tree object git wrote`);
    const mode = canonicalMode(Number.parseInt(data.toString("latin1", at, space), 8));
    const name = data.subarray(space + 1, nul);
    const key = Buffer.allocUnsafe(name.length + 1);
    name.copy(key);
    key[name.length] = mode === TREE ? 0x2f : 0;
    entries.push({ mode, key, raw: data.subarray(at, nul + 1 + idBytes), id: data.subarray(nul + 1, nul + 1 + idBytes) });
    at = nul + 1 + idBytes;
  }
  return entries;
}

/** canon_mode: a folder, a symlink, a submodule, or a file executable or not (a tree git once wrote as 100664 says 100644). */
function canonicalMode(mode: number): number {
  switch (mode & TYPE_BITS) {
    case TREE:
      return TREE;
    case 0o120000:
      return 0o120000;
    case 0o100000:
      return mode & 0o100 ? 0o100755 : 0o100644;
    default:
      return 0o160000;
  }
}
