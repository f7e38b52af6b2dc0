import assert from "node:assert/strict";
import { test } from "node:test";
import { untilAborted } from "../src/abort.ts";

test("leadership lost before the wait begins: the caller gets the signal's reason, and the work failing later does not crash the process", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const lost = new AbortController();
    lost.abort(new Error("leadership lost"));
    let fail!: (err: Error) => void;
    const work = new Promise<never>((_resolve, reject) => (fail = reject));
    await assert.rejects(untilAborted(work, lost.signal), /leadership lost/);
    fail(new Error("the reconcile stopped on the aborted signal"));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

test("a signal aborting mid-wait stops the wait; work that ends first gives its result", async () => {
  const stopping = new AbortController();
  const slow = new Promise<string>(() => undefined);
  const waiting = untilAborted(slow, stopping.signal);
  stopping.abort(new Error("shutdown"));
  await assert.rejects(waiting, /shutdown/);
  assert.equal(await untilAborted(Promise.resolve("done"), new AbortController().signal), "done");
});
