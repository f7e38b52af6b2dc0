// A real OpenSSH server for tests, run as the current user on 127.0.0.1 with
// a port, host key, client key and authorized_keys made for this run only.
// Git over ssh then works exactly as against a Git host: the client runs
// `git-upload-pack` / `git-receive-pack` on the server through the user's
// shell. Needs /usr/sbin/sshd (Debian: `apt-get install openssh-server`).
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const SSHD = "/usr/sbin/sshd";

export interface SshServer {
  host: "127.0.0.1";
  port: number;
  /** The login name git connects as (the current user). */
  user: string;
  /** Private key the server accepts (mode 0600). */
  clientKeyFile: string;
  /** known_hosts naming this server's host key. */
  knownHostsFile: string;
  /** A known_hosts with some other host key, for the mismatch case. */
  wrongKnownHostsFile: string;
  /** `ssh://user@127.0.0.1:PORT/abs/path` */
  url(absolutePath: string): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function keygen(file: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { stdio: "ignore" });
}

function waitForListening(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start within 5 s:\n${log()}`)), 5000);
    const check = () => {
      if (/Server listening on/.test(log())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with code ${code}:\n${log()}`));
    });
  });
}

export async function startSshd(): Promise<SshServer> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is not installed: apt-get install -y openssh-server openssh-client`);
  }
  // As root, sshd insists on its privilege-separation folder, which the
  // Debian package leaves to systemd to create at boot.
  if (process.getuid?.() === 0 && !existsSync("/run/sshd")) await mkdir("/run/sshd", { mode: 0o755 });

  const dir = await mkdtemp(join(tmpdir(), "gitcert-sshd-"));
  const user = userInfo().username;
  const hostKey = join(dir, "host_ed25519");
  const clientKeyFile = join(dir, "id_ed25519");
  const otherHostKey = join(dir, "other_host_ed25519");
  keygen(hostKey, "gitcert-test-host");
  keygen(clientKeyFile, "gitcert-test-client");
  keygen(otherHostKey, "gitcert-test-impostor");
  await writeFile(join(dir, "authorized_keys"), await readFile(`${clientKeyFile}.pub`), { mode: 0o600 });

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Another process may take the port between probe and bind; try again.
    const port = await freePort();
    const config = join(dir, "sshd_config");
    await writeFile(
      config,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AllowUsers ${user}`,
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        // Temp folders are not the 0700 home sshd expects.
        "StrictModes no",
        "UsePAM no",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    let log = "";
    const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    try {
      await waitForListening(child, () => log);
    } catch (err) {
      lastError = err;
      child.kill("SIGTERM");
      continue;
    }
    const hostPub = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
    const otherPub = (await readFile(`${otherHostKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
    const knownHostsFile = join(dir, "known_hosts");
    const wrongKnownHostsFile = join(dir, "wrong_known_hosts");
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostPub}\n`);
    await writeFile(wrongKnownHostsFile, `[127.0.0.1]:${port} ${otherPub}\n`);
    return {
      host: "127.0.0.1",
      port,
      user,
      clientKeyFile,
      knownHostsFile,
      wrongKnownHostsFile,
      url: (path) => `ssh://${user}@127.0.0.1:${port}${path}`,
      close: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGTERM");
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
