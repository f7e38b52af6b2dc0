// Progress of a long run on a terminal: how many certificates are done of
// how many, on the status line below the logs. Nothing at all without a
// terminal (a pod's logs already say what happened, line by line).
import type { Outcome } from "./execute/index.ts";
import type { StatusLine } from "./log.ts";

export interface Progress {
  /** Called by execute as each object finishes. */
  onOutcome(outcome: Outcome, done: number, total: number): void;
}

export function progressOn(statusLine: StatusLine | undefined): Progress | undefined {
  if (!statusLine) return undefined;
  let failed = 0;
  return {
    onOutcome(outcome, done, total) {
      if (outcome.status === "failed") failed++;
      const last = `${outcome.item.object.namespace ? outcome.item.object.namespace + "/" : ""}${outcome.item.object.name}`;
      statusLine.set(`${done} of ${total} done${failed ? `, ${failed} failed` : ""} (last: ${last})`);
    },
  };
}
