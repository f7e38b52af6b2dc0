// What a long-running gitcert keeps of its repository between ticks: the
// tree of the commit it last planned (path → blob id), what each blob
// yielded when it was parsed, and results that hold as long as that commit
// does (the whole scan). Moving to another commit — a push, a force-push, a
// reset, gitcert's own commit — costs a diff of the two trees and reading
// the blobs that changed (through the tick's one `git cat-file --batch`);
// staying on one costs nothing. Files come from Git's
// objects, not from the working tree, so a tick that finds nothing to write
// never touches the checkout; the checkout is made exact (fetch, reset,
// clean) only before gitcert writes.
//
// Scanning a commit's objects sees what scanning its checkout would, except
// where Git itself makes them differ: a symlink (the walk follows it) and
// attributes that rewrite content (filter=, eol=crlf, ident,
// working-tree-encoding). A repository holding either is scanned from its
// checkout, as `run --once` does, with parse results still kept by blob.
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import { ParseCache, readingOf, type CachedScan, type FileEdit, type FileReading, type SourceFile } from "../manifests/index.ts";
import { PlanMemo } from "../plan/index.ts";
import type { KeptRepository } from "../reconcile.ts";
import type { ReadRequest, ReadResult } from "./read-worker.ts";
import { selectTreeFiles, tooLarge, worktreeBlobIds, type BlobContent, type FileScanOptions, type GitObjects, type TreeChange, type TreeEntry, type WorkingTree } from "../repo/index.ts";

const FILE_MODES: ReadonlySet<string> = new Set(["100644", "100755"]);
const SYMLINK_MODE = "120000";
const CONTENT_ATTRIBUTES = /(^|\s)(-?filter|eol=crlf|ident|working-tree-encoding)\b/m;
/** Texts read one by one in a scan before the rest are read in one go (a search through every file). */
const SINGLE_READS = 8;
/** Files to parse above which they are read and parsed in a worker thread (a first scan): see read-worker.ts. */
const WORKER_FILES = 500;

export class RepositorySnapshot {
  readonly cache = new ParseCache();
  readonly plans = new PlanMemo();
  readonly #objects: GitObjects;
  readonly #root: string;
  #commit = "";
  #entries = new Map<string, KeptEntry>();
  #memo = new Map<string, Promise<unknown>>();
  /** The last commit's memo, with how the files it scanned read now, after a move that edited them in place: what memo()'s `update` starts from. */
  #previous: { memo: Map<string, Promise<unknown>>; edits: readonly FileEdit[] } | undefined;
  /** Paths whose text something read since #memo was last emptied (beyond the reading kept by blob). */
  #textRead = new Set<string>();
  /** A text some scan asked for could not be read since #memo was last emptied. */
  #unreadText = false;
  #moving: Promise<void> = Promise.resolve();
  #byContent = new Map<string, { path: string; blob: string; value: Promise<unknown> }>();
  /** Texts of files read through tree(), by blob (the failure log, .sops.yaml files). */
  #texts = new Map<string, string>();
  /** The scan's files (each marked with `generation`, see KeptEntry); `oversized`: those left out for their size, whose edit may bring them in. */
  #selected: { key: string; generation: number; files: KeptEntry[]; maxBytes: number; diagnostics: Diagnostic[]; oversized: ReadonlySet<string> } | undefined;
  #selections = 0;
  #faithful: Promise<boolean> | undefined;
  /** Files whose content scans had to read (not known by blob), since the caller last set it to 0. */
  read = 0;
  /** Moves to a new commit that kept what was worked out for the last (#readsTheSame). */
  carried = 0;
  /** Results of the last commit brought forward to the next by memo()'s `update` (a scan updated for the edited files). */
  updated = 0;
  /** The same, by the first word of the memo's key (`scan`, `resolved`). */
  readonly updates = new Map<string, number>();

  constructor(objects: GitObjects, root: string) {
    this.#objects = objects;
    this.#root = root;
  }

  /** The commit planned last; "" before the first. */
  get commit(): string {
    return this.#commit;
  }

