import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import type { Outcome } from "../src/execute/index.ts";
import { StatusLine } from "../src/log.ts";
import { progressOn } from "../src/progress.ts";

function settled(namespace: string, name: string): Outcome {
  return { item: { object: { kind: "Certificate", namespace, name } } } as unknown as Outcome;
}

test("progress on a terminal: done of total on the status line, redrawn in place", () => {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  const progress = progressOn(new StatusLine(stream))!;
  progress.onOutcome(settled("shop", "api"), 1, 3);
  progress.onOutcome(settled("blog", "blog"), 2, 3);
  assert.deepEqual(written, ["\r\x1b[K1 of 3 certificates done (last: shop/api)", "\r\x1b[K2 of 3 certificates done (last: blog/blog)"]);
});

test("no terminal, no progress", () => {
  assert.equal(progressOn(undefined), undefined);
});
