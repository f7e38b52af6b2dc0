// Which cluster gitcert talks to, if any: a kubeconfig named by --kubeconfig
// (or the config file, or GITCERT_KUBECONFIG), else the files in KUBECONFIG,
// else the in-cluster service account when running in a pod. Nothing else:
// ~/.kube/config is never picked up behind the user's back, so a `gitcert
// run` on a laptop only touches a cluster the user named.
import { existsSync, readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { GitcertError } from "../diagnostics.ts";
import { SERVICE_ACCOUNT_DIR } from "./configured.ts";

export interface ClusterSettings {
  /** Path of a kubeconfig file; empty: KUBECONFIG, then in-cluster. */
  kubeconfig: string;
  /** Context to use; empty: the kubeconfig's current context. */
  context: string;
}

export interface ClusterTarget {
  kubeConfig: KubeConfig;
  /** Where the settings came from, for logs: `kubeconfig /path (context x)`, `in-cluster service account`. */
  origin: string;
  /** gitcert's own namespace: the pod's, else the context's, else `default`. */
  namespace: string;
  server: string;
}

/** The cluster the settings name; undefined when none is configured. Throws GitcertError (Configuration) for a broken kubeconfig. */
export function clusterTarget(settings: ClusterSettings, env: NodeJS.ProcessEnv, serviceAccountDir = SERVICE_ACCOUNT_DIR): ClusterTarget | undefined {
  const files = settings.kubeconfig ? [settings.kubeconfig] : (env.KUBECONFIG ?? "").split(":").filter(Boolean);
  if (files.length > 0) return fromKubeconfig(files, settings.context);
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${serviceAccountDir}/token`)) {
    if (settings.context) throw configuration(`--context ${settings.context} needs a kubeconfig; in a pod gitcert uses its service account`);
    return inCluster(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, serviceAccountDir);
  }
  if (settings.context) throw configuration(`--context ${settings.context} was given, but no kubeconfig (--kubeconfig or KUBECONFIG)`);
  return undefined;
}

function fromKubeconfig(files: string[], context: string): ClusterTarget {
  const kubeConfig = new KubeConfig();
  // KUBECONFIG lists files merged in order, the first one setting the current context (as kubectl does).
  for (const [i, file] of files.entries()) {
    let one: KubeConfig;
    try {
      one = new KubeConfig();
      one.loadFromFile(file);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split("\n")[0];
      throw configuration(`kubeconfig ${file} cannot be read: ${reason}`);
    }
    if (i === 0) kubeConfig.loadFromOptions({ clusters: one.clusters, users: one.users, contexts: one.contexts, currentContext: one.currentContext });
    else kubeConfig.mergeConfig(one, true);
  }
  if (context) {
    if (!kubeConfig.getContextObject(context)) throw configuration(`kubeconfig ${files.join(":")} has no context ${JSON.stringify(context)}`);
    kubeConfig.setCurrentContext(context);
  }
  const current = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  const cluster = kubeConfig.getCurrentCluster();
  if (!current || !cluster) throw configuration(`kubeconfig ${files.join(":")} has no current context; give --context`);
  return {
    kubeConfig,
    origin: `kubeconfig ${files.join(":")} (context ${current.name})`,
    namespace: current.namespace || "default",
    server: cluster.server,
  };
}

function inCluster(host: string, port: string, dir: string): ClusterTarget {
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "in-cluster", server, caFile: `${dir}/ca.crt`, skipTLSVerify: false }],
    // The token file, re-read as the kubelet rotates the projected token.
    users: [{ name: "service-account", authProvider: { name: "tokenFile", config: { tokenFile: `${dir}/token` } } }],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "service-account" }],
    currentContext: "in-cluster",
  });
  let namespace = "default";
  try {
    namespace = readFileSync(`${dir}/namespace`, "utf8").trim() || namespace;
  } catch {
    // a pod always has the file; without it the default namespace is the best guess
  }
  return { kubeConfig, origin: "in-cluster service account", namespace, server };
}

function configuration(message: string): GitcertError {
  return new GitcertError("Configuration", message);
}
