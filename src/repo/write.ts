// Writes into the working clone, and nowhere else. Paths reaching here are
// derived from manifests (a Secret's name becomes a file name), so each one
// is checked to stay inside the repository before anything touches the disk,
// and every write is a temp file plus rename: a reader sees the old file or
// the new one, never half of either.
//
// Nothing is fsynced. The clone is reset to a commit (git reset --hard, git
// clean) at every sync, before any run works in it, so a file has only to
// be whole for the run that writes and commits it; what must outlive a
// crash is in Git's objects, which git writes. An fsync per file cost
// 0.1-0.5 ms of CPU, and up to 0.5 ms of waiting, on this project's VM.
//
// The file system is asked synchronously: a reconcile writes thousands of
// small files into a local clone, and each call of the promise API costs
// tens of microseconds of CPU in thread-pool hand-offs and file-handle
// objects, several times the call itself. Paths are resolved by the C
// library's realpath (one call, where Node's own walks the path with an
// lstat per folder).
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { GitcertError } from "../diagnostics.ts";

export class PathOutsideRepositoryError extends GitcertError {
  /** The path as it was asked for. */
  readonly path: string;

  constructor(
    path: string,
    why: string,
  ) {
    super("PathOutsideRepository", `refusing path "${path}": ${why}`);
    this.path = path;
    this.name = "PathOutsideRepositoryError";
  }
}

function inside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

const realpath = (path: string): string => realpathSync.native(path);

function existing(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

/**
 * Resolve `relativePath` under `root`, refusing anything that could land
 * outside it: absolute paths, `..` segments, anything inside `.git` (hooks
 * there would run as gitcert), and parents that are symlinks leading out.
 * Returns the real root and the target's absolute path (its parent folder
 * resolved through symlinks that stay inside).
 */
function contain(root: string, relativePath: string): { realRoot: string; parent: string; target: string } {
  if (typeof relativePath !== "string" || !relativePath || relativePath.includes("\0")) {
    throw new PathOutsideRepositoryError(String(relativePath), "it is empty or contains a NUL byte");
  }
  if (isAbsolute(relativePath) || /^[a-zA-Z]:[\\/]/.test(relativePath) || relativePath.startsWith("\\")) {
    throw new PathOutsideRepositoryError(relativePath, "it is absolute; paths must be relative to the repository");
  }
  const segments = relativePath.split(/[\\/]+/);
  if (segments.includes("..")) throw new PathOutsideRepositoryError(relativePath, "it contains a .. segment");
  if (segments.some((s) => s.toLowerCase() === ".git")) {
    throw new PathOutsideRepositoryError(relativePath, "it is inside .git, not the working tree");
  }
  const name = segments.filter((s) => s && s !== ".").at(-1);
  if (!name) throw new PathOutsideRepositoryError(relativePath, "it names the repository root, not a file");

  const realRoot = realpath(root);
  const lexical = resolve(realRoot, ...segments);
  if (!inside(realRoot, lexical) || lexical === realRoot) {
    throw new PathOutsideRepositoryError(relativePath, "it resolves outside the repository");
  }
  // Find the deepest folder that exists and resolve it through symlinks; the
  // rest does not exist yet and will be created as plain folders below it.
  let probe = dirname(lexical);
  const missing: string[] = [];
  while (!existing(probe)) {
    missing.unshift(basename(probe));
    probe = dirname(probe);
  }
  const realProbe = realpath(probe);
  if (!inside(realRoot, realProbe)) {
    throw new PathOutsideRepositoryError(relativePath, `its folder is a symlink to ${realProbe}, outside the repository`);
  }
  return { realRoot, parent: join(realProbe, ...missing), target: join(realProbe, ...missing, name) };
}

export interface WriteResult {
  /** Absolute path of the file. */
  path: string;
  /** False when the file already had exactly this content and mode. */
  changed: boolean;
}

/**
 * Write `content` to `relativePath` under `root` atomically (temp file in the
 * same folder, renamed over the target). Missing folders are created. A file
 * that already holds exactly this content and mode is left alone, so its
 * mtime does not churn. Throws PathOutsideRepositoryError for any path leaving root.
 */
export async function writeFileAtomic(root: string, relativePath: string, content: string, mode = 0o644): Promise<WriteResult> {
  const { realRoot, parent, target } = contain(root, relativePath);
  mkdirSync(parent, { recursive: true });
  // Re-check once the folders exist: closes most of the window in which
  // someone could swap a folder for a symlink between check and write.
  if (!inside(realRoot, realpath(parent))) {
    throw new PathOutsideRepositoryError(relativePath, "its folder moved outside the repository while writing");
  }

  const bytes = Buffer.from(content, "utf8");
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new GitcertError("PathIsDirectory", `cannot write "${relativePath}": it is a directory`);
  if (st?.isFile() && (st.mode & 0o7777) === mode && st.size === bytes.length && readFileSync(target).equals(bytes)) {
    return { path: target, changed: false };
  }

  const temp = join(parent, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  // Created 0600 whatever the final mode: content may be sensitive until it
  // is renamed into place.
  const fd = openSync(temp, "wx", 0o600);
  try {
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    } finally {
      closeSync(fd);
    }
    // chmod rather than open's mode: the umask would otherwise decide.
    chmodSync(temp, mode);
    renameSync(temp, target);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing left to clean.
    }
    throw err;
  }
  return { path: target, changed: true };
}

/**
 * The text of `relativePath` under `root`, or undefined when there is no such
 * file; the same containment rules as writeFileAtomic, and the file itself
 * may not be a symlink leading out of the repository.
 */
export async function readFileInside(root: string, relativePath: string): Promise<string | undefined> {
  const { realRoot, target } = contain(root, relativePath);
  if (!existing(target)) return undefined;
  let real: string;
  try {
    real = realpath(target);
  } catch (err) {
    // A symlink to nothing.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  if (!inside(realRoot, real)) throw new PathOutsideRepositoryError(relativePath, `it is a symlink to ${real}, outside the repository`);
  return readFileSync(real, "utf8");
}

/**
 * Remove `relativePath` under `root`, with the same containment rules as
 * writeFileAtomic. Returns false when there was nothing to remove. A symlink
 * is removed itself, never what it points to.
 */
export async function removeFile(root: string, relativePath: string): Promise<boolean> {
  const { target } = contain(root, relativePath);
  try {
    await unlink(target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
