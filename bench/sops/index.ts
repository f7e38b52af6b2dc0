// bench/sops: gitcert's SOPS work against the sops CLI doing the same, on
// 1,000 TLS Secrets (BENCH_SECRETS). Prints figures; asserts nothing.
//  - encrypt: 1,000 Secrets → SOPS files. gitcert in one process, through
//    execute's code (the Secret's .sops.yaml rule, encryption, the check,
//    an atomic write, 4 at a time) vs one `sops -e` per plaintext file,
//    written by the shell's redirection.
//  - rekey: the .sops.yaml recipient replaced by another; gitcert re-wraps
//    every file's data key in one process, through execute's rekey (read,
//    rule, rekey, atomic write) vs one `sops updatekeys -y` per file.
// gitcert is also timed as this bench timed it before (plaintext files
// through encryptYaml / rekeyYaml and writeFileSync, one at a time), to
// compare. Each side is one process tree timed from outside: wall time and
// CPU (user + system, children included, from bash's `times`), process
// start included; gitcert's runs with Node's compile cache, warmed once, as
// the bin does, and is the median of BENCH_ROUNDS (5) runs; sops's 1,000
// processes run once. The disk is synced before each timed run. Files are
// ~4 KB Secrets shaped like gitcert's (certificate, chain, key); one age
// recipient; encrypted_regex ^(data|stringData)$.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { renderSecretManifest } from "../../src/secrets/index.ts";
import type { SecretManifestInput } from "../../src/secrets/index.ts";

