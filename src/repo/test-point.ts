// Named moments of a run where the kill tests stop gitcert, so that they can
// SIGKILL it exactly there (test/kill.test.ts). Inert unless
// GITCERT_TEST_PAUSE_AT names the point: then the run says which point it
// reached, on stderr, and waits to be killed. Nothing else is printed or read.

/** Every point, so a misspelt name in a test fails to type-check. */
export type TestPoint = "workdir-created" | "clone-assembled" | "before-fetch" | "before-push";

export async function testPoint(name: TestPoint): Promise<void> {
  if (process.env.GITCERT_TEST_PAUSE_AT !== name) return;
  process.stderr.write(`gitcert: paused at test point ${name}\n`);
  // A pending timer keeps the process alive until the test kills it.
  await new Promise(() => setInterval(() => undefined, 60_000));
}
