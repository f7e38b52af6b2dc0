import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../src/manifests/duration.ts";

const valid: Array<[string, number]> = [
  ["2160h", 7_776_000],
  ["1h30m", 5400],
  ["90m", 5400],
  ["1.5h", 5400],
  ["1h0m0s", 3600],
  ["300ms", 0.3],
  ["1.5s", 1.5],
  [".5s", 0.5],
  ["1.s", 1],
  ["-5m", -300],
  ["+5s", 5],
  ["0", 0],
  ["-0", 0],
  ["0s", 0],
  ["10ns", 1e-8],
  ["1us", 1e-6],
  ["1\u00b5s", 1e-6],
  ["1\u03bcs", 1e-6],
  ["1h1m1s1ms", 3661.001],
  ["2562047h", 2562047 * 3600],
];

for (const [text, seconds] of valid) {
  test(`parseDuration(${JSON.stringify(text)}) = ${seconds}s`, () => {
    const r = parseDuration(text);
    assert.ok(r.ok, r.ok ? "" : r.error);
    assert.ok(Math.abs(r.seconds - seconds) < 1e-12, `${r.seconds} != ${seconds}`);
  });
}

const invalid: Array<[string, string[]]> = [
  ["", ["not a valid duration"]],
  ["-", ["not a valid duration"]],
  ["90d", ['no "d" unit', '"2160h"']],
  ["1w", ['no "w" unit']],
  ["1", ["missing unit"]],
  ["h", ["not a valid duration"]],
  [".s", ["not a valid duration"]],
  ["1hour", ['unknown unit "hour"']],
  ["1 h", ['unknown unit " h"']],
  ["1.2.3s", ["missing unit"]],
  ["1H", ['unknown unit "H"']],
  ["3000000h", ["out of range"]],
];

for (const [text, fragments] of invalid) {
  test(`parseDuration(${JSON.stringify(text)}) is rejected`, () => {
    const r = parseDuration(text);
    assert.equal(r.ok, false);
    if (r.ok) return;
    for (const f of fragments) assert.ok(r.error.includes(f), `${JSON.stringify(r.error)} lacks ${JSON.stringify(f)}`);
  });
}

const formatted: Array<[number, string]> = [
  [7_776_000, "2160h0m0s"],
  [5400, "1h30m0s"],
  [3600, "1h0m0s"],
  [300, "5m0s"],
  [61, "1m1s"],
  [1.5, "1.5s"],
  [0, "0s"],
  [0.3, "300ms"],
  [0.0015, "1.5ms"],
  [1e-6, "1µs"],
  [1e-9, "1ns"],
  [-3600, "-1h0m0s"],
  [3661.001, "1h1m1.001s"],
];

for (const [seconds, text] of formatted) {
  test(`formatDuration(${seconds}) = ${text}`, () => {
    assert.equal(formatDuration(seconds), text);
  });
}

test("formatDuration output parses back to the same value", () => {
  for (const [seconds] of formatted) {
    const r = parseDuration(formatDuration(seconds));
    assert.ok(r.ok);
    assert.ok(Math.abs(r.seconds - seconds) < 1e-12);
  }
});