const SECRETS = Number(process.env.BENCH_SECRETS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const project = join(import.meta.dirname, "..", "..");
const bin = execFileSync("bash", [join(project, "scripts", "peers.sh"), "--bin-dir"], { encoding: "utf8" }).trim();
const sops = join(bin, "sops");
const root = mkdtempSync(join(tmpdir(), "gitcert-bench-sops-"));

interface Timing {
  ms: number;
  cpuMs: number;
}

/** Runs a bash script in `root`; wall and CPU of everything it started. */
function timed(script: string, env: Record<string, string> = {}): Timing {
  // Dirty pages of the files just copied or deleted are written back first,
  // so that no side pays for the disk work of the step before it.
  execFileSync("sync");
  const r = spawnSync("bash", ["-c", `start=$EPOCHREALTIME; ( ${script} ) >/dev/null || exit 1; end=$EPOCHREALTIME; times; echo "$start $end"`], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: root, ...env },
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bench step failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  const lines = r.stdout.trim().split("\n");
  const [start, end] = lines.at(-1)!.split(" ").map(Number);
  const cpu = [...lines[1]!.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { ms: (end! - start!) * 1000, cpuMs: cpu * 1000 };
}

function keygen(name: string): string {
  const out = execFileSync(join(bin, "age-keygen"), ["-o", join(root, name)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return /(age1\w+)/.exec(out + readFileSync(join(root, name), "utf8"))![1]!;
}

/** The run of median wall time among `rounds` runs of `run(i)`. */
function median(rounds: number, run: (i: number) => Timing): Timing {
  const all = Array.from({ length: rounds }, (_, i) => run(i)).sort((a, b) => a.ms - b.ms);
  return all[Math.floor(all.length / 2)]!;
}

const sopsConfig = (recipient: string) => `creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`;
const node = (args: string) => `NODE_COMPILE_CACHE=compile-cache ${JSON.stringify(process.execPath)} ${JSON.stringify(join(import.meta.dirname, "gitcert.ts"))} ${args}`;
const fresh = (dir: string, from?: string) => {
  rmSync(join(root, dir), { recursive: true, force: true });
  if (from) cpSync(join(root, from), join(root, dir), { recursive: true });
  else mkdirSync(join(root, dir));
};

try {
  const alice = keygen("alice.txt");
  const bob = keygen("bob.txt");
  writeFileSync(join(root, ".sops.yaml"), sopsConfig(alice));
  for (const d of ["plain", "enc-sops"]) mkdirSync(join(root, d));
  const pem = (bytes: number) => Buffer.from(`-----BEGIN CERTIFICATE-----\n${crypto.getRandomValues(new Uint8Array(bytes)).reduce((s, b) => s + String.fromCharCode(b), "")}\n-----END CERTIFICATE-----\n`, "latin1");
  const inputs: SecretManifestInput[] = [];
  for (let i = 0; i < SECRETS; i++) {
    const name = `web-${String(i).padStart(4, "0")}-tls`;
    const input = {
      name,
      namespace: "shop",
      type: "kubernetes.io/tls",
      annotations: { "cert-manager.io/certificate-name": name.replace(/-tls$/, ""), "gitcert.dev/certificate": `shop/${name}`, "gitcert.dev/revision": "1" },
      labels: { "controller.cert-manager.io/fao": "true" },
      data: { "tls.crt": pem(1400), "tls.key": pem(180), "ca.crt": pem(1100) },
    };
    inputs.push(input);
    writeFileSync(join(root, "plain", `${name}.yaml`), renderSecretManifest(input));
  }
  // What issuance hands execute, as JSON: the gitcert process reads it back in.
  writeFileSync(join(root, "secrets.json"), JSON.stringify(inputs.map((s) => ({ ...s, data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, v.toString("base64")])) }))));
  const bytes = readdirSync(join(root, "plain")).reduce((s, f) => s + readFileSync(join(root, "plain", f)).length, 0);
  console.log(`bench/sops: ${SECRETS} TLS Secrets (${(bytes / SECRETS / 1024).toFixed(1)} KB plaintext each), sops ${execFileSync(sops, ["--version", "--disable-version-check"], { encoding: "utf8" }).split("\n")[0]!.replace(/^sops /, "")}, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);

  // Warm the compile cache: one Secret through each mode.
  for (const d of ["warm-in", "warm-out", "warm-files"]) mkdirSync(join(root, d));
  cpSync(join(root, "plain", readdirSync(join(root, "plain"))[0]!), join(root, "warm-in", "w.yaml"));
  writeFileSync(join(root, "warm.json"), JSON.stringify([JSON.parse(readFileSync(join(root, "secrets.json"), "utf8"))[0]]));
  timed(`${node("execute-write warm.json . warm-out")} && ${node("execute-rekey . warm-out")} && ${node(`encrypt-files warm-in warm-files ${alice}`)} && ${node(`rekey-files warm-files ${alice} alice.txt`)}`, { SOPS_AGE_KEY_FILE: join(root, "alice.txt") });

  const encGitcert = median(ROUNDS, () => {
    fresh("enc-gitcert");
    return timed(node("execute-write secrets.json . enc-gitcert"));
  });
  const encFiles = median(ROUNDS, () => {
    fresh("enc-files");
    return timed(node(`encrypt-files plain enc-files ${alice}`));
  });
  const encSops = timed(`for f in plain/*.yaml; do b=\${f#plain/}; ${JSON.stringify(sops)} --encrypt "$f" > "enc-sops/\${b%.yaml}.sops.yaml" || exit 1; done`);

  // The recipient is replaced: alice's key is retired, bob's takes over.
  writeFileSync(join(root, ".sops.yaml"), sopsConfig(bob));
  fresh("rk-sops", "enc-gitcert");
  const rkGitcert = median(ROUNDS, () => {
    fresh("rk-gitcert", "enc-gitcert");
    return timed(node("execute-rekey . rk-gitcert"), { SOPS_AGE_KEY_FILE: join(root, "alice.txt") });
  });
  const rkFiles = median(ROUNDS, () => {
    fresh("rk-files", "enc-gitcert");
    return timed(node(`rekey-files rk-files ${bob} alice.txt`));
  });
  const rkSops = timed(`for f in rk-sops/*.yaml; do ${JSON.stringify(sops)} updatekeys -y "$f" 2>/dev/null || exit 1; done`, { SOPS_AGE_KEY_FILE: join(root, "alice.txt") });

  // Not a test: one file of each kind opened by sops, so no figure is for broken output.
  const sample = readdirSync(join(root, "rk-gitcert"))[0]!;
  const opened = [
    [`enc-gitcert/${sample}`, "alice.txt"],
    [`enc-files/${sample}`, "alice.txt"],
    [`rk-gitcert/${sample}`, "bob.txt"],
    [`rk-files/${sample}`, "bob.txt"],
    [`rk-sops/${sample}`, "bob.txt"],
  ] as const;
  for (const [file, key] of opened) {
    const r = spawnSync(sops, ["--decrypt", file], { cwd: root, env: { PATH: process.env.PATH!, HOME: root, SOPS_AGE_KEY_FILE: join(root, key) } });
    if (r.status !== 0) console.log(`  warning: sops -d ${file} failed: ${r.stderr.toString().slice(0, 200)}`);
  }

  const row = (label: string, t: Timing) => console.log(`  ${label.padEnd(58)}${t.ms.toFixed(0).padStart(8)} ms ${t.cpuMs.toFixed(0).padStart(8)} ms ${(t.ms / SECRETS).toFixed(2).padStart(8)} ms`);
  const ratio = (label: string, sops: Timing, gitcert: Timing) =>
    console.log(`  ${label.padEnd(58)}${`${(sops.ms / gitcert.ms).toFixed(1)}×`.padStart(11)} ${`${(sops.cpuMs / gitcert.cpuMs).toFixed(1)}×`.padStart(11)}`);
  console.log(`  ${"".padEnd(58)}${"wall".padStart(11)} ${"CPU".padStart(11)} ${"wall/file".padStart(11)}`);
  row("encrypt: gitcert, execute's write, one process", encGitcert);
  row("encrypt: gitcert, encryptYaml on files (as before)", encFiles);
  row("encrypt: sops -e, one process per file", encSops);
  row("rekey: gitcert, execute's rekey, one process", rkGitcert);
  row("rekey: gitcert, rekeyYaml on files (as before)", rkFiles);
  row("rekey: sops updatekeys -y, one process per file", rkSops);
  console.log(`  sops / gitcert${"".padEnd(44)}${"wall".padStart(11)} ${"CPU".padStart(11)}`);
  ratio("encrypt, execute's write", encSops, encGitcert);
  ratio("encrypt, encryptYaml on files", encSops, encFiles);
  ratio("rekey, execute's rekey", rkSops, rkGitcert);
  ratio("rekey, rekeyYaml on files", rkSops, rkFiles);
} finally {
  rmSync(root, { recursive: true, force: true });
}
