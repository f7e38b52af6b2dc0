// The first scan of a long-running gitcert reads and parses every file of
// the repository. It runs here, in a worker thread: the texts and parse
// trees of thousands of files live and die in the worker's own heap, which
// goes away with it, and the daemon's heap only ever holds what the files
// yielded (readings are small). Later scans parse the few changed files in
// the daemon itself.
import { parentPort, workerData } from "node:worker_threads";
import { readingOf, type FileReading } from "../manifests/scan-repository.ts";
import { GitObjects } from "../repo/objects.ts";

export interface ReadRequest {
  root: string;
  env: Record<string, string>;
  files: Array<{ path: string; blob: string }>;
  maxBytes: number;
}

/** What one file came to: its reading, or why there is none. */
export type ReadResult = { path: string; blob: string } & ({ reading: FileReading } | { tooLarge: number } | { missing: true });

if (parentPort) {
  const { root, env, files, maxBytes } = workerData as ReadRequest;
  const contents = await new GitObjects(root, env).readBlobs([...new Set(files.map((f) => f.blob))], maxBytes);
  const results: ReadResult[] = files.map(({ path, blob }) => {
    const content = contents.get(blob);
    if (!content) return { path, blob, missing: true };
    if ("tooLarge" in content) return { path, blob, tooLarge: content.size };
    return { path, blob, reading: readingOf({ path, text: content.text, bytes: content.size }) };
  });
  parentPort.postMessage(results);
}
