// Progress of a long run on a terminal: how many certificates are done of
// how many, on the status line below the logs. Nothing at all without a
// terminal: a pod's logs already say what happened, line by line.
import type { Outcome } from "./execute/index.ts";
import type { StatusLine } from "./log.ts";

export interface Progress {
  /** Called by execute as each planned object is settled. */
  onOutcome(outcome: Outcome, done: number, total: number): void;
}

export function progressOn(statusLine: StatusLine | undefined): Progress | undefined {
  if (!statusLine) return undefined;
  return {
    onOutcome(outcome, done, total) {
      const { namespace, name } = outcome.item.object;
      statusLine.set(`${done} of ${total} certificates done (last: ${namespace ? `${namespace}/` : ""}${name})`);
    },
  };
}
