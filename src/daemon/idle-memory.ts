// A sidecar is idle nearly all the time (a tick every 10 minutes), yet V8
// keeps the pages a tick's garbage lived in: its young generation grows to
// its maximum under a tick's allocation rate, and freed old-generation pages
// stay pooled. Only a memory-reducing collection hands them back to the
// system, and an idle Node process does not run one by itself (measured on
// bench/renewal: ~580 MB resident after 30 s idle, ~190 MB after one such
// collection, with 70 MB of live heap either way). So once the process has
// been idle for a moment after a tick, it runs one: tens of milliseconds,
// when nothing else is waiting.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Collect = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/** V8's collector as `--expose-gc` gives it, without needing the flag on the command line; undefined where V8 refuses. */
function collector(): Collect | undefined {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString("--expose-gc");
    // The flag applies to contexts made from now on: a new one has `gc`.
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as Collect) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls to `settled()` after each tick; `idleMs` after the last one, a
 * memory-reducing collection runs. The timer never keeps the process alive.
 */
export function idleMemoryReducer(idleMs = 2000): { settled(): void } {
  const collect = collector();
  let timer: NodeJS.Timeout | undefined;
  return {
    settled() {
      if (!collect) return;
      clearTimeout(timer);
      timer = setTimeout(() => collect({ type: "major", execution: "sync", flavor: "last-resort" }), idleMs);
      timer.unref();
    },
  };
}
