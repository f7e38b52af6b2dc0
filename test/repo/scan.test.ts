import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, openSync, closeSync, ftruncateSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  DEFAULT_INCLUDE,
  DEFAULT_MAX_FILE_BYTES,
  listRepositoryFiles,
  readRepositoryFiles,
  type FileScanOptions,
} from "../../src/repo/scan.ts";
import { tempDir } from "../helpers.ts";

const defaults: FileScanOptions = { include: [...DEFAULT_INCLUDE], exclude: [], maxFileBytes: DEFAULT_MAX_FILE_BYTES };

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function paths(root: string, options: Partial<FileScanOptions> = {}): string[] {
  return listRepositoryFiles(root, { ...defaults, ...options }).files.map((f) => f.path);
}

test("lists YAML files as sorted repository-relative POSIX paths, skipping .git and node_modules", (t) => {
  const root = tempDir(t);
  write(root, {
    "b.yaml": "",
    "a/z.yml": "",
    "a/b/c.yaml": "",
    "README.md": "",
    "a/notes.txt": "",
    ".git/config.yaml": "",
    ".git/objects/x.yaml": "",
    "node_modules/pkg/x.yaml": "",
    "a/node_modules/pkg/y.yaml": "",
  });
  assert.deepEqual(paths(root), ["a/b/c.yaml", "a/z.yml", "b.yaml"]);
});

test("a .git file (worktree or submodule link) is skipped too", (t) => {
  const root = tempDir(t);
  write(root, { ".git": "gitdir: ../x", "sub/.git": "gitdir: ../y", "sub/a.yaml": "" });
  assert.deepEqual(paths(root, { include: ["**/*"] }), ["sub/a.yaml"]);
});

const globCases: Array<{ name: string; include?: string[]; exclude?: string[]; expect: string[] }> = [
  {
    name: "defaults",
    expect: ["clusters/prod/app.yaml", "clusters/prod/kustomization.yaml", "clusters/prod/secret-db.yaml", "infra/Kustomization", "infra/x.yml", "vendor/lib.yaml"],
  },
  {
    name: "include narrows, kustomization files stay",
    include: ["clusters/**/*.yaml"],
    expect: ["clusters/prod/app.yaml", "clusters/prod/kustomization.yaml", "clusters/prod/secret-db.yaml", "infra/Kustomization"],
  },
  {
    name: "exclude a file pattern",
    exclude: ["**/secret-*.yaml"],
    expect: ["clusters/prod/app.yaml", "clusters/prod/kustomization.yaml", "infra/Kustomization", "infra/x.yml", "vendor/lib.yaml"],
  },
  {
    name: "exclude a whole folder",
    exclude: ["vendor/**"],
    expect: ["clusters/prod/app.yaml", "clusters/prod/kustomization.yaml", "clusters/prod/secret-db.yaml", "infra/Kustomization", "infra/x.yml"],
  },
  {
    name: "exclude beats the kustomization rule",
    exclude: ["infra"],
    expect: ["clusters/prod/app.yaml", "clusters/prod/kustomization.yaml", "clusters/prod/secret-db.yaml", "vendor/lib.yaml"],
  },
  {
    name: "hidden folders are not matched by ** unless named",
    include: ["**/*.yaml", ".flux/**/*.yaml"],
    expect: [".flux/sync.yaml", "clusters/prod/app.yaml", "clusters/prod/kustomization.yaml", "clusters/prod/secret-db.yaml", "infra/Kustomization", "vendor/lib.yaml"],
  },
];

for (const c of globCases) {
  test(`globs: ${c.name}`, (t) => {
    const root = tempDir(t);
    write(root, {
      "clusters/prod/app.yaml": "",
      "clusters/prod/kustomization.yaml": "",
      "clusters/prod/secret-db.yaml": "",
      "infra/Kustomization": "",
      "infra/x.yml": "",
      "vendor/lib.yaml": "",
      ".flux/sync.yaml": "",
      ".github/workflows/ci.yaml": "",
    });
    assert.deepEqual(paths(root, { include: c.include ?? defaults.include, exclude: c.exclude ?? [] }), c.expect);
  });
}

test("a symlink leading outside the repository is reported with the link's path and not read", async (t) => {
  const outside = tempDir(t, "gitcert-outside-");
  write(outside, { "secret.yaml": "kind: Secret\n", "dir/cert.yaml": "kind: Certificate\n" });
  const root = tempDir(t);
  write(root, { "apps/ok.yaml": "a: 1\n" });
  symlinkSync(join(outside, "secret.yaml"), join(root, "apps/stolen.yaml"));
  symlinkSync(join(outside, "dir"), join(root, "apps/external"));
  symlinkSync("../../..", join(root, "apps/up")); // relative, and out of the repository too
  const r = await readRepositoryFiles(root, defaults);
  assert.deepEqual(r.files.map((f) => f.path), ["apps/ok.yaml"]);
  const outsideLinks = r.diagnostics.filter((d) => d.code === "SymlinkOutsideRepository");
  assert.deepEqual(outsideLinks.map((d) => d.source?.file).sort(), ["apps/external", "apps/stolen.yaml", "apps/up"]);
  for (const d of outsideLinks) {
    assert.equal(d.severity, "error");
    assert.ok(!d.message.includes(outside), "the outside path is not echoed");
  }
});

