// What a tick of a long-running gitcert costs in git processes, counted by
// a `git` on PATH that notes each command and runs the real one: a
// scheduled tick with nothing new runs one (ls-remote), a tick after a push
// a webhook announced two (the fetch, and one cat-file that reads the
// trees that changed and the changed blobs), and that cat-file ends with
// its tick. The head planned is always
// the newest the remote had, through force-pushes, resets, packed refs and
// a branch that goes away and comes back.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { Settled, Trigger } from "../../src/daemon/loop.ts";
import type { TickReport } from "../../src/daemon/daemon.ts";
import { git } from "../helpers.ts";
import { running, tracedGit, type GitCommand } from "../peers/git-trace.ts";
import { serveDemo, type Served } from "./helpers.ts";

interface Tick {
  commit?: string;
  parsedFiles: number;
  certificates: unknown[];
  /** The git commands the tick ran. */
  git: GitCommand[];
}

/** A daemon on the demo whose git goes through the trace, with the tick that reads its own first commit done. */
async function tracedDemo(t: TestContext): Promise<{ served: Served; tick(trigger?: Trigger): Promise<Tick> }> {
  const trace = tracedGit(t);
  const path = process.env.PATH;
  // The workspace takes its environment when it is opened.
  process.env.PATH = trace.env.PATH;
  let served: Served;
  try {
    served = await serveDemo(t);
  } finally {
    process.env.PATH = path;
  }
  assert.equal((await served.daemon.started).status, "done");
  const tick = async (trigger: Trigger = "schedule"): Promise<Tick> => {
    const before = trace.commands().length;
    served.clock.now = new Date(served.clock.now.getTime() + 10 * 60_000);
    const outcome: Settled<TickReport> = await served.daemon.loop.request(trigger)!;
    assert.equal(outcome.status, "done", JSON.stringify(outcome));
    const summary = (outcome as { result: TickReport }).result.summary as unknown as Omit<Tick, "git">;
    return { ...summary, git: trace.commands().slice(before) };
  };
  await tick();
  return { served, tick };
}

/** The git subcommands, in order. */
const subcommands = (tick: Tick) => tick.git.map((c) => c.args.split(" ")[0]);

function editBlog(served: Served, edit: (text: string) => string, message: string): string {
  served.pushOther((clone) => {
    const path = join(clone, "apps/blog/certificate.yaml");
    writeFileSync(path, edit(readFileSync(path, "utf8")));
  }, message);
  return served.remoteHead();
}

test("a scheduled tick with nothing new runs one git process, ls-remote; after a push a webhook announced, two: the fetch and one cat-file, which ends with the tick", async (t) => {
  const { served, tick } = await tracedDemo(t);
  const quiet = await tick();
  assert.deepEqual(subcommands(quiet), ["ls-remote"]);
  assert.equal(quiet.parsedFiles, 0);

  const commented = editBlog(served, (text) => `${text}# reviewed\n`, "blog: a comment");
  const afterComment = await tick("webhook");
  assert.deepEqual(subcommands(afterComment), ["fetch", "cat-file"]);
  assert.equal(afterComment.git[1]!.args, "cat-file --batch");
  assert.equal(running(afterComment.git[1]!.pid), false, "the cat-file ended with the tick");
  assert.equal(afterComment.parsedFiles, 1);
  assert.equal(served.repository.commit, commented);

  // What the file yields changed (a label): the repository is scanned again, from what was kept. POST /reconcile fetches at once too.
  const labelled = editBlog(served, (text) => text.replace(/metadata:\n/, "metadata:\n  labels: {team: blog}\n"), "blog: a label");
  const afterLabel = await tick("api");
  assert.deepEqual(subcommands(afterLabel), ["fetch", "cat-file"]);
  assert.deepEqual(afterLabel.certificates, []);
  assert.equal(served.repository.commit, labelled);
  assert.deepEqual(subcommands(await tick("webhook")), ["fetch"], "announced, but nothing new: the fetch only");

  // A push nobody announced: the schedule finds it.
  const unannounced = editBlog(served, (text) => `${text}# unannounced\n`, "blog: another comment");
  assert.deepEqual(subcommands(await tick()), ["ls-remote", "fetch", "cat-file"]);
  assert.equal(served.repository.commit, unannounced);
  assert.deepEqual(subcommands(await tick()), ["ls-remote"]);
});

