// A commit's files read straight from Git's objects, without the working
// tree: what a long-running gitcert plans from between the ticks that
// write. One process lists a whole tree; what changed between two commits
// and the contents of blobs are read through `git cat-file --batch`. A
// tick opens one session (session()) and every read it makes shares that
// one process, which ends with the tick; a read outside a session has a
// process of its own. Local reads only: nothing here reaches the remote or
// changes the clone.
import { AsyncLocalStorage } from "node:async_hooks";
import { execFileSync } from "node:child_process";
import { BatchParser, CatFile, type GitObject } from "./cat-file.ts";
import { GitError, toGitError } from "./git-errors.ts";
import { DEFAULT_IDLE_TIMEOUT_MS, runGit } from "./git-process.ts";
import { diffCommits } from "./tree-diff.ts";

/** Git's modes, one string each for a whole tree's entries (a split makes a new one per entry). */
const KNOWN_MODES = new Map(["100644", "100755", "120000", "160000"].map((m) => [m, m]));

/** An entry of a commit's tree (files, symlinks and submodules; not folders). */
export interface TreeEntry {
  path: string;
  /** Git's mode: 100644 / 100755 a file, 120000 a symlink, 160000 a submodule. */
  mode: string;
  /** The blob id (for a submodule, its commit). */
  blob: string;
  /** Bytes; -1 when Git does not say (submodules). */
  size: number;
}

/** A path whose entry differs between two commits. */
export interface TreeChange {
  path: string;
  /** The entry in the newer commit; undefined when the path is gone. */
  entry?: { mode: string; blob: string };
}

/** A blob's content, or only its size when it is larger than asked for. */
export type BlobContent = { size: number; text: string } | { size: number; tooLarge: true };

export class GitObjects {
  readonly #root: string;
  readonly #env: Record<string, string>;
  readonly #sessions = new AsyncLocalStorage<CatFile>();

  constructor(root: string, env: Record<string, string>) {
    this.#root = root;
    this.#env = env;
  }

  /** Where the store is and the environment git runs with: to read it from another thread. */
  get location(): { root: string; env: Record<string, string> } {
    return { root: this.#root, env: this.#env };
  }

  /** Every file, symlink and submodule of `commit`, in Git's order. */
  async listTree(commit: string): Promise<TreeEntry[]> {
    const out = await this.#git(["ls-tree", "-r", "-z", "-l", "--full-tree", commit]);
    const entries: TreeEntry[] = [];
    for (const record of out.split("\0")) {
      // "<mode> <type> <object> <size padded>\t<path>"
      const tab = record.indexOf("\t");
      if (tab === -1) continue;
      const [mode, , blob, size] = record.slice(0, tab).split(/ +/);
      if (!mode || !blob) continue;
      // Copied out of the listing (a slice would keep all of it alive as long as one path is kept).
      entries.push({ path: detach(record.slice(tab + 1)), mode: KNOWN_MODES.get(mode) ?? mode, blob: detach(blob), size: size === "-" || size === undefined ? -1 : Number(size) });
    }
    return entries;
  }

  /**
   * Runs `fn` with every read of this store it makes (in its async
   * context) going through one `git cat-file --batch` process, started at
   * the first read and ended when `fn` settles, whichever way.
   */
  async session<T>(fn: () => Promise<T>): Promise<T> {
    const batch = new CatFile(this.#root, this.#env);
    try {
      return await this.#sessions.run(batch, fn);
    } finally {
      await batch.close();
    }
  }

  /** Entries that differ between the trees of two commits, as `git diff-tree -r --no-renames` has them (tree-diff.ts). */
  diffTree(from: string, to: string): Promise<TreeChange[]> {
    return this.#reading((batch) => diffCommits((ids) => batch.objects(ids), from, to));
  }

  /**
   * The contents of `blobs` as UTF-8 text, in one `git cat-file --batch`.
   * Blobs over `maxBytes` are streamed past, never held: only their size
   * is told. A blob the store lacks is left out.
   */
  readBlobs(blobs: readonly string[], maxBytes: number): Promise<Map<string, BlobContent>> {
    const out = new Map<string, BlobContent>();
    if (blobs.length === 0) return Promise.resolve(out);
    return this.#reading(async (batch) => {
      await batch.read(blobs, maxBytes, (object) => object && out.set(object.id, contentOf(object)));
      return out;
    });
  }

  /** Like readBlobs, synchronously (a scan that turns out to need many texts it had not read). */
  readBlobsSync(blobs: readonly string[], maxBytes: number): Map<string, BlobContent> {
    const out = new Map<string, BlobContent>();
    if (blobs.length === 0) return out;
    try {
      const stdout = execFileSync("git", ["cat-file", "--batch"], { cwd: this.#root, env: this.#env, input: `${blobs.join("\n")}\n`, maxBuffer: 1024 * 1024 * 1024, stdio: ["pipe", "pipe", "ignore"] });
      new BatchParser(() => maxBytes, (object) => object && out.set(object.id, contentOf(object))).push(stdout);
    } catch {
      // What could not be read is not in the map: its reader gets nothing.
    }
    return out;
  }

  /**
   * One blob's text, synchronously: for the rare file whose text the scan
   * needs although its parse result is known (a kustomize patch, a Helm
   * values file), read while the scan runs.
   */
  readBlobSync(blob: string): string | undefined {
    try {
      return execFileSync("git", ["cat-file", "blob", blob], { cwd: this.#root, env: this.#env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      return undefined;
    }
  }

  /** `use` with the session open in this async context, or with a process of its own. */
  async #reading<T>(use: (batch: CatFile) => Promise<T>): Promise<T> {
    const open = this.#sessions.getStore();
    try {
      if (open && !open.closed) return await use(open);
      const batch = new CatFile(this.#root, this.#env);
      try {
        return await use(batch);
      } finally {
        await batch.close();
      }
    } catch (err) {
      throw err instanceof GitError ? err : toGitError("read", err);
    }
  }

  async #git(args: string[]): Promise<string> {
    try {
      return await runGit(args, { cwd: this.#root, env: this.#env, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS });
    } catch (err) {
      throw err instanceof GitError ? err : toGitError("read", err);
    }
  }
}

/** A string of its own, not a slice of a larger one. */
function detach(s: string): string {
  // JSON.parse makes a flat string of its own; ` ${s}`.slice(1) would leave a 32-byte slice over a copy.
  return JSON.parse(JSON.stringify(s)) as string;
}

function contentOf(object: GitObject): BlobContent {
  return object.data ? { size: object.size, text: object.data.toString("utf8") } : { size: object.size, tooLarge: true };
}
