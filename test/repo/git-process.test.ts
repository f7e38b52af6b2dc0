// runGit against the real git: what a caller gets back when git fails, stalls
// or cannot start.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { GitExit, runGit } from "../../src/repo/git-process.ts";
import { tempDir } from "../helpers.ts";

const env = { PATH: process.env.PATH!, HOME: "/nonexistent", GIT_CONFIG_NOSYSTEM: "1" };

test("a git that exits non-zero is a GitExit with its code and what it printed", async (t) => {
  const cwd = tempDir(t);
  const err = await runGit(["rev-parse", "--verify", "HEAD"], { cwd, env, idleTimeoutMs: 10_000 }).catch((e: unknown) => e);
  assert.ok(err instanceof GitExit, String(err));
  assert.equal(err.exitCode, 128);
  assert.match(err.output, /not a git repository/);
});

test("a git that stays silent past the idle timeout is answered then, even when it ignores the interrupt", async (t) => {
  const cwd = tempDir(t);
  const finished = join(cwd, "finished");
  // An alias running a shell that ignores SIGINT and holds git's pipes for 3 s.
  const stall = `!trap '' INT; sleep 3; touch ${finished}`;
  const err = await runGit(["-c", `alias.stall=${stall}`, "stall"], { cwd, env, idleTimeoutMs: 300 }).catch((e: unknown) => e);
  assert.match(String(err), /block timeout reached \(no output for 300 ms\)/);
  assert.equal(existsSync(finished), false, "answered before the stalled process finished");
});

test("a working folder that does not exist is named as such, not as git missing", async (t) => {
  const cwd = join(tempDir(t), "gone");
  await assert.rejects(runGit(["status"], { cwd, env, idleTimeoutMs: 10_000 }), new RegExp(`the working folder ${cwd} does not exist`));
  await assert.rejects(runGit(["status"], { cwd: tempDir(t), env: { ...env, PATH: "/nonexistent" }, idleTimeoutMs: 10_000 }), /git is not installed/);
});
