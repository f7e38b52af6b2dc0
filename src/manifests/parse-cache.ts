// What each file's text yielded, kept between scans by (path, Git blob id).
// Content-addressed, so it is right whatever happened to the branch (a
// force-push, a reset): a blob id is its content. Bounded: a scan keeps only
// the entries of files it saw, so the cache never holds more than one
// repository's worth, and a file deleted from Git is forgotten at the next
// scan. Keyed by path (the same string objects tick after tick, whose hashes
// V8 keeps) with the blob checked, and swept by a generation mark rather
// than rebuilt: a scan of 10,000 known files allocates next to nothing here.
import type { Diagnostic } from "../diagnostics.ts";
import type { FileReading } from "./scan-repository.ts";

export interface ScanGeneration {
  get(path: string, blob: string): FileReading | undefined;
  set(path: string, blob: string, reading: FileReading): void;
  /** A file without a blob id (untracked, modified, a symlink): looked at afresh. */
  miss(): void;
  /** Drops what this scan did not see. */
  end(): void;
}

interface Entry {
  blob: string;
  reading: FileReading;
  /** The last scan that saw it. */
  seen: number;
}

export class ParseCache {
  #entries = new Map<string, Entry>();
  #generation = 0;
  /** Files the last scan had to look at again (not known by content): what a tick cost. */
  lastRead = 0;

  get size(): number {
    return this.#entries.size;
  }

  /** Whether the last scan knew what this content yields (so its text need not be read). */
  has(path: string, blob: string): boolean {
    return this.#entries.get(path)?.blob === blob;
  }

  /** What the content at `path` yielded, when the cache knows that blob there. */
  reading(path: string, blob: string): FileReading | undefined {
    const entry = this.#entries.get(path);
    return entry?.blob === blob ? entry.reading : undefined;
  }

  /** What a content yields, learnt elsewhere (a worker thread): the next scan finds it known. */
  put(path: string, blob: string, reading: FileReading): void {
    this.#entries.set(path, { blob, reading: kept(reading), seen: this.#generation });
  }

  begin(): ScanGeneration {
    const generation = ++this.#generation;
    let read = 0;
    return {
      get: (path, blob) => {
        const entry = this.#entries.get(path);
        if (entry?.blob !== blob) return undefined;
        entry.seen = generation;
        return entry.reading;
      },
      set: (path, blob, reading) => {
        read++;
        this.#entries.set(path, { blob, reading: kept(reading), seen: generation });
      },
      miss: () => {
        read++;
      },
      end: () => {
        for (const [path, entry] of this.#entries) if (entry.seen !== generation) this.#entries.delete(path);
        this.lastRead = read;
      },
    };
  }
}

const NO_DIAGNOSTICS: Diagnostic[] = Object.freeze([]) as unknown as Diagnostic[];

/** A reading as the cache keeps it, one for each file of the repository: nearly all have no diagnostics, and share one empty list. */
function kept(reading: FileReading): FileReading {
  if (reading.parsed?.diagnostics.length === 0) reading.parsed.diagnostics = NO_DIAGNOSTICS;
  return reading;
}
