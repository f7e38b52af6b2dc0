// Whether a cluster is configured at all, answered without loading the
// Kubernetes client, so commands that need no cluster never pay for it.
import { existsSync } from "node:fs";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export function clusterConfigured(settings: { kubeconfig: string; context: string }, env: NodeJS.ProcessEnv, serviceAccountDir = SERVICE_ACCOUNT_DIR): boolean {
  if (settings.kubeconfig || settings.context || env.KUBECONFIG) return true;
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${serviceAccountDir}/token`));
}
