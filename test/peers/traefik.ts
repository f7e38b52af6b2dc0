// Traefik, a real Ingress controller, run outside a cluster the way
// peers-runbook.md §5 describes: it watches the test's kube-apiserver
// (admin kubeconfig; KUBERNETES_SERVICE_* unset, so never in-cluster mode)
// and serves its web entry point on 127.0.0.1 at a port chosen at run time.
// No kubelet or kube-proxy runs, so backends are ExternalName Services
// (allowed here) naming localhost, or EndpointSlices naming a veth address.
// A Gateway listener is served on the entry point whose port it names. Its JSON access log says which router —
// which Ingress — carried each request, and where it went.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePorts } from "./pebble.ts";
import { peer } from "./tools.ts";

export interface TraefikOptions {
  kubeconfig: string;
  /** Namespaces whose Ingresses (and HTTPRoutes) it routes (the API server is shared with other test files). */
  namespaces: string[];
  /** Also the Gateway API provider (GatewayClass controllerName traefik.io/gateway-controller); needs the Gateway API CRDs installed first. */
  gateway?: boolean;
}

export interface AccessLogEntry {
  RequestHost?: string;
  RequestPath?: string;
  RouterName?: string;
  ServiceURL?: string;
  DownstreamStatus?: number;
  "request_User-Agent"?: string;
}

export interface Traefik {
  /** The web entry point: where Pebble's validation requests and the self-check go. */
  port: number;
  accessLog(): AccessLogEntry[];
  logs(): string;
  stop(): Promise<void>;
}

export async function startTraefik(options: TraefikOptions): Promise<Traefik> {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-traefik-"));
  const [port] = (await freePorts(1)) as [number];
  const logFile = join(dir, "traefik.log");
  const accessFile = join(dir, "access.log");
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      peer("traefik"),
      [
        `--entryPoints.web.address=127.0.0.1:${port}`,
        "--providers.kubernetesingress=true",
        `--providers.kubernetesingress.namespaces=${options.namespaces.join(",")}`,
        "--providers.kubernetesingress.allowExternalNameServices=true",
        ...(options.gateway ? ["--providers.kubernetesgateway=true", `--providers.kubernetesgateway.namespaces=${options.namespaces.join(",")}`] : []),
        "--providers.providersThrottleDuration=100ms",
        "--accesslog=true",
        `--accesslog.filepath=${accessFile}`,
        "--accesslog.format=json",
        "--accesslog.bufferingsize=0",
        "--accesslog.fields.headers.defaultmode=drop",
        "--accesslog.fields.headers.names.User-Agent=keep",
        "--log.level=INFO",
      ],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: options.kubeconfig }, stdio: ["ignore", fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const logs = () => read(logFile).slice(-4000);
  const stop = async () => {
    process.removeListener("exit", kill);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`traefik did not start listening on 127.0.0.1:${port}\n${logs()}`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    logs,
    accessLog: () =>
      read(accessFile)
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AccessLogEntry),
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
