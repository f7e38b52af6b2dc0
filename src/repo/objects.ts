// A commit's files read straight from Git's object store, without the
// working tree: what a long-running gitcert plans from between the ticks
// that write. One process lists a whole tree, one says what changed
// between two commits, one hands over the contents of many blobs. Local
// reads only: nothing here reaches the remote or changes the clone.
import { execFileSync, spawn } from "node:child_process";
import { GitError, toGitError } from "./git-errors.ts";
import { DEFAULT_IDLE_TIMEOUT_MS, runGit } from "./git-process.ts";

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

  /** Entries that differ between the trees of two commits (no rename detection: a rename is a removal and an addition). */
  async diffTree(from: string, to: string): Promise<TreeChange[]> {
    const out = await this.#git(["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", from, to]);
    const fields = out.split("\0");
    const changes: TreeChange[] = [];
    // ":<old mode> <new mode> <old blob> <new blob> <status>\0<path>\0"
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const meta = fields[i]!;
      if (!meta.startsWith(":")) break;
      const [, mode, , blob, status] = meta.slice(1).split(" ");
      const path = fields[i + 1]!;
      changes.push(status === "D" ? { path } : { path: detach(path), entry: { mode: mode!, blob: detach(blob!) } });
    }
    return changes;
  }

  /**
   * The contents of `blobs` as UTF-8 text, in one `git cat-file --batch`.
   * Blobs over `maxBytes` are streamed past, never held: only their size
   * is told. A blob the store lacks is left out.
   */
  readBlobs(blobs: readonly string[], maxBytes: number): Promise<Map<string, BlobContent>> {
    const out = new Map<string, BlobContent>();
    if (blobs.length === 0) return Promise.resolve(out);
    return new Promise((resolve, reject) => {
      const child = spawn("git", ["cat-file", "--batch"], { cwd: this.#root, env: this.#env, stdio: ["pipe", "pipe", "pipe"] });
      const parser = new BatchParser(maxBytes, (id, content) => out.set(id, content));
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => parser.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", (err) => reject(toGitError("read", err)));
      child.on("close", (code) => {
        if (code === 0) resolve(out);
        else reject(toGitError("read", new Error(stderr.trim() || `git cat-file exited with ${code}`)));
      });
      child.stdin.end(`${blobs.join("\n")}\n`);
    });
  }

  /** Like readBlobs, synchronously (a scan that turns out to need many texts it had not read). */
  readBlobsSync(blobs: readonly string[], maxBytes: number): Map<string, BlobContent> {
    const out = new Map<string, BlobContent>();
    if (blobs.length === 0) return out;
    try {
      const stdout = execFileSync("git", ["cat-file", "--batch"], { cwd: this.#root, env: this.#env, input: `${blobs.join("\n")}\n`, maxBuffer: 1024 * 1024 * 1024, stdio: ["pipe", "pipe", "ignore"] });
      new BatchParser(maxBytes, (id, content) => out.set(id, content)).push(stdout);
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
  return ` ${s}`.slice(1);
}

/**
 * `git cat-file --batch` output: "<id> blob <size>\n<content>\n" for each
 * blob, "<id> missing\n" for one the store lacks. Contents over the limit
 * are counted past, not kept.
 */
class BatchParser {
  readonly #maxBytes: number;
  readonly #emit: (id: string, content: BlobContent) => void;
  #header: Buffer[] = [];
  #current: { id: string; size: number; left: number; parts: Buffer[] | undefined } | undefined;
  /** The newline after a content. */
  #skipNewline = false;

  constructor(maxBytes: number, emit: (id: string, content: BlobContent) => void) {
    this.#maxBytes = maxBytes;
    this.#emit = emit;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#skipNewline) {
        this.#skipNewline = false;
        at++;
        continue;
      }
      const current = this.#current;
      if (current) {
        const take = Math.min(current.left, chunk.length - at);
        current.parts?.push(chunk.subarray(at, at + take));
        current.left -= take;
        at += take;
        if (current.left === 0) this.#finish(current);
        continue;
      }
      const nl = chunk.indexOf(10, at);
      if (nl === -1) {
        this.#header.push(chunk.subarray(at));
        return;
      }
      this.#header.push(chunk.subarray(at, nl));
      at = nl + 1;
      const header = Buffer.concat(this.#header).toString("utf8");
      this.#header = [];
      const [id, type, size] = header.split(" ");
      if (!id || type === "missing" || size === undefined) continue;
      const bytes = Number(size);
      const next = { id, size: bytes, left: bytes, parts: bytes <= this.#maxBytes ? [] : undefined };
      if (bytes === 0) this.#finish(next);
      else this.#current = next;
    }
  }

  #finish(current: { id: string; size: number; parts: Buffer[] | undefined }): void {
    this.#current = undefined;
    this.#skipNewline = true;
    this.#emit(current.id, current.parts ? { size: current.size, text: Buffer.concat(current.parts).toString("utf8") } : { size: current.size, tooLarge: true });
  }
}
