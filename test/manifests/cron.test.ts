import assert from "node:assert/strict";
import { test } from "node:test";
import { cronProblem, parseCron } from "../../src/manifests/cron.ts";

function values(spec: string, field: "minute" | "hour" | "dayOfMonth" | "month" | "dayOfWeek"): number[] {
  const parsed = parseCron(spec);
  assert.ok(parsed.ok && parsed.cron.kind === "fields", spec);
  return [...parsed.cron[field].values];
}

test("cron fields expand as robfig/cron reads them", () => {
  assert.deepEqual(values("5/15 * * * *", "minute"), [5, 20, 35, 50]); // N/step is N-max/step
  assert.deepEqual(values("0 9-17/4 * * *", "hour"), [9, 13, 17]);
  assert.deepEqual(values("0 0 * jan,mar-apr *", "month"), [1, 3, 4]);
  assert.deepEqual(values("0 0 * * mon-fri", "dayOfWeek"), [1, 2, 3, 4, 5]);
  assert.deepEqual(values("@weekly", "dayOfWeek"), [0]);
});

test("`*` marks a day field unrestricted, a stepped `*/2` does not", () => {
  const star = parseCron("0 0 * * 1");
  const stepped = parseCron("0 0 */2 * 1");
  assert.ok(star.ok && star.cron.kind === "fields" && star.cron.dayOfMonth.star);
  assert.ok(stepped.ok && stepped.cron.kind === "fields" && !stepped.cron.dayOfMonth.star);
});

test("cron problems name the field", () => {
  assert.equal(cronProblem("61 * * * *"), 'minute "61": invalid value "61"');
  assert.equal(cronProblem("0 0 * * 7"), 'day of week "7": invalid value "7"');
  assert.equal(cronProblem("0 0 *"), "expected 5 fields (minute hour day-of-month month day-of-week), found 3");
  assert.equal(cronProblem("@fortnightly"), 'unrecognised descriptor "@fortnightly"');
  assert.equal(cronProblem("@every 90m"), undefined);
});
