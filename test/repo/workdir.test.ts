// Opening a working clone that a killed run left in some state: each state is
// made with real git (a rebase stopped on a conflict, a merge, locks, temp
// objects), then gitcert opens the folder again. It must carry on with no
// human, say in one log line what it repaired, and keep the commit it had
// not pushed yet. Folders that are not gitcert's stay refused and untouched.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openWorkspace, type Workspace, type WorkspaceOptions } from "../../src/repo/git.ts";
import { GitError } from "../../src/repo/git-errors.ts";
import { BUILD_DIR } from "../../src/repo/workdir.ts";
import { git, pushFromColleague, remoteFiles, remoteHead, seededRemote } from "../peers/git-remote.ts";

const AUTHOR = { name: "gitcert", email: "gitcert@example.test" };

function recorder() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, log: { warn: (_: object, m: string) => warnings.push(m), info: (_: object, m: string) => infos.push(m) } };
}

/** Every *.lock file under .git, which must be none after a repair. */
async function locks(root: string): Promise<string[]> {
  const entries = await readdir(join(root, ".git"), { recursive: true });
  return entries.filter((e) => e.endsWith(".lock"));
}

describe("reopening a working clone a killed run left behind", { timeout: 60_000, concurrency: true }, () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "gitcert-workdir-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const open = (workdir: string, url: string, extra: Partial<WorkspaceOptions> = {}) => openWorkspace({ url, branch: "main", workdir, author: AUTHOR, ...extra });

  /**
   * A clone holding one commit it has not pushed (`ours.yaml`), while a
   * colleague pushed meanwhile: what a run that lost its race leaves.
   */
  async function cloneWithKeptWork(name: string): Promise<{ bare: string; workdir: string; ws: Workspace }> {
    const bare = await seededRemote(base, name, { "a.yaml": "a\n" });
    const workdir = join(base, `${name}-work`);
    const ws = await open(workdir, bare);
    await writeFile(join(workdir, "ours.yaml"), "ours\n");
    assert.ok((await ws.commit({ message: "gitcert: issued 1 certificate" })).commit);
    await pushFromColleague(bare, join(base, `${name}-colleague`), { "theirs.yaml": "theirs\n" }, "theirs");
    return { bare, workdir, ws };
  }

  /** A commit on top of the remote's head that changes ours.yaml differently: a rebase or merge onto it conflicts. */
  function conflictingCommit(workdir: string): string {
    git(workdir, "checkout", "--quiet", "--detach", "refs/remotes/origin/main");
    execFileSync("sh", ["-c", "echo different > ours.yaml"], { cwd: workdir });
    git(workdir, "add", "ours.yaml");
    git(workdir, "commit", "--quiet", "-m", "conflicting");
    const commit = git(workdir, "rev-parse", "HEAD");
    git(workdir, "checkout", "--quiet", "main");
    return commit;
  }

  const states: Array<{ name: string; leave: (workdir: string) => Promise<void> | void; says: RegExp[] }> = [
    {
      name: "stale locks, ORIG_HEAD.lock among them",
      leave: async (w) => {
        for (const lock of ["index.lock", "HEAD.lock", "ORIG_HEAD.lock", "config.lock", "packed-refs.lock", "refs/heads/main.lock", "refs/remotes/origin/main.lock"]) {
          await writeFile(join(w, ".git", lock), "");
        }
      },
      says: [/removed stale lock file\(s\) .*ORIG_HEAD\.lock/, /in all/],
    },
    {
      name: "a rebase stopped on a conflict",
      leave: (w) => {
        const onto = conflictingCommit(w);
        assert.throws(() => git(w, "rebase", onto));
        assert.ok(existsSync(join(w, ".git/rebase-merge")), "git left a rebase in progress");
      },
      says: [/dropped an interrupted rebase \(rebase-merge, /, /re-attached the detached HEAD to main/],
    },
    {
      name: "a merge stopped on a conflict",
      leave: (w) => {
        const other = conflictingCommit(w);
        assert.throws(() => git(w, "merge", "--no-edit", other));
        assert.ok(existsSync(join(w, ".git/MERGE_HEAD")), "git left a merge in progress");
      },
      says: [/dropped an interrupted merge \(MERGE_HEAD/],
    },
    {
      name: "a detached HEAD",
      leave: (w) => void git(w, "checkout", "--quiet", "--detach", "HEAD~1"),
      says: [/re-attached the detached HEAD to main/],
    },
    {
      name: "temp object files of a killed fetch and commit",
      leave: async (w) => {
        await writeFile(join(w, ".git/objects/pack/tmp_pack_Xy12ab"), "PACK partial");
        await mkdir(join(w, ".git/objects/3f"), { recursive: true });
        await writeFile(join(w, ".git/objects/3f/tmp_obj_Qw81zz"), "x");
      },
      says: [/removed 2 partly written object file\(s\)/],
    },
    {
      name: "a half-written Secret file",
      leave: async (w) => {
        await mkdir(join(w, "apps/shop"), { recursive: true });
        await writeFile(join(w, "apps/shop/.web-tls.sops.yaml.0123456789ab.tmp"), "apiVersion: v1\nkind: Sec");
      },
      says: [/discarding 1 half-written file\(s\) \(apps\/shop\/\.web-tls\.sops\.yaml\.0123456789ab\.tmp\)/],
    },
  ];

  for (const state of states) {
    it(`${state.name}: repaired, said in one line, and the unpushed commit still reaches the remote`, async () => {
      const { bare, workdir } = await cloneWithKeptWork(`state-${randomBytes(3).toString("hex")}`);
      await state.leave(workdir);

      const { warnings, log } = recorder();
      const ws = await open(workdir, bare, { log });
      assert.equal(warnings.length, 1, warnings.join("\n"));
      for (const says of state.says) assert.match(warnings[0]!, says);
      assert.deepEqual(await locks(workdir), []);
      assert.equal(git(workdir, "status", "--porcelain", "--untracked-files=all"), "");
      assert.equal(git(workdir, "symbolic-ref", "HEAD"), "refs/heads/main");

      assert.equal(await ws.unpushed(), 1, "the commit made before the kill is kept");
      assert.equal((await ws.push()).pushed, true);
      assert.deepEqual(remoteFiles(bare), ["a.yaml", "ours.yaml", "theirs.yaml"]);
      assert.equal(git(bare, "show", "main:ours.yaml"), "ours");

      // Once repaired, nothing to say the next time.
      const again = recorder();
      await open(workdir, bare, { log: again.log });
      assert.deepEqual(again.warnings, []);
    });
  }

  it("a clone a killed run was still assembling is removed and made again", async () => {
    const bare = await seededRemote(base, "assembling", { "a.yaml": "a\n" });
    const workdir = join(base, "assembling-work");
    await mkdir(workdir);
    // As left between `git init` and the rename into place.
    execFileSync("git", ["init", "--quiet", join(workdir, BUILD_DIR)]);
    const { warnings, log } = recorder();
    const ws = await open(workdir, bare, { log });
    assert.match(warnings.join("\n"), /removed the clone a killed run had started building/);
    assert.equal(await ws.headCommit(), remoteHead(bare));
    assert.deepEqual((await readdir(workdir)).sort(), [".git", "a.yaml"]);
  });

  it("an empty repository without an origin (an older gitcert killed between init and remote add) is completed", async () => {
    const bare = await seededRemote(base, "legacy", { "a.yaml": "a\n" });
    const workdir = join(base, "legacy-work");
    execFileSync("git", ["init", "--quiet", "--initial-branch=main", workdir]);
    const { warnings, log } = recorder();
    const ws = await open(workdir, bare, { log });
    assert.match(warnings.join("\n"), /added the origin remote to the empty repository a killed run had started/);
    assert.equal(await ws.headCommit(), remoteHead(bare));
  });

  it("a repository without an origin that holds anything, or a folder with other files, is still refused and left alone", async () => {
    const bare = await seededRemote(base, "theirs", { "a.yaml": "a\n" });
    const someones = join(base, "someones-repo");
    execFileSync("git", ["init", "--quiet", "--initial-branch=main", someones]);
    await writeFile(join(someones, "notes.txt"), "mine\n");
    git(someones, "add", "notes.txt");
    git(someones, "commit", "--quiet", "-m", "mine");
    await assert.rejects(open(someones, bare), (err: unknown) => err instanceof GitError && err.code === "WorkdirConflict" && /without an origin remote/.test(err.message));
    assert.equal(git(someones, "log", "--format=%s"), "mine");

    const mixed = join(base, "mixed");
    await mkdir(join(mixed, BUILD_DIR), { recursive: true });
    await writeFile(join(mixed, "notes.txt"), "mine\n");
    await assert.rejects(open(mixed, bare), (err: unknown) => err instanceof GitError && err.code === "WorkdirConflict");
    assert.deepEqual((await readdir(mixed)).sort(), [BUILD_DIR, "notes.txt"]);
  });

  it("a clone whose index, HEAD or objects are damaged is rebuilt from the remote", async () => {
    const damages: Array<[what: string, damage: (workdir: string) => Promise<void>, says: RegExp]> = [
      ["index", (w) => writeFile(join(w, ".git/index"), "DIRC garbage"), /the working clone is damaged/],
      ["HEAD", (w) => writeFile(join(w, ".git/HEAD"), "not a ref\n"), /git no longer reads it as a repository/],
      [
        "object",
        async (w) => {
          // The commit it had not pushed, as a disk failure might leave it.
          const commit = git(w, "rev-parse", "HEAD");
          const file = join(w, ".git/objects", commit.slice(0, 2), commit.slice(2));
          await chmod(file, 0o644);
          await writeFile(file, "garbage");
        },
        /the working clone is damaged: .*data stream error.*; any commits it held that were not pushed are lost$/,
      ],
    ];
    for (const [what, damage, says] of damages) {
      const bare = await seededRemote(base, `damaged-${what.toLowerCase()}`, { "a.yaml": "a\n" });
      const workdir = join(base, `damaged-${what.toLowerCase()}-work`);
      const first = await open(workdir, bare);
      await writeFile(join(workdir, "ours.yaml"), "ours\n");
      await first.commit({ message: "kept" });
      await damage(workdir);
      const { warnings, log } = recorder();
      const ws = await open(workdir, bare, { log });
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0]!, /^rebuilt the working clone from the remote: /, what);
      assert.match(warnings[0]!, says, what);
      assert.equal(await ws.headCommit(), remoteHead(bare));
      assert.equal(await readFile(join(workdir, "a.yaml"), "utf8"), "a\n");
    }
  });
});