test("the tick plans from the newest head: two pushes since the last, and with the fetched ref packed away", async (t) => {
  const { served, tick } = await tracedDemo(t);
  editBlog(served, (text) => `${text}# one\n`, "blog: one");
  const newest = editBlog(served, (text) => `${text}# two\n`, "blog: two");
  const after = await tick("webhook");
  assert.equal(served.repository.commit, newest);
  assert.deepEqual(subcommands(after), ["fetch", "cat-file"]);

  // git gc packs refs: the fetched head is then a line of packed-refs, still read without asking git.
  git(served.workdir, "pack-refs", "--all");
  assert.match(readFileSync(join(served.workdir, ".git/packed-refs"), "utf8"), new RegExp(`^${newest} refs/gitcert/fetched/main$`, "m"));
  assert.deepEqual(subcommands(await tick("webhook")), ["fetch"]);
  assert.equal(served.repository.commit, newest);
  const third = editBlog(served, (text) => `${text}# three\n`, "blog: three");
  assert.deepEqual(subcommands(await tick("webhook")), ["fetch", "cat-file"]);
  assert.equal(served.repository.commit, third);
});

test("a force-push back to an older commit, and the branch reset to a history of its own: each planned from its head", async (t) => {
  const { served, tick } = await tracedDemo(t);
  const before = served.remoteHead();
  editBlog(served, (text) => `${text}# to be dropped\n`, "blog: a comment dropped later");
  await tick();

  const clone = served.checkout();
  git(clone, "reset", "--quiet", "--hard", before);
  git(clone, "push", "--quiet", "--force", "origin", "main");
  const back = await tick("webhook");
  assert.deepEqual(subcommands(back), ["fetch", "cat-file"]);
  assert.equal(served.repository.commit, before);
  assert.equal(back.commit, undefined);

  // The same files in a commit without parents, one of them edited: nothing in common with what was planned but the trees.
  git(clone, "checkout", "--quiet", "--orphan", "fresh");
  writeFileSync(join(clone, "README.md"), "A history started again.\n");
  git(clone, "add", "--all");
  git(clone, "commit", "--quiet", "-m", "a fresh start");
  git(clone, "push", "--quiet", "--force", "origin", "fresh:main");
  const fresh = served.remoteHead();
  const reset = await tick();
  assert.deepEqual(subcommands(reset), ["ls-remote", "fetch", "cat-file"]);
  assert.equal(served.repository.commit, fresh);
  assert.equal(reset.commit, undefined);
  assert.deepEqual(reset.certificates, []);
});

test("the remote branch deleted: the tick is a whole reconcile, which pushes back what gitcert had; beside another branch, a clear failure until it is back", async (t) => {
  const { served, tick } = await tracedDemo(t);
  const head = served.remoteHead();
  git(served.remote, "update-ref", "-d", "refs/heads/main");
  const gone = await tick("webhook");
  assert.ok(gone.git.some((c) => c.args.startsWith("ls-remote")), "the whole reconcile's sync looked for the branch");
  assert.equal(served.remoteHead(), head, "the only branch, gone: gitcert's commits started it again");
  assert.deepEqual(subcommands(await tick("webhook")), ["fetch"]);
  assert.equal(served.repository.commit, head);

  // Another branch there: the configured one is most likely misspelt, and the tick says so.
  git(served.remote, "update-ref", "refs/heads/other", head);
  git(served.remote, "update-ref", "-d", "refs/heads/main");
  served.clock.now = new Date(served.clock.now.getTime() + 10 * 60_000);
  const failed = await served.tick();
  assert.equal(failed.status, "failed");
  assert.match(String((failed as { error: unknown }).error), /branch "main" does not exist .*\(it has: other\)/);
  git(served.remote, "update-ref", "refs/heads/main", head);
  const back = await tick();
  assert.equal(back.commit, undefined);
  assert.deepEqual(subcommands(await tick()), ["ls-remote"]);
  assert.equal(served.repository.commit, head);
});