  /** Brings the snapshot to `commit`: its whole tree the first time, afterwards only what changed since. */
  moveTo(commit: string): Promise<void> {
    // One move at a time: two readers asking at once must not apply one diff twice.
    const move = this.#moving.then(() => this.#move(commit));
    this.#moving = move.catch(() => undefined);
    return move;
  }

  async #move(commit: string): Promise<void> {
    if (commit === this.#commit) return;
    const changes = this.#commit === "" ? undefined : await this.#objects.diffTree(this.#commit, commit).catch(() => undefined);
    // Files only edited (a typical push) leave the scan's selection and order as they were: their entries take the new blob in place.
    const inPlace =
      changes?.every((change) => {
        const entry = this.#entries.get(change.path);
        return change.entry && entry && entry.mode === change.entry.mode && !this.#selected?.oversized.has(change.path);
      }) === true;
    const kept = inPlace ? await this.#readsTheSame(changes!) : false;
    const carried = kept === true;
    if (changes) {
      for (const change of changes) {
        const entry = this.#entries.get(change.path);
        if (inPlace && entry && change.entry) {
          entry.blob = change.entry.blob;
          entry.size = -1;
        } else if (change.entry) this.#entries.set(change.path, { path: change.path, ...change.entry, size: -1, selected: 0 });
        else this.#entries.delete(change.path);
      }
    } else {
      this.#entries = new Map((await this.#objects.listTree(commit)).map((e) => [e.path, { path: e.path, mode: e.mode, blob: e.blob, size: e.size, selected: 0 }]));
    }
    this.#commit = commit;
    this.#previous = undefined;
    if (carried) this.carried++;
    else if (kept) {
      // What was read as text is what the kept results were worked out from: still noted, for the next move.
      this.#previous = { memo: this.#memo, edits: kept };
      this.#memo = new Map();
    } else {
      this.#memo.clear();
      this.#textRead.clear();
      this.#unreadText = false;
    }
    if (!inPlace) this.#selected = undefined;
    this.#faithful = undefined;
    // Bounded by one tree: what belonged to content no longer there goes.
    const present = new Set<string>();
    for (const e of this.#entries.values()) present.add(e.blob);
    for (const [key, kept] of this.#byContent) if (this.#entries.get(kept.path)?.blob !== kept.blob) this.#byContent.delete(key);
    for (const blob of this.#texts.keys()) if (!present.has(blob)) this.#texts.delete(blob);
  }

  /**
   * Whether what was worked out for the last commit (its scan, its issuers
   * resolved) holds for the next, which only edits `changes` in place: it
   * does when no edited file was read as text (a .sops.yaml, a patch, a
   * values file) and every edited file the scan reads yields exactly what it
   * yielded before (a comment, a Deployment's image tag, a Certificate's
   * whitespace). The new readings are kept; a tick after such a push
   * parses the edited files and plans from what it knew. When the files
   * read as text are still untouched but some edited file yields something
   * else, those files' old and new readings: what memo()'s `update` may
   * bring the last results forward with.
   */
  async #readsTheSame(changes: readonly TreeChange[]): Promise<boolean | FileEdit[]> {
    const selected = this.#selected;
    if (this.#memo.size === 0 || !selected || this.#unreadText || !(await this.faithful())) return false;
    const scanned: Array<{ path: string; before: FileReading; blob: string }> = [];
    for (const { path, entry } of changes) {
      if (this.#textRead.has(path) || path === ".gitattributes" || path.endsWith("/.gitattributes")) return false;
      const current = this.#entries.get(path)!;
      if (current.selected !== selected.generation) continue;
      const before = this.cache.reading(path, current.blob);
      if (!before) return false;
      scanned.push({ path, before, blob: entry!.blob });
    }
    const contents = await this.#objects.readBlobs([...new Set(scanned.map((s) => s.blob))], selected.maxBytes);
    let same = true;
    let unread = false;
    const edits: FileEdit[] = [];
    for (const { path, before, blob } of scanned) {
      const content = contents.get(blob);
      if (!content || "tooLarge" in content) {
        same = false;
        unread = true;
        continue;
      }
      this.read++;
      const after = readingOf({ path, text: content.text, bytes: content.size });
      // Kept either way, so the scan that follows a difference does not parse the file again; when the same,
      // the reading it replaces is kept, so what was recognised from it stays known by identity.
      if (sameReading(before, after)) this.cache.put(path, blob, { ...before, bytes: after.bytes });
      else {
        this.cache.put(path, blob, after);
        edits.push({ path, before, after });
        same = false;
      }
    }
    return same || (!unread && edits);
  }

  /** Whether scanning this commit's objects sees what scanning its checkout would (see the top of this file). */
  faithful(): Promise<boolean> {
    this.#faithful ??= (async () => {
      const attributes: string[] = [];
      for (const e of this.#entries.values()) {
        if (e.mode === SYMLINK_MODE) return false;
        if (e.path === ".gitattributes" || e.path.endsWith("/.gitattributes")) attributes.push(e.blob);
      }
      const texts = await this.#objects.readBlobs(attributes, 1024 * 1024);
      return [...texts.values()].every((c) => "text" in c && !CONTENT_ATTRIBUTES.test(c.text));
    })();
    // A failed read is not kept: the next caller asks Git again.
    const asked = this.#faithful;
    asked.catch(() => this.#faithful === asked && (this.#faithful = undefined));
    return asked;
  }

  /**
   * The snapshot as the reconcile reads it: brought to `commitOf()` (the
   * commit checked out, which a sync may have moved) before it answers.
   */
  at(commitOf: () => Promise<string>): KeptRepository {
    const here = async () => this.moveTo(await commitOf());
    return {
      scanInput: async (options) => (await here(), this.scanInput(options)),
      memo: async (key, compute, update) => (await here(), this.memo(key, compute, update)),
      byContent: async (path, key, compute) => (await here(), this.byContent(path, key, compute)),
      plans: this.plans,
      noting: (tree) => ({
        read: (path) => (this.#textRead.add(path), tree.read(path)),
        write: (path, text) => tree.write(path, text),
        remove: (path) => tree.remove(path),
      }),
    };
  }

  /** The commit's files for the scan: a text is read only when the parse cache does not know its blob. */
  async scanInput(options: FileScanOptions): Promise<CachedScan> {
    if (!(await this.faithful())) {
      // Scanned as checked out; the caller scans only a checkout made exact.
      return { cache: this.cache, blobs: await worktreeBlobIds(this.#root, this.#objects.location.env) };
    }
    const selected = this.#select(options);
    const diagnostics = [...selected.diagnostics];
    let misses = selected.files.filter((e) => !this.cache.has(e.path, e.blob));
    this.read += misses.length;
    let unreadable = new Set<TreeEntry>();
    if (misses.length >= WORKER_FILES) {
      unreadable = await this.#readInWorker(misses, options.maxFileBytes, diagnostics);
      misses = [];
    }
    const contents = await this.#objects.readBlobs([...new Set(misses.map((e) => e.blob))], options.maxFileBytes);
    const missed = new Set(misses);
    const text = this.#lazyTexts(selected.files, options.maxFileBytes);
    const files: SourceFile[] = [];
    for (const entry of selected.files) {
      if (unreadable.has(entry)) continue;
      if (!missed.has(entry)) {
        files.push(this.#lazyFile(entry.path, () => text(entry.blob)));
        continue;
      }
      const content = contents.get(entry.blob);
      const source = { file: entry.path, line: 1 };
      if (!content) {
        diagnostics.push(diagnostic("UnreadableFile", "cannot read file: its blob is missing from the clone", { source }));
        continue;
      }
      entry.size = content.size;
      if ("tooLarge" in content) {
        diagnostics.push(tooLarge(content.size, options.maxFileBytes, source));
        continue;
      }
      // Parsed here, so that the scan reads a text only for what a reading does not hold (tracked by #lazyFile).
      this.cache.put(entry.path, entry.blob, readingOf({ path: entry.path, text: content.text, bytes: content.size }));
      files.push(this.#lazyFile(entry.path, () => content.text));
    }
    return { cache: this.cache, blobs: this.#blobsAt(this.#commit), files: { files, diagnostics } };
  }

  /** Reads and parses `entries` in a worker thread, into the parse cache; the entries that could not be, with why. */
  async #readInWorker(entries: readonly TreeEntry[], maxBytes: number, diagnostics: Diagnostic[]): Promise<Set<TreeEntry>> {
    const request: ReadRequest = { ...this.#objects.location, files: entries.map((e) => ({ path: e.path, blob: e.blob })), maxBytes };
    const self = fileURLToPath(import.meta.url);
    const worker = new Worker(new URL(`./read-worker${extname(self)}`, import.meta.url), { workerData: request });
    const results = await new Promise<ReadResult[]>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the worker reading the repository stopped (exit ${code})`)));
    }).finally(() => worker.terminate());
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const unreadable = new Set<TreeEntry>();
    const intern = stringPool();
    for (const r of results) {
      const entry = byPath.get(r.path)!;
      const source = { file: r.path, line: 1 };
      if ("reading" in r) {
        entry.size = r.reading.bytes;
        intern(entry.path); // the reading's file names then share the tree's string, as the cache's keys do
        this.cache.put(entry.path, entry.blob, intern(r.reading));
      } else if ("tooLarge" in r) {
        entry.size = r.tooLarge;
        unreadable.add(entry);
        diagnostics.push(tooLarge(r.tooLarge, maxBytes, source));
      } else {
        unreadable.add(entry);
        diagnostics.push(diagnostic("UnreadableFile", "cannot read file: its blob is missing from the clone", { source }));
      }
    }
    return unreadable;
  }

  memo<T>(key: string, compute: () => Promise<T>, update?: (previous: T, edits: readonly FileEdit[]) => T | undefined | Promise<T | undefined>): Promise<T> {
    let kept = this.#memo.get(key) as Promise<T> | undefined;
    if (!kept) {
      const previous = this.#previous;
      const before = previous?.memo.get(key) as Promise<T> | undefined;
      if (previous && before) {
        previous.memo.delete(key);
        if (previous.memo.size === 0) this.#previous = undefined;
      }
      kept =
        before && update
          ? before.then(
              async (value) => {
                // A full computation is always right: an update that fails (a bug) must not cost the tick.
                const next = await Promise.resolve()
                  .then(() => update(value, previous!.edits))
                  .catch(() => undefined);
                if (next === undefined) return compute();
                this.updated++;
                const what = key.split(" ", 1)[0]!;
                this.updates.set(what, (this.updates.get(what) ?? 0) + 1);
                return next;
              },
              () => compute(),
            )
          : compute();
      this.#memo.set(key, kept);
      // A failure is not kept: the next tick tries again.
      kept.catch(() => this.#memo.get(key) === kept && this.#memo.delete(key));
    }
    return kept;
  }

  byContent<T>(path: string, key: string, compute: () => Promise<T>): Promise<T> {
    // What is kept here came from the file's text, though a hit reads nothing: noted, so a memo built on it is not carried past an edit of it.
    this.#textRead.add(path);
    const entry = this.#entries.get(path);
    if (!entry || !FILE_MODES.has(entry.mode)) return compute();
    const id = `${entry.blob}\u0000${path}\u0000${key}`;
    let kept = this.#byContent.get(id);
    if (!kept) {
      kept = { path, blob: entry.blob, value: compute() };
      const added = kept;
      this.#byContent.set(id, kept);
      kept.value.catch(() => this.#byContent.get(id) === added && this.#byContent.delete(id));
    }
    return kept.value as Promise<T>;
  }

  /** The commit's files, read only: the quiet reconcile adds writes that are dropped (quietTree in tick.ts). */
  tree(): Pick<WorkingTree, "read"> {
    return {
      read: async (path) => {
        this.#textRead.add(path);
        const entry = this.#entries.get(path);
        if (!entry || !FILE_MODES.has(entry.mode)) return undefined;
        const known = this.#texts.get(entry.blob);
        if (known !== undefined) return known;
        const content = (await this.#objects.readBlobs([entry.blob], Number.MAX_SAFE_INTEGER)).get(entry.blob);
        if (!content || !("text" in content)) return undefined;
        this.#texts.set(entry.blob, content.text);
        return content.text;
      },
    };
  }

  /** A file whose text is read the first time it is asked for, and noted as read (see #readsTheSame). */
  #lazyFile(path: string, read: () => string): SourceFile {
    let text: string | undefined;
    const textRead = this.#textRead;
    return {
      path,
      get text() {
        textRead.add(path);
        text ??= read();
        return text;
      },
    };
  }

  #select(options: FileScanOptions): { files: KeptEntry[]; diagnostics: Diagnostic[] } {
    const key = JSON.stringify([options.include, options.exclude, options.maxFileBytes]);
    if (this.#selected?.key !== key) {
      const regular = [...this.#entries.values()].filter((e) => FILE_MODES.has(e.mode));
      const selected = selectTreeFiles(regular, options);
      const generation = ++this.#selections;
      for (const e of selected.files) e.selected = generation;
      this.#selected = { key, generation, ...selected, maxBytes: options.maxFileBytes, oversized: new Set(selected.diagnostics.map((d) => d.source?.file ?? "")) };
    }
    return this.#selected;
  }

  /**
   * Blob ids by path for the scan, read from the tree itself rather than a
   * copy of it. A scan that outlives its commit (the snapshot moved on) gets
   * no blob id, so it parses what it reads rather than file a reading under
   * another commit's blob.
   */
  #blobsAt(commit: string): CachedScan["blobs"] {
    return {
      get: (path) => {
        if (this.#commit !== commit) return undefined;
        const entry = this.#entries.get(path);
        return entry && FILE_MODES.has(entry.mode) ? entry.blob : undefined;
      },
    };
  }

  /**
   * Texts of files whose parse results are known, for a scan that asks for
   * some anyway (a kustomize patch, a Helm values file): a few are read one
   * by one; past that the scan is searching through every file (Flux
   * variables), and all are read in one go, for this scan only.
   */
  #lazyTexts(entries: readonly TreeEntry[], maxBytes: number): (blob: string) => string {
    let singles = 0;
    let all: Map<string, BlobContent> | undefined;
    return (blob) => {
      const known = this.#texts.get(blob);
      if (known !== undefined) return known;
      // A text Git could not hand over reads as empty; what is worked out from it is not carried to the next commit.
      if (!all && singles++ < SINGLE_READS) return this.#objects.readBlobSync(blob) ?? ((this.#unreadText = true), "");
      all ??= this.#objects.readBlobsSync([...new Set(entries.map((e) => e.blob))], maxBytes);
      const content = all.get(blob);
      if (!content) this.#unreadText = true;
      return content && "text" in content ? content.text : "";
    };
  }
}

/**
 * A tree entry as the snapshot keeps it: `selected` is the generation of
 * the scan's selection that holds it (0: none yet), so that whether an
 * edited file is scanned is asked of its entry, without a set of paths
 * beside the tree. A selection made anew takes a new generation, leaving
 * older marks meaning nothing. Declared when the entry is made, so that the
 * mark sits in the entry rather than in a property store added later.
 */
type KeptEntry = TreeEntry & { selected: number };

/** Short strings longer than a pointer are worth sharing: a copy costs 16 bytes of header and more. */
const INTERNED_LENGTH = 96;

/**
 * Readings as the worker sends them carry their own copy of every string
 * (a message is copied), though thousands of files repeat the same
 * apiVersion, kind, issuer name, recipient or SOPS rule: one copy of each is
 * kept instead. The pool lasts one batch, so it is bounded by it.
 */
function stringPool(): <T>(value: T) => T {
  const pool = new Map<string, string>();
  const intern = <T>(value: T): T => {
    if (typeof value === "string") {
      if (value.length > INTERNED_LENGTH) return value;
      const known = pool.get(value);
      if (known !== undefined) return known as T;
      pool.set(value, value);
      return value;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = intern(value[i]);
    } else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = intern(record[key]);
    }
    return value;
  };
  return intern;
}

/** Whether two readings tell the scan the same (their sizes aside: the scan counts files, not bytes). */
function sameReading(a: FileReading, b: FileReading): boolean {
  return JSON.stringify({ ...a, bytes: 0 }) === JSON.stringify({ ...b, bytes: 0 });
}
