import assert from "node:assert/strict";
import { test } from "node:test";
import { leadershipGate } from "../../src/daemon/leadership.ts";
import { ReconcileLoop } from "../../src/daemon/loop.ts";
import { DEFAULT_SCHEDULE, scheduleProblem, startSchedule } from "../../src/daemon/schedule.ts";

test("the default schedule is every 10 minutes, and it is valid", () => {
  assert.equal(DEFAULT_SCHEDULE, "*/10 * * * *");
  assert.equal(scheduleProblem(DEFAULT_SCHEDULE), undefined);
});

test("a broken schedule is refused at start with the field at fault and an example", () => {
  assert.match(scheduleProblem("61 * * * *")!, /^serve.schedule "61 \* \* \* \*" is not a cron schedule: minute "61": not a valid value \(five fields: .* "\*\/10 \* \* \* \*" for every 10 minutes\)$/);
  assert.match(scheduleProblem("every ten minutes")!, /not a cron schedule/);
  assert.equal(scheduleProblem("0 3 * * *", "Mars/Olympus"), 'serve.timezone "Mars/Olympus" is not an IANA time zone');
  assert.throws(() => startSchedule("* * *", () => undefined), /expected 5 or 6 fields but got 3/);
});

test("node-cron ticks reach the loop, and a stopped schedule leaves no timer behind", async () => {
  let runs = 0;
  const loop = new ReconcileLoop<void>({
    run: async () => {
      runs++;
    },
  });
  let ticked!: () => void;
  const firstTick = new Promise<void>((resolve) => (ticked = resolve));
  const schedule = startSchedule("* * * * * *", () => {
    void loop.request("schedule")?.then(() => ticked());
  });
  assert.ok(schedule.next() instanceof Date);
  await firstTick;
  await schedule.stop();
  // Were a timer left behind, this file would never end.
  assert.ok(runs >= 1);
});

test("the leadership gate keeps a live lease and asks again once it is lost", async () => {
  const leases: AbortController[] = [];
  const leadership = leadershipGate(async () => {
    leases.push(new AbortController());
    return leases.at(-1)!.signal;
  });
  const stop = new AbortController().signal;
  assert.equal(leadership.leading(), false);
  const first = await leadership.gate(stop);
  assert.equal(await leadership.gate(stop), first);
  assert.equal(leadership.leading(), true);
  leases[0]!.abort();
  assert.equal(leadership.leading(), false);
  assert.notEqual(await leadership.gate(stop), first);
  assert.equal(leases.length, 2);
});
