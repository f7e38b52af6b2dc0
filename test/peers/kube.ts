// A real etcd + kube-apiserver (and kubectl) for cluster tests, started the
// way controller-runtime's envtest starts them by scripts/k8s-peers.sh, on
// loopback ports chosen at run time.
//
// One cluster per test run when scripts/run-tests.mjs started one (it sets
// GITCERT_TEST_KUBE to its folder), else one per test file. Tests share it by
// working in namespaces of their own (`uniqueName`): a namespace is never
// deleted, because without a controller-manager it stays Terminating.
import { execFileSync, execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { peer } from "./tools.ts";

const run = promisify(execFile);

/** Set by scripts/run-tests.mjs: the folder of a cluster every test file shares. */
export const SHARED_KUBE_ENV = "GITCERT_TEST_KUBE";

export interface KubePeer {
  dir: string;
  /** An admin kubeconfig (system:masters, client certificate). */
  kubeconfig: string;
  /** `https://127.0.0.1:PORT` */
  server: string;
  /** The CA that signed the API server's certificate. */
  caFile: string;
  /** kubectl with the admin kubeconfig; throws with kubectl's stderr on failure. */
  kubectl(args: string[], options?: { input?: string; kubeconfig?: string }): string;
  /** A kubeconfig that authenticates with a ServiceAccount token (TokenRequest), written into `dir`. */
  serviceAccountKubeconfig(namespace: string, serviceAccount: string, dir: string): string;
  /** Stops the cluster when this file started it; a shared one is left to the runner. */
  release(): Promise<void>;
}

/** A name nobody else in this run uses: `prefix-<hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** The run's shared cluster, or one of this file's own. */
export async function useKube(): Promise<KubePeer> {
  const shared = process.env[SHARED_KUBE_ENV];
  if (shared) return peerAt(shared, async () => {});
  return startKube();
}

/** A cluster of its own, in a new temporary folder. */
export async function startKube(): Promise<KubePeer> {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-kube-"));
  const killOnExit = () => killCluster(dir);
  process.once("exit", killOnExit);
  try {
    await run("bash", ["scripts/k8s-peers.sh", "start", dir], { maxBuffer: 1 << 20 });
  } catch (err) {
    killCluster(dir);
    rmSync(dir, { recursive: true, force: true });
    const { stderr } = err as { stderr?: string };
    throw new Error(`kube-apiserver did not start (is it built? scripts/peers.sh kube):\n${stderr ?? String(err)}`);
  }
  return peerAt(dir, async () => {
    process.removeListener("exit", killOnExit);
    await stopCluster(dir);
  });
}

/**
 * Stops what `k8s-peers.sh start DIR` started and removes DIR. SIGKILL, not
 * the script's graceful stop: the state is thrown away, and it saves seconds.
 */
export async function stopCluster(dir: string): Promise<void> {
  const pids = killCluster(dir);
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
  rmSync(dir, { recursive: true, force: true });
}

/** SIGKILLs the recorded processes that still run with DIR on their command line. */
function killCluster(dir: string): number[] {
  const pids: number[] = [];
  for (const name of ["kube-apiserver", "etcd"]) {
    const pid = Number(readText(join(dir, `${name}.pid`)));
    if (!pid || !alive(pid)) continue;
    // The pid may have been reused since: only a process that names DIR is ours.
    if (!readText(`/proc/${pid}/cmdline`).includes(dir)) continue;
    process.kill(pid, "SIGKILL");
    pids.push(pid);
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function peerAt(dir: string, release: () => Promise<void>): KubePeer {
  const kubeconfig = join(dir, "admin.kubeconfig");
  if (!existsSync(kubeconfig)) throw new Error(`${SHARED_KUBE_ENV}=${dir} holds no admin.kubeconfig`);
  const server = /server: "([^"]+)"/.exec(readFileSync(kubeconfig, "utf8"))?.[1];
  if (!server) throw new Error(`${kubeconfig} names no server`);
  const caFile = join(dir, "ca.crt");
  const kubectl: KubePeer["kubectl"] = (args, options = {}) => {
    try {
      return execFileSync(peer("kubectl"), args, {
        input: options.input,
        encoding: "utf8",
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, KUBECONFIG: options.kubeconfig ?? kubeconfig },
      });
    } catch (err) {
      const { stderr, stdout } = err as { stderr?: string; stdout?: string };
      throw new Error(`kubectl ${args.join(" ")}: ${stderr || stdout || String(err)}`);
    }
  };
  return {
    dir,
    kubeconfig,
    server,
    caFile,
    kubectl,
    serviceAccountKubeconfig(namespace, serviceAccount, into) {
      const token = kubectl(["create", "token", serviceAccount, "-n", namespace, "--duration=1h"]).trim();
      const ca = readFileSync(caFile).toString("base64");
      const path = join(into, `${namespace}-${serviceAccount}.kubeconfig`);
      writeFileSync(
        path,
        [
          "apiVersion: v1",
          "kind: Config",
          `clusters: [{name: test, cluster: {server: "${server}", certificate-authority-data: ${ca}}}]`,
          `users: [{name: ${serviceAccount}, user: {token: "${token}"}}]`,
          `contexts: [{name: test, context: {cluster: test, user: ${serviceAccount}, namespace: ${namespace}}}]`,
          "current-context: test",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      return path;
    },
    release,
  };
}
