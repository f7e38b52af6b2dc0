// Pushing to a remote someone keeps pushing to: a real bare remote whose
// colleague's commit lands while each of gitcert's pushes is received.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { pushRetryDelayMs, pushWithRetry } from "../src/push-retry.ts";
import { GitError, openWorkspace } from "../src/repo/index.ts";
import { tempDir } from "./helpers.ts";
import { busyRemote, git, remoteFiles, seededRemote } from "./peers/git-remote.ts";

const AUTHOR = { name: "gitcert", email: "gitcert@example.test" };

function recorder() {
  const lines: string[] = [];
  return { lines, log: { info: (_: object, m: string) => lines.push(m), warn: (_: object, m: string) => lines.push(m) } };
}

test("the wait between attempts doubles from 250 ms up to 10 s, jittered by half either way", () => {
  const cases: Array<[attempt: number, random: number, ms: number]> = [
    [1, 0.5, 250],
    [1, 0, 125],
    [1, 0.999, 375],
    [3, 0.5, 1000],
    [6, 0.5, 8000],
    [7, 0.5, 10_000],
    [40, 0, 5000],
  ];
  for (const [attempt, random, ms] of cases) assert.equal(pushRetryDelayMs(attempt, random), ms, `attempt ${attempt}, random ${random}`);
});

test("a push that keeps losing its race is retried for the configured time, then kept as a commit the next run pushes", async (t) => {
  const dir = tempDir(t);
  const bare = await seededRemote(dir, "busy", { "a.yaml": "a\n" });
  const busy = await busyRemote(bare, join(dir, "colleague"));
  const workdir = join(dir, "work");
  const { lines, log } = recorder();
  const ws = await openWorkspace({ url: bare, branch: "main", workdir, author: AUTHOR, log });

  let rounds = 0;
  const err = await pushWithRetry(ws, { budgetMs: 1500, log }, async (synced) => {
    rounds++;
    if (rounds === 1) {
      await writeFile(join(ws.root, "issued.sops.yaml"), "issued\n");
      return { result: rounds, message: "gitcert: issued 1 certificate" };
    }
    // Every later round starts from the remote's new head with the work on top.
    assert.equal(synced.unpushed, 1);
    assert.ok(existsSync(join(ws.root, "issued.sops.yaml")));
    assert.ok(existsSync(join(ws.root, "colleague.txt")));
    return { result: rounds };
  }).then(
    () => assert.fail("the push went through on a busy remote"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GitError && err.code === "PushRetriesExhausted", String(err));
  const said = /rejected (\d+) time\(s\) over (\d+\.\d) s because the remote branch kept moving; 1 commit\(s\) holding this run's work are kept in the working clone (\S+), and the next run pushes them without issuing again/.exec(err.message);
  assert.ok(said, err.message);
  const attempts = Number(said[1]);
  assert.ok(attempts >= 2, err.message);
  assert.equal(attempts, rounds);
  assert.equal(said[3], workdir);
  assert.equal(busy.foreignCommits(), attempts, "each attempt lost to one real push");
  assert.equal(lines.filter((l) => /push rejected: the remote branch moved on/.test(l)).length, attempts - 1);
  assert.ok(!remoteFiles(bare).includes("issued.sops.yaml"));
  t.diagnostic(`busy remote: ${attempts} attempts over ${said[2]} s, budget 1.5 s`);

  // The next run, once the remote is quiet: same working clone, nothing issued.
  await busy.stop();
  const next = await openWorkspace({ url: bare, branch: "main", workdir, author: AUTHOR, log });
  const pushed = await pushWithRetry(next, { budgetMs: 1500, log }, async (synced) => ({ result: synced.unpushed }));
  assert.equal(pushed.result, 1);
  assert.equal(pushed.pushed, true);
  assert.equal(pushed.fromEarlierRuns, 1);
  assert.equal(pushed.attempts, 1);
  assert.ok(remoteFiles(bare).includes("issued.sops.yaml"));
  assert.equal(git(bare, "log", "-1", "--format=%s", "main"), "gitcert: issued 1 certificate");
  assert.equal(busy.foreignCommits(), attempts, "every colleague's commit is kept");
});

test("with no retry time, the first rejection keeps the work at once", async (t) => {
  const dir = tempDir(t);
  const bare = await seededRemote(dir, "busy0", { "a.yaml": "a\n" });
  await busyRemote(bare, join(dir, "colleague"));
  const { log } = recorder();
  const ws = await openWorkspace({ url: bare, branch: "main", workdir: join(dir, "work"), author: AUTHOR, log });
  await assert.rejects(
    pushWithRetry(ws, { budgetMs: 0, log }, async () => {
      await writeFile(join(ws.root, "issued.sops.yaml"), "issued\n");
      return { result: 1, message: "gitcert: issued 1 certificate" };
    }),
    (e: unknown) => e instanceof GitError && e.code === "PushRetriesExhausted" && /rejected 1 time\(s\)/.test(e.message),
  );
  assert.equal(await ws.unpushed(), 1);
});