test("symlinks inside the repository are followed, each real file read once", async (t) => {
  const root = tempDir(t);
  write(root, { "base/cert.yaml": "kind: Certificate\n", "z-real/issuer.yaml": "kind: Issuer\n" });
  mkdirSync(join(root, "overlay"));
  symlinkSync("../base", join(root, "overlay/base")); // walked after base/: already scanned
  symlinkSync("z-real", join(root, "a-link")); // walked before z-real/: the link path wins
  symlinkSync("base/cert.yaml", join(root, "cert-alias.yaml"));
  const r = await readRepositoryFiles(root, defaults);
  assert.deepEqual(r.files.map((f) => f.path), ["a-link/issuer.yaml", "base/cert.yaml"]);
  assert.equal(r.files[0]?.text, "kind: Issuer\n");
  assert.ok(r.diagnostics.every((d) => d.severity === "debug"), JSON.stringify(r.diagnostics));
});

test("a symlink does not lead into .git or node_modules", async (t) => {
  const root = tempDir(t);
  write(root, { ".git/refs/x.yaml": "", "node_modules/p/y.yaml": "", "a.yaml": "" });
  symlinkSync(".git", join(root, "git-link"));
  symlinkSync("node_modules/p", join(root, "pkg"));
  symlinkSync(".git/refs/x.yaml", join(root, "ref.yaml"));
  const r = await readRepositoryFiles(root, defaults);
  assert.deepEqual(r.files.map((f) => f.path), ["a.yaml"]);
  assert.deepEqual(r.diagnostics, []);
});

test("symlink loops terminate", async (t) => {
  const root = tempDir(t);
  write(root, { "a/x.yaml": "x: 1\n" });
  symlinkSync("..", join(root, "a/parent")); // a/parent/a/parent/… forever, if followed
  symlinkSync(".", join(root, "a/self"));
  symlinkSync("loop2.yaml", join(root, "loop1.yaml")); // ELOOP: links pointing at each other
  symlinkSync("loop1.yaml", join(root, "loop2.yaml"));
  symlinkSync("missing.yaml", join(root, "dangling.yaml"));
  const r = await readRepositoryFiles(root, defaults);
  assert.deepEqual(r.files.map((f) => f.path), ["a/x.yaml"]);
  const byFile = Object.fromEntries(r.diagnostics.map((d) => [d.source?.file, d.code]));
  assert.deepEqual(byFile, {
    "a/parent": "SymlinkAlreadyScanned",
    "a/self": "SymlinkAlreadyScanned",
    "dangling.yaml": "BrokenSymlink",
    "loop1.yaml": "BrokenSymlink",
    "loop2.yaml": "BrokenSymlink",
  });
});

test("a file over the size limit is a diagnostic and is not read (50 MB, sparse)", async (t) => {
  const root = tempDir(t);
  write(root, { "small.yaml": "a: 1\n" });
  const fd = openSync(join(root, "huge.yaml"), "w");
  ftruncateSync(fd, 50 * 1000 * 1000);
  closeSync(fd);
  const before = process.memoryUsage().arrayBuffers;
  const r = await readRepositoryFiles(root, defaults);
  assert.ok(process.memoryUsage().arrayBuffers - before < 10_000_000, "50 MB were not buffered");
  assert.deepEqual(r.files.map((f) => f.path), ["small.yaml"]);
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0]?.code, "FileTooLarge");
  assert.equal(r.diagnostics[0]?.severity, "error");
  assert.equal(r.diagnostics[0]?.source?.file, "huge.yaml");
  assert.match(r.diagnostics[0]?.message ?? "", /50000000 bytes.*5242880/);
});

test("the size limit is inclusive", async (t) => {
  const root = tempDir(t);
  write(root, { "at.yaml": "0123456789", "over.yaml": "0123456789A" });
  const r = await readRepositoryFiles(root, { ...defaults, maxFileBytes: 10 });
  assert.deepEqual(r.files.map((f) => [f.path, f.bytes]), [["at.yaml", 10]]);
  assert.deepEqual(r.diagnostics.map((d) => d.source?.file), ["over.yaml"]);
});

test("a FIFO named like a manifest is skipped without blocking", async (t) => {
  const root = tempDir(t);
  write(root, { "a.yaml": "a: 1\n" });
  execFileSync("mkfifo", [join(root, "pipe.yaml")]);
  symlinkSync("pipe.yaml", join(root, "pipe-link.yaml"));
  const r = await readRepositoryFiles(root, defaults);
  assert.deepEqual(r.files.map((f) => f.path), ["a.yaml"]);
});

test("a missing repository folder is a diagnostic, not a throw", async () => {
  const r = await readRepositoryFiles("/nonexistent/gitcert-repo", defaults);
  assert.deepEqual(r.files, []);
  assert.equal(r.diagnostics[0]?.code, "RepositoryUnreadable");
});

// How fast is bench/scan's business; this pins down that nothing is lost.
test("10,000 files in 100 folders are all listed and read", async (t) => {
  const root = tempDir(t);
  const body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n".repeat(8);
  for (let d = 0; d < 100; d++) {
    const dir = join(root, `apps/app${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(join(dir, `f${f}.yaml`), body);
  }
  const r = await readRepositoryFiles(root, defaults);
  assert.equal(r.files.length, 10_000);
  assert.deepEqual(r.diagnostics, []);
  assert.ok(r.files.every((f) => f.text === body));
});
