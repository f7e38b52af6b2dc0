// The real sops and age CLIs, run in a private temp folder: HOME points
// there (no ~/.config/sops/age/keys.txt from the machine), the key file is
// 0600, and `--config /dev/null` keeps any stray .sops.yaml out.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peer } from "../peers/tools.ts";

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface AgeKey {
  identity: string;
  recipient: string;
}

export class SopsPeer {
  readonly dir: string;
  private files = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "gitcert-sops-"));
  }

  /** A fresh identity from the real age-keygen. */
  keygen(): AgeKey {
    const out = this.run(peer("age-keygen"), []);
    const identity = out.stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"));
    const recipient = /public key: (age1\S+)/.exec(out.stdout + out.stderr)?.[1];
    if (!identity || !recipient) throw new Error("age-keygen printed no key");
    return { identity, recipient };
  }

  /** Write a file under the temp folder and return its path. */
  file(text: string | Uint8Array, name = `f${++this.files}.yaml`, mode = 0o644): string {
    const path = join(this.dir, name);
    writeFileSync(path, text, { mode });
    return path;
  }

  private keyFile(identities: string[]): string {
    return this.file(`${identities.join("\n")}\n`, `keys${++this.files}.txt`, 0o600);
  }

  run(binary: string, args: string[], env: Record<string, string> = {}, cwd = this.dir): RunResult {
    const r = spawnSync(binary, args, { cwd, env: { HOME: this.dir, PATH: process.env["PATH"] ?? "", ...env }, encoding: "utf8" });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** `sops -e` of plaintext YAML; throws with sops' stderr on failure. */
  encrypt(plaintext: string, flags: string[]): string {
    const r = this.run(peer("sops"), ["--config", "/dev/null", "--encrypt", ...flags, this.file(plaintext)]);
    if (r.status !== 0) throw new Error(`sops -e failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** `sops -d`, MAC checked; the result carries the exit status. */
  decrypt(encrypted: string, identities: string[]): RunResult {
    return this.run(peer("sops"), ["--config", "/dev/null", "--decrypt", this.file(encrypted)], { SOPS_AGE_KEY_FILE: this.keyFile(identities) });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
