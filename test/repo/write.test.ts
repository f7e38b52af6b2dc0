import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GitcertError } from "../../src/diagnostics.ts";
import { readFileInside, removeFile, writeFileAtomic } from "../../src/repo/write.ts";

let base: string;
let root: string;
let outside: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), "gitcert-write-"));
  root = join(base, "repo");
  outside = join(base, "outside");
  await mkdir(join(root, ".git"), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, "victim.yaml"), "untouched\n");
  // A folder inside the repository that leads out of it.
  await symlink(outside, join(root, "escape"));
  // A folder symlink that stays inside is fine.
  await mkdir(join(root, "real"));
  await symlink(join(root, "real"), join(root, "alias"));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

function refused(path: string) {
  return (err: unknown) => {
    assert.ok(err instanceof GitcertError, `expected a GitcertError, got ${String(err)}`);
    assert.equal(err.code, "PathOutsideRepository");
    assert.ok(err.message.includes(path), `message names the path: ${err.message}`);
    return true;
  };
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe("writeFileAtomic", () => {
  it("writes a new file, creating its folders, with the requested mode", async () => {
    const res = await writeFileAtomic(root, "clusters/prod/site-tls.sops.yaml", "a: 1\n", 0o600);
    assert.equal(res.changed, true);
    assert.equal(await readFile(join(root, "clusters/prod/site-tls.sops.yaml"), "utf8"), "a: 1\n");
    assert.equal((await stat(res.path)).mode & 0o777, 0o600);
  });

  it("defaults to mode 0644 whatever the umask", async () => {
    const res = await writeFileAtomic(root, "plain.yaml", "x\n");
    assert.equal((await stat(res.path)).mode & 0o777, 0o644);
  });

  it("replaces an existing file and leaves no temp file behind", async () => {
    await writeFileAtomic(root, "dir/a.yaml", "one\n");
    await writeFileAtomic(root, "dir/a.yaml", "two\n");
    assert.equal(await readFile(join(root, "dir/a.yaml"), "utf8"), "two\n");
    assert.deepEqual(await readdir(join(root, "dir")), ["a.yaml"]);
    assert.ok(!(await listTree(root)).some((f) => f.endsWith(".tmp")));
  });

  it("leaves a file with the same content alone", async () => {
    await writeFileAtomic(root, "same.yaml", "same\n");
    const first = await stat(join(root, "same.yaml"));
    const res = await writeFileAtomic(root, "same.yaml", "same\n");
    assert.equal(res.changed, false);
    assert.equal((await stat(join(root, "same.yaml"))).ino, first.ino);
  });

  it("writes through a folder symlink that stays inside the repository", async () => {
    await writeFileAtomic(root, "alias/in.yaml", "ok\n");
    assert.equal(await readFile(join(root, "real/in.yaml"), "utf8"), "ok\n");
  });

  const bad: Array<{ name: string; path: string | (() => string) }> = [
    { name: "a parent reference", path: "../x" },
    { name: "a parent reference deeper down", path: "a/../../x" },
    { name: "an absolute path", path: "/etc/passwd" },
    { name: "an absolute path into the repository itself", path: () => join(root, "abs.yaml") },
    { name: "a folder symlink pointing outside", path: "escape/victim.yaml" },
    { name: "a new folder below a symlink pointing outside", path: "escape/new/dir/x.yaml" },
    { name: "a path inside .git", path: ".git/hooks/post-commit" },
    { name: "a path inside .git spelled in capitals", path: "sub/.GIT/config" },
    { name: "the repository root", path: "." },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, async () => {
      const path = typeof c.path === "function" ? c.path() : c.path;
      const beforeOutside = await listTree(outside);
      await assert.rejects(writeFileAtomic(root, path, "pwned\n"), refused(path));
      assert.deepEqual(await listTree(outside), beforeOutside);
      assert.equal(await readFile(join(outside, "victim.yaml"), "utf8"), "untouched\n");
      assert.ok(!existsSync(join(root, ".git/hooks")));
    });
  }
});

describe("removeFile", () => {
  it("removes a file and reports it; a second time reports nothing to remove", async () => {
    await writeFileAtomic(root, "gone/x.yaml", "x\n");
    assert.equal(await removeFile(root, "gone/x.yaml"), true);
    assert.ok(!existsSync(join(root, "gone/x.yaml")));
    assert.equal(await removeFile(root, "gone/x.yaml"), false);
    assert.equal(await removeFile(root, "never/was/here.yaml"), false);
  });

  it("removes a symlink itself, never its target", async () => {
    await symlink(join(outside, "victim.yaml"), join(root, "link.yaml"));
    assert.equal(await removeFile(root, "link.yaml"), true);
    assert.equal(await readFile(join(outside, "victim.yaml"), "utf8"), "untouched\n");
  });

  for (const path of ["../outside/victim.yaml", "escape/victim.yaml", "/tmp/x", ".git/config"]) {
    it(`refuses ${path}`, async () => {
      await assert.rejects(removeFile(root, path), refused(path));
      assert.equal(await readFile(join(outside, "victim.yaml"), "utf8"), "untouched\n");
    });
  }
});

describe("readFileInside", () => {
  it("reads a file, through a folder symlink that stays inside; undefined when there is none", async () => {
    await writeFileAtomic(root, "real/r.yaml", "r\n");
    assert.equal(await readFileInside(root, "alias/r.yaml"), "r\n");
    assert.equal(await readFileInside(root, "real/none.yaml"), undefined);
    assert.equal(await readFileInside(root, "no/such/folder.yaml"), undefined);
  });

  it("refuses a file that is a symlink to outside the repository", async () => {
    await symlink(join(outside, "victim.yaml"), join(root, "leak.yaml"));
    await assert.rejects(readFileInside(root, "leak.yaml"), refused("leak.yaml"));
  });

  for (const path of ["../outside/victim.yaml", "escape/victim.yaml", "/etc/passwd", ".git/config"]) {
    it(`refuses ${path}`, async () => {
      await assert.rejects(readFileInside(root, path), refused(path));
    });
  }
});
