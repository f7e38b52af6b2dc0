import assert from "node:assert/strict";
import { test } from "node:test";
import { renewalInWindows, type RenewalWindow } from "../../src/plan/renewal-window.ts";

const HOUR = 3600;
// Wednesday 10 June 2026, midnight UTC.
const D = Date.parse("2026-06-10T00:00:00Z");
const at = (hours: number) => new Date(D + hours * HOUR * 1000);

interface Case {
  name: string;
  desired: Date;
  notBefore?: Date;
  notAfter?: Date;
  windows: RenewalWindow[];
  expected: string;
  unfitted?: boolean;
}

const daily10 = { cron: "0 10 * * *", windowDuration: 2 * HOUR };

const cases: Case[] = [
  { name: "no windows: the renewal time stands", desired: at(13), windows: [], expected: "2026-06-10T13:00:00.000Z" },
  { name: "inside an open window: the renewal time stands", desired: at(10.5), windows: [daily10], expected: "2026-06-10T10:30:00.000Z" },
  { name: "at the moment a window opens", desired: at(10), windows: [daily10], expected: "2026-06-10T10:00:00.000Z" },
  { name: "at the moment a window closes (cert-manager counts it in)", desired: at(12), windows: [daily10], expected: "2026-06-10T12:00:00.000Z" },
  { name: "after today's window closed: deferred to tomorrow's opening", desired: at(13), windows: [daily10], expected: "2026-06-11T10:00:00.000Z" },
  { name: "before today's window: deferred to its opening, never earlier", desired: at(9), windows: [{ cron: "0 15 * * *", windowDuration: 2 * HOUR }], expected: "2026-06-10T15:00:00.000Z" },
  {
    name: "weekday nights and weekend mornings: Saturday 06:00 waits for Saturday 10:00",
    desired: at(3 * 24 + 6),
    notAfter: at(4 * 24),
    windows: [
      { cron: "0 23 * * 1-5", windowDuration: 2 * HOUR },
      { cron: "0 10 * * 6,0", windowDuration: 4 * HOUR },
    ],
    expected: "2026-06-13T10:00:00.000Z",
  },
  {
    name: "the earliest opening of several windows wins",
    desired: at(13),
    windows: [daily10, { cron: "0 20 * * *", windowDuration: HOUR }],
    expected: "2026-06-10T20:00:00.000Z",
  },
  {
    name: "a window in a time zone (America/Phoenix, UTC-7): 10:30 local is inside",
    desired: new Date("2026-06-10T17:30:00Z"),
    windows: [{ ...daily10, timezone: "America/Phoenix" }],
    expected: "2026-06-10T17:30:00.000Z",
  },
  {
    name: "a wall time skipped by DST does not open a window (New York, 8 March 2026)",
    desired: new Date("2026-03-08T06:00:00Z"),
    notBefore: new Date("2026-02-01T00:00:00Z"),
    notAfter: new Date("2026-03-20T00:00:00Z"),
    windows: [{ cron: "30 2 * * *", windowDuration: 3600, timezone: "America/New_York" }],
    expected: "2026-03-09T06:30:00.000Z",
  },
  {
    name: "a wall time repeated by DST opens a window twice (New York, 1 November 2026)",
    desired: new Date("2026-11-01T06:00:00Z"),
    notBefore: new Date("2026-10-01T00:00:00Z"),
    notAfter: new Date("2026-11-20T00:00:00Z"),
    windows: [{ cron: "30 1 * * *", windowDuration: 600, timezone: "America/New_York" }],
    expected: "2026-11-01T06:30:00.000Z",
  },
  { name: "day of month OR day of week when both are restricted", desired: at(12), notAfter: at(24 * 7), windows: [{ cron: "0 10 13 * 1", windowDuration: HOUR }], expected: "2026-06-13T10:00:00.000Z" },
  { name: "day of week alone when day of month is *", desired: at(12), notAfter: at(24 * 7), windows: [{ cron: "0 10 * * mon", windowDuration: HOUR }], expected: "2026-06-15T10:00:00.000Z" },
  { name: "a stepped day of month (*/2) is a restriction, ORed with the weekday", desired: at(12), windows: [{ cron: "0 10 */2 * 1", windowDuration: HOUR }], expected: "2026-06-11T10:00:00.000Z" },
  { name: "a descriptor (@daily)", desired: at(1), windows: [{ cron: "@daily", windowDuration: 1800 }], expected: "2026-06-11T00:00:00.000Z" },
  { name: "month names", desired: at(1), notAfter: at(24 * 60), windows: [{ cron: "0 0 1 jul *", windowDuration: HOUR }], expected: "2026-07-01T00:00:00.000Z" },
  {
    name: "no window opens before expiry (+ its duration): renews at the renewal time anyway",
    desired: at(13.5),
    notAfter: at(24),
    windows: [daily10],
    expected: "2026-06-10T13:30:00.000Z",
    unfitted: true,
  },
  {
    name: "a window opening after expiry but within its duration still counts, as in cert-manager",
    desired: at(13.5),
    notAfter: at(24 + 9),
    windows: [daily10],
    expected: "2026-06-11T10:00:00.000Z",
  },
  { name: "a schedule that never fires (30 February)", desired: at(13), windows: [{ cron: "0 0 30 2 *", windowDuration: HOUR }], expected: "2026-06-10T13:00:00.000Z", unfitted: true },
];

for (const c of cases) {
  test(`renewal windows: ${c.name}`, () => {
    const result = renewalInWindows(c.desired, c.notBefore ?? at(-30 * 24), c.notAfter ?? at(48), c.windows);
    assert.equal(result.at.toISOString(), c.expected);
    assert.equal(result.unfitted !== undefined, c.unfitted === true, result.unfitted);
  });
}

test("renewal windows: the reason a window could not be fitted names the times", () => {
  const { unfitted } = renewalInWindows(at(13.5), at(-24), at(24), [daily10]);
  assert.match(unfitted!, /no renewal window opens between 2026-06-09T00:00:00.000Z and 2026-06-11T00:00:00.000Z for the renewal time 2026-06-10T13:30:00.000Z/);
});
