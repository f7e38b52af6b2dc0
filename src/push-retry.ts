// Getting a reconcile's commit onto a busy remote. Each round syncs (fetch,
// and replay onto the new head whatever was committed here and not pushed),
// lets the caller reconcile on that tree, commits and pushes. A push the
// remote rejects because its branch moved is tried again, with jittered
// backoff, for a bounded time. When the time is up the commits stay in the
// working clone, where the next run's sync finds them and pushes them:
// nothing issued is thrown away, and no order is placed twice.
import { setTimeout as sleep } from "node:timers/promises";
import { GitcertError } from "./diagnostics.ts";
import { GitError, type SyncResult, type Workspace, type WorkspaceLog } from "./repo/index.ts";

export interface Round<R> {
  result: R;
  /** The commit message for what this round changed; undefined: nothing worth a commit. */
  message?: string;
}

export interface PushRetryOptions {
  /** How long to keep retrying, from the first rejected push (issuing before it does not count). */
  budgetMs: number;
  log: WorkspaceLog;
  /** For tests of the backoff only; real runs use the clock and Math.random. */
  clock?: { now(): number; sleep(ms: number): Promise<unknown>; random(): number };
}

export interface Pushed<R> {
  /** The last round's result. */
  result: R;
  /** The remote head the last round started from. */
  head: string;
  /** The commit now at the remote's head, when this run pushed. */
  commit?: string;
  pushed: boolean;
  /** Rounds run: 1 when the first push went through. */
  attempts: number;
  /** Commits an earlier run made and could not push, pushed by this one. */
  fromEarlierRuns: number;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

/** Exponential, capped, jittered to ±50% so that two writers do not collide in step. */
export function pushRetryDelayMs(attempt: number, random: number): number {
  return Math.round(Math.min(FIRST_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS) * (0.5 + random));
}

export async function pushWithRetry<R>(workspace: Workspace, options: PushRetryOptions, round: (synced: SyncResult) => Promise<Round<R>>): Promise<Pushed<R>> {
  const clock = options.clock ?? { now: Date.now, sleep: (ms: number) => sleep(ms), random: Math.random };
  let firstRejection: number | undefined;
  let fromEarlierRuns: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const synced = await workspace.sync();
    if (fromEarlierRuns === undefined) {
      fromEarlierRuns = synced.unpushed;
      if (synced.unpushed > 0) options.log.info({ commits: synced.unpushed }, `${synced.unpushed} commit(s) an earlier run made and could not push are on top of the remote's head; pushing them with this run`);
    }
    const { result, message } = await round(synced);
    if (message) await workspace.commit({ message });
    try {
      const { pushed, commit } = await workspace.push();
      return { result, head: synced.head, commit, pushed, attempts: attempt, fromEarlierRuns };
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      const unpushed = await workspace.unpushed().catch(() => 0);
      if (err.code !== "PushRejected") throw keptForNextRun(err, unpushed, workspace.root);
      firstRejection ??= clock.now();
      const elapsed = clock.now() - firstRejection;
      const delay = pushRetryDelayMs(attempt, clock.random());
      if (elapsed + delay > options.budgetMs) {
        throw new GitError(
          "PushRetriesExhausted",
          "rejected",
          "push",
          `the push to ${workspace.branch} was rejected ${attempt} time(s) over ${seconds(elapsed)} because the remote branch kept moving; ` +
            `${unpushed} commit(s) holding this run's work are kept in the working clone ${workspace.root}, and the next run pushes them without issuing again`,
        );
      }
      options.log.info({ attempt, delayMs: delay }, "push rejected: the remote branch moved on; planning again on its new head");
      await clock.sleep(delay);
    }
  }
}

/** A push failure other than a lost race: the commits are kept all the same, and the message says so. */
function keptForNextRun(err: GitError, unpushed: number, root: string): GitcertError {
  if (unpushed === 0) return err;
  return new GitError(err.code, err.kind, err.operation, `${err.message}; ${unpushed} commit(s) holding this run's work are kept in the working clone ${root}, and the next run pushes them`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
