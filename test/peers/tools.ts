// Finds the real peer binaries that scripts/peers.sh builds into its cache.
// A missing peer fails the test with the command that installs it: tests
// never skip a real peer, and never fall back to a fake one.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

let binDir: string | undefined;

export function peerBinDir(): string {
  binDir ??= execFileSync("bash", ["scripts/peers.sh", "--bin-dir"], { encoding: "utf8" }).trim();
  return binDir;
}

/** Absolute path of a peer binary (`sops`, `age`, `age-keygen`, `pebble`, …). */
export function peer(name: string): string {
  const path = join(peerBinDir(), name);
  if (!existsSync(path)) {
    throw new Error(`peer ${name} is not installed at ${path}: run scripts/peers.sh first`);
  }
  return path;
}
