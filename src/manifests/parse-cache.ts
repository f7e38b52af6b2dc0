// What each file's text yielded, kept between scans by (path, Git blob id).
// Content-addressed, so it is right whatever happened to the branch (a
// force-push, a reset): a blob id is its content. Bounded: a scan keeps only
// the entries of files it saw, so the cache never holds more than one
// repository's worth, and a file deleted from Git is forgotten at the next
// scan.
import type { FileReading } from "./scan-repository.ts";

export interface ScanGeneration {
  get(path: string, blob: string): FileReading | undefined;
  set(path: string, blob: string, reading: FileReading): void;
  /** A file without a blob id (untracked, modified, a symlink): looked at afresh. */
  miss(): void;
  /** Drops what this scan did not see. */
  end(): void;
}

export class ParseCache {
  #entries = new Map<string, FileReading>();
  /** Files the last scan had to look at again (not known by content): what a tick cost. */
  lastRead = 0;

  get size(): number {
    return this.#entries.size;
  }

  begin(): ScanGeneration {
    const previous = this.#entries;
    const next = new Map<string, FileReading>();
    const key = (path: string, blob: string) => `${blob}\u0000${path}`;
    let read = 0;
    return {
      get: (path, blob) => {
        const k = key(path, blob);
        const found = next.get(k) ?? previous.get(k);
        if (found) next.set(k, found);
        return found;
      },
      set: (path, blob, reading) => {
        read++;
        next.set(key(path, blob), reading);
      },
      miss: () => {
        read++;
      },
      end: () => {
        this.#entries = next;
        this.lastRead = read;
      },
    };
  }
}
