// Reading Git's objects as a long-running gitcert does between ticks: what
// changed between two commits must be exactly what `git diff-tree -r
// --no-renames` says (every kind of entry, every kind of change, odd
// names, SHA-1 and SHA-256 repositories, and many random edit sequences),
// and a session's one cat-file process always ends with it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { GitError, GitObjects, type TreeChange } from "../../src/repo/index.ts";
import { tempDir } from "../helpers.ts";
import { running, tracedGit } from "../peers/git-trace.ts";

/** What a tree holds: path → mode and object id. */
type Files = Map<string, { mode: string; id: string }>;

interface Repository {
  root: string;
  git(args: string[], input?: string): string;
  blob(content: string): string;
  tree(files: Files): string;
  commit(tree: string, parent?: string): string;
  /** `git diff-tree -r --no-renames`, as changes. */
  diffTree(from: string, to: string): TreeChange[];
  objects(env?: Record<string, string>): GitObjects;
}

const ENV: Record<string, string> = {
  ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith("GIT_"))),
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.test",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.test",
  LC_ALL: "C",
};

function repository(t: TestContext, format: "sha1" | "sha256" = "sha1"): Repository {
  const root = join(tempDir(t), "repo");
  execFileSync("git", ["init", "--quiet", `--object-format=${format}`, root], { env: ENV });
  const index = join(root, ".git", "scratch-index");
  const git = (args: string[], input?: string, env: Record<string, string> = ENV) =>
    execFileSync("git", args, { cwd: root, env, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  const blobs = new Map<string, string>();
  return {
    root,
    git,
    blob: (content) => {
      let id = blobs.get(content);
      if (!id) blobs.set(content, (id = git(["hash-object", "-w", "--stdin"], content).trim()));
      return id;
    },
    tree: (files) => {
      rmSync(index, { force: true });
      const env = { ...ENV, GIT_INDEX_FILE: index };
      const records = [...files].map(([path, e]) => `${e.mode} ${e.id}\t${path}\0`).join("");
      git(["update-index", "--add", "-z", "--index-info"], records, env);
      return git(["write-tree", "--missing-ok"], undefined, env).trim();
    },
    commit: (tree, parent) => git(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", "state"]).trim(),
    diffTree: (from, to) => {
      const fields = git(["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", from, to]).split("\0");
      const changes: TreeChange[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const [, mode, , id, status] = fields[i]!.slice(1).split(" ");
        changes.push(status === "D" ? { path: fields[i + 1]! } : { path: fields[i + 1]!, entry: { mode: mode!, blob: id! } });
      }
      return changes;
    },
    objects: (env = {}) => new GitObjects(root, { ...ENV, ...env }),
  };
}

/** A submodule's commit: gitlinks name commits of another repository, which need not be here. */
const gitlink = (format: "sha1" | "sha256", n: number) => ({ mode: "160000", id: n.toString(16).padStart(format === "sha1" ? 40 : 64, "c") });

for (const format of ["sha1", "sha256"] as const) {
  test(`the changes between commits are git diff-tree's, for every kind of entry and change (${format})`, async (t) => {
    const repo = repository(t, format);
    const file = (content: string, mode = "100644") => ({ mode, id: repo.blob(content) });
    const link = (target: string) => ({ mode: "120000", id: repo.blob(target) });
    const states: Array<Record<string, { mode: string; id: string }>> = [
      {
        a: file("a"),
        "a-b": file("a-b"),
        "a.txt": file("a.txt"),
        "b/c": file("c"),
        "b/d/e": file("e"),
        "sp ace/ü.yaml": file("kind: Certificate\n"),
        "line\nbreak": file("newline"),
        "exec.sh": file("#!/bin/sh\n"),
        link: link("a"),
        module: gitlink(format, 1),
        "deep/er/still/file": file("deep"),
      },
      {
        // Edits, the executable bit, a symlink become a file, a submodule moved on, a folder emptied, one added.
        a: file("a, edited"),
        "a-b": file("a-b"),
        "a.txt": file("a.txt"),
        "b/c": file("c"),
        "b/new": file("new"),
        "sp ace/ü.yaml": file("kind: Certificate\nmetadata: {}\n"),
        "line\nbreak": file("newline"),
        "exec.sh": file("#!/bin/sh\n", "100755"),
        link: file("a"),
        module: gitlink(format, 2),
        "deep/er/still/file": file("deep"),
      },
      {
        // A file become a folder and a folder a file; a file become a symlink; a submodule a file.
        "a/x": file("x"),
        "a-b": file("a-b"),
        "a.txt": link("a-b"),
        b: file("b is a file now"),
        "sp ace/ü.yaml": file("kind: Certificate\nmetadata: {}\n"),
        "ü/ä": file("umlauts"),
        "exec.sh": file("#!/bin/sh\n", "100755"),
        link: file("a"),
        module: file("not a submodule"),
        "deep/er/still/file": file("deep"),
        "deep/er/other": file("deep"),
      },
      {
        // And back: the folder a file again, the file a folder, a submodule again, the executable bit off.
        a: file("a"),
        "a-b": file("a-b"),
        "a.txt": file("a.txt"),
        "b/c": file("c"),
        "exec.sh": file("#!/bin/sh\nexit 0\n"),
        module: gitlink(format, 1),
        "same/one": file("same"),
        "same/two": file("same"),
      },
      {},
    ];
    const commits: string[] = [];
    for (const files of states) commits.push(repo.commit(repo.tree(new Map(Object.entries(files))), commits.at(-1)));
    const objects = repo.objects();
    await objects.session(async () => {
      for (const from of commits) {
        for (const to of commits) {
          assert.deepEqual(await objects.diffTree(from, to), repo.diffTree(from, to), `${commits.indexOf(from)} → ${commits.indexOf(to)}`);
        }
      }
    });
    // Not a commit: a tree is compared as diff-tree compares trees.
    const [first, last] = [repo.git(["rev-parse", `${commits[0]}^{tree}`]).trim(), commits[3]!];
    assert.deepEqual(await objects.diffTree(first, last), repo.diffTree(first, last));
  });
}

test("modes an old git wrote (100664, 100775) compare as git's canonical ones", async (t) => {
  const repo = repository(t);
  const id = repo.blob("content\n");
  // Written byte by byte, as no git of today would: "<mode> <name>\0<raw id>".
  const rawTree = (mode: string) => {
    const data = Buffer.concat([Buffer.from(`${mode} f\0`), Buffer.from(id, "hex")]);
    return execFileSync("git", ["hash-object", "-t", "tree", "-w", "--literally", "--stdin"], { cwd: repo.root, env: ENV, input: data, encoding: "utf8" }).trim();
  };
  const [plain, groupWritable, executable, groupExecutable] = [rawTree("100644"), rawTree("100664"), rawTree("100755"), rawTree("100775")];
  const objects = repo.objects();
  for (const [from, to] of [
    [plain, groupWritable],
    [groupWritable, executable],
    [executable, groupExecutable],
    [groupExecutable, plain],
  ] as const) {
    assert.deepEqual(await objects.diffTree(from, to), repo.diffTree(from, to));
  }
  assert.deepEqual(await objects.diffTree(groupWritable, groupExecutable), [{ path: "f", entry: { mode: "100755", blob: id } }]);
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

test("the changes between commits are git diff-tree's over many random edit sequences", async (t) => {
  const repo = repository(t);
  const rand = random(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // Few names, so that files and folders of one name, and names sorting around "name/", keep meeting.
  const names = ["a", "a-b", "a.b", "a b", "a0", "b", "é", "z\nq"];
  const contents = ["one", "two", "three", "#!/bin/sh\n", "kind: Certificate\n"].map((c) => repo.blob(c));
  const files: Files = new Map();
  const randomPath = () => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(names)).join("/");
  const put = (path: string, entry: { mode: string; id: string }) => {
    // A path is a file or a folder, not both: what stands in the way goes.
    for (const other of [...files.keys()]) if (path.startsWith(`${other}/`) || other.startsWith(`${path}/`)) files.delete(other);
    files.set(path, entry);
  };
  const edits = [
    () => put(randomPath(), { mode: pick(["100644", "100755"]), id: pick(contents) }),
    () => put(randomPath(), { mode: "120000", id: pick(contents) }),
    () => put(randomPath(), gitlink("sha1", Math.floor(rand() * 3))),
    () => files.size && files.delete(pick([...files.keys()])),
    () => {
      // A whole folder goes.
      const folder = pick([...files.keys()].filter((p) => p.includes("/")).map((p) => p.slice(0, p.lastIndexOf("/"))));
      if (folder) for (const p of [...files.keys()]) if (p.startsWith(`${folder}/`)) files.delete(p);
    },
    () => {
      // The same content, another mode (the executable bit, a file become a symlink or back).
      const path = files.size ? pick([...files.keys()]) : undefined;
      if (path && files.get(path)!.mode !== "160000") files.set(path, { ...files.get(path)!, mode: pick(["100644", "100755", "120000"]) });
    },
  ];
  const trees: string[] = [];
  const objects = repo.objects();
  // What git reported over the run: the generator must have made each kind of change, or the comparison proves little.
  const seen = { compared: 0, removed: 0, modeChanged: 0, fileBecameFolder: 0, folderBecameFile: 0 };
  const modes = new Map<string, string>();
  const compare = async (from: string, to: string, step: number) => {
    const expected = repo.diffTree(from, to);
    assert.deepEqual(await objects.diffTree(from, to), expected, `step ${step}: ${from} → ${to}`);
    seen.compared++;
    const removed = new Set(expected.filter((c) => !c.entry).map((c) => c.path));
    seen.removed += removed.size;
    for (const change of expected) {
      if (!change.entry) continue;
      if (modes.has(`${from}:${change.path}`) && modes.get(`${from}:${change.path}`) !== change.entry.mode) seen.modeChanged++;
      const parent = change.path.slice(0, change.path.lastIndexOf("/"));
      if (removed.has(parent)) seen.fileBecameFolder++;
      if ([...removed].some((r) => r.startsWith(`${change.path}/`))) seen.folderBecameFile++;
    }
  };
  await objects.session(async () => {
    for (let step = 0; step < 150; step++) {
      const count = Math.floor(rand() * 4); // 0: the same tree again
      for (let i = 0; i < count; i++) pick(edits)();
      trees.push(repo.tree(files));
      for (const [path, entry] of files) modes.set(`${trees.at(-1)}:${path}`, entry.mode);
      const [previous, current, earlier] = [trees.at(-2), trees.at(-1)!, pick(trees)];
      if (previous) {
        await compare(previous, current, step);
        await compare(current, previous, step);
      }
      await compare(earlier, current, step);
    }
  });
  assert.ok(new Set(trees).size > 75, "most steps made a different tree");
  for (const [kind, n] of Object.entries(seen)) assert.ok(n > 5, `${kind}: ${n}`);
});

test("a session reads everything through one cat-file process, which ends with it, even when the session fails", async (t) => {
  const repo = repository(t);
  const big = "x".repeat(100_000);
  const files: Files = new Map([
    ["small", { mode: "100644", id: repo.blob("small\n") }],
    ["big", { mode: "100644", id: repo.blob(big) }],
  ]);
  const first = repo.commit(repo.tree(files));
  files.set("small", { mode: "100644", id: repo.blob("edited\n") });
  const second = repo.commit(repo.tree(files), first);
  const trace = tracedGit(t);
  const objects = repo.objects(trace.env);

  const read = await objects.session(async () => {
    const changes = await objects.diffTree(first, second);
    const [texts, limited] = await Promise.all([objects.readBlobs([changes[0]!.entry!.blob, files.get("big")!.id, "0".repeat(40)], 1_000_000), objects.readBlobs([files.get("big")!.id], 1000)]);
    return { changes, texts, limited };
  });
  assert.deepEqual(read.changes, [{ path: "small", entry: { mode: "100644", blob: files.get("small")!.id } }]);
  assert.deepEqual([...read.texts.values()], [{ size: 7, text: "edited\n" }, { size: 100_000, text: big }], "a blob the store lacks is left out");
  assert.deepEqual([...read.limited.values()], [{ size: 100_000, tooLarge: true }]);
  const commands = trace.commands();
  assert.deepEqual(commands.map((c) => c.args), ["cat-file --batch"]);
  assert.equal(running(commands[0]!.pid), false, "the process ended with the session");

  // The session's work fails while a read is still under way: the process ends all the same.
  await assert.rejects(
    objects.session(async () => {
      void objects.readBlobs(Array(2000).fill(files.get("big")!.id), Number.MAX_SAFE_INTEGER).catch(() => undefined);
      await objects.readBlobs([files.get("small")!.id], 100);
      throw new Error("the plan failed");
    }),
    /the plan failed/,
  );
  assert.equal(trace.commands().length, 2);
  assert.equal(running(trace.commands()[1]!.pid), false);

  // A read that outlives its session (work it started, finished later) gets a process of its own.
  let late: Promise<Map<string, unknown>> | undefined;
  await objects.session(async () => {
    late = new Promise((resolve) => setTimeout(resolve, 10)).then(() => objects.readBlobs([files.get("small")!.id], 100));
  });
  assert.equal((await late!).size, 1);
  assert.deepEqual(trace.commands().slice(2).map((c) => c.args), ["cat-file --batch"]);
  assert.equal(running(trace.commands()[2]!.pid), false);
});

test("a cat-file that dies mid-session fails the reads with a GitError; a missing commit fails the diff", async (t) => {
  const repo = repository(t);
  const files: Files = new Map([["f", { mode: "100644", id: repo.blob("f\n") }]]);
  const commit = repo.commit(repo.tree(files));
  const trace = tracedGit(t);
  const objects = repo.objects(trace.env);
  await objects.session(async () => {
    await objects.readBlobs([files.get("f")!.id], 100);
    process.kill(trace.commands()[0]!.pid, "SIGKILL");
    await assert.rejects(objects.readBlobs([files.get("f")!.id], 100), (err) => err instanceof GitError);
  });
  assert.equal(running(trace.commands()[0]!.pid), false);
  await assert.rejects(objects.diffTree("0".repeat(40), commit), (err) => err instanceof GitError && /no such object/.test(err.message));
  assert.deepEqual(await objects.diffTree(commit, commit), []);
});
