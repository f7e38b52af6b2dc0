// Waiting for an authorization or order to leave a pending state: quick
// first looks (a local CA validates in milliseconds), backing off to a
// couple of seconds, and never sooner than the server's Retry-After.
// Bounded: past the deadline it fails, saying what it waited for.
import { setTimeout as sleep } from "node:timers/promises";
import { AT_CA, GitcertError } from "../diagnostics.ts";
import { parseRetryAfter } from "./retry-after.ts";
import type { HttpResponse } from "./transport.ts";

const STEPS_MS = [50, 100, 200, 400, 800, 1500];
const MAX_STEP_MS = 2000;

export interface PollOptions {
  /** Statuses that mean "keep waiting". */
  pending: readonly string[];
  timeoutMs: number;
  /** For the timeout message: `authorization of dns:example.com`. */
  what: string;
}

export async function pollStatus<T extends { status: string }>(fetch: () => Promise<HttpResponse>, options: PollOptions): Promise<T> {
  const started = Date.now();
  for (let i = 0; ; i++) {
    const res = await fetch();
    const data = res.data as T;
    if (!options.pending.includes(data.status)) return data;
    const elapsed = Date.now() - started;
    const retryAfter = parseRetryAfter(res.headers["retry-after"], new Date());
    const step = STEPS_MS[i] ?? MAX_STEP_MS;
    const wait = Math.max(step, retryAfter ? retryAfter.getTime() - Date.now() : 0);
    if (elapsed + wait > options.timeoutMs) {
      throw new GitcertError("AcmeTimeout", `the ${options.what} was still ${data.status} after ${Math.round(elapsed / 1000)}s${retryAfter ? ` (the server asked to wait until ${retryAfter.toISOString()})` : ""}`, {}, AT_CA);
    }
    await sleep(wait);
  }
}
