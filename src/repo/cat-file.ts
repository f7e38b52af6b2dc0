// One `git cat-file --batch` process, asked for objects by name and
// answering in the order asked: what a tick reads from Git's objects (the
// commits it moves between, the trees that differ, the blobs that changed)
// goes through one process instead of one per question. Started at the
// first request; close() ends it. Requests may overlap: cat-file answers
// one line of names at a time, in order, so answers are matched to
// requests first in, first out.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/** An object as cat-file hands it over; `data` absent when it is larger than the request's limit (streamed past, never held). */
export interface GitObject {
  id: string;
  type: string;
  size: number;
  data?: Buffer;
}

interface Request {
  left: number;
  maxBytes: number;
  visit: (object: GitObject | undefined) => void;
  done: () => void;
  fail: (error: Error) => void;
}

export class CatFile {
  readonly #root: string;
  readonly #env: Record<string, string>;
  #child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  #exited: Promise<void> | undefined;
  #pending: Request[] = [];
  #failure: Error | undefined;
  #closed = false;
  #stderr = "";
  readonly #parser = new BatchParser(() => this.#pending[0]?.maxBytes ?? 0, (object) => this.#answer(object));

  constructor(root: string, env: Record<string, string>) {
    this.#root = root;
    this.#env = env;
  }

  /** Whether close() was called: a closed session takes no more requests. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Asks for `names` (object ids, or any revision cat-file takes) and calls
   * `visit` with each answer in order: the object, or undefined when the
   * store has none by that name. Contents over `maxBytes` are not kept.
   */
  read(names: readonly string[], maxBytes: number, visit: (object: GitObject | undefined, index: number) => void): Promise<void> {
    if (names.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error("git cat-file: the session is closed"));
    if (this.#failure) return Promise.reject(this.#failure);
    // A name is one line of the request: one with a line break in it would be two questions.
    const bad = names.find((n) => /[\n\r]/.test(n) || n.trim() !== n || n === "");
    if (bad !== undefined) return Promise.reject(new Error(`git cat-file: cannot ask for ${JSON.stringify(bad)}`));
    const child = this.#start();
    return new Promise((resolve, reject) => {
      let index = 0;
      this.#pending.push({ left: names.length, maxBytes, visit: (object) => visit(object, index++), done: resolve, fail: reject });
      child.stdin.write(`${names.join("\n")}\n`);
    });
  }

  /** read() collecting the answers. */
  async objects(names: readonly string[], maxBytes = Number.MAX_SAFE_INTEGER): Promise<Array<GitObject | undefined>> {
    const out: Array<GitObject | undefined> = [];
    await this.read(names, maxBytes, (object) => out.push(object));
    return out;
  }

  /** Ends the process once it has answered what was asked, and waits for it to exit. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#child) return;
    this.#child.stdin.end();
    await this.#exited;
  }

  #start(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.#child) return this.#child;
    const child = spawn("git", ["cat-file", "--batch"], { cwd: this.#root, env: this.#env, stdio: ["pipe", "pipe", "pipe"] });
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.on("error", (err: NodeJS.ErrnoException) => {
        this.#fail(err.code === "ENOENT" ? new Error("git cat-file: git is not installed (no git on PATH), or the working folder is gone") : err);
        resolve();
      });
      child.on("close", (code, signal) => {
        const said = this.#stderr.trim();
        this.#fail(new Error(said || `git cat-file ${signal ? `was stopped by ${signal}` : `exited with ${code}`} before answering`));
        resolve();
      });
    });
    // Written to after it died: the failure is told by "close".
    child.stdin.on("error", () => undefined);
    child.stdout.on("data", (chunk: Buffer) => {
      try {
        this.#parser.push(chunk);
      } catch (err) {
        this.#fail(err as Error);
        child.kill();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (this.#stderr += chunk.toString()));
    return child;
  }

  #answer(object: GitObject | undefined): void {
    const request = this.#pending[0];
    if (!request) throw new Error("git cat-file answered more than it was asked");
    request.visit(object);
    if (--request.left === 0) {
      this.#pending.shift();
      request.done();
    }
  }

  /** Every request not answered yet fails, and so does every later one. */
  #fail(error: Error): void {
    this.#failure ??= error;
    for (const request of this.#pending.splice(0)) request.fail(this.#failure);
  }
}

/**
 * `git cat-file --batch` output: "<id> <type> <size>\n<content>\n" for each
 * object, "<name> missing\n" (or "ambiguous") for one the store lacks.
 * Contents over the limit are counted past, not kept.
 */
export class BatchParser {
  readonly #limit: () => number;
  readonly #emit: (object: GitObject | undefined) => void;
  #header: Buffer[] = [];
  #current: { id: string; type: string; size: number; left: number; parts: Buffer[] | undefined } | undefined;
  /** The newline after a content. */
  #skipNewline = false;

  constructor(limit: () => number, emit: (object: GitObject | undefined) => void) {
    this.#limit = limit;
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
      if (/ (missing|ambiguous)$/.test(header)) {
        this.#emit(undefined);
        continue;
      }
      const [id = "", type = "", size = ""] = header.split(" ");
      const bytes = Number(size);
      if (!id || !type || !/^\d+$/.test(size) || !Number.isSafeInteger(bytes)) throw new Error(`git cat-file: unexpected answer ${JSON.stringify(header.slice(0, 200))}`);
      const next = { id, type, size: bytes, left: bytes, parts: bytes <= this.#limit() ? [] : undefined };
      if (bytes === 0) this.#finish(next);
      else this.#current = next;
    }
  }

  #finish(current: { id: string; type: string; size: number; parts: Buffer[] | undefined }): void {
    this.#current = undefined;
    this.#skipNewline = true;
    const { id, type, size, parts } = current;
    this.#emit(parts ? { id, type, size, data: parts.length === 1 ? parts[0]! : Buffer.concat(parts) } : { id, type, size });
  }
}
