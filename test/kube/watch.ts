// Every change to the objects under an API path, as the API server reports
// them (a watch, started before the work it observes): what existed while a
// challenge was open, and that it went away.
import { KubeConfig, Watch, type KubernetesObject } from "@kubernetes/client-node";

export interface Recorded {
  type: string;
  /** When it arrived (Date.now()). */
  at: number;
  object: KubernetesObject & Record<string, unknown>;
}

export async function watchObjects(kubeconfig: string, path: string): Promise<{ events: Recorded[]; stop(): void }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const events: Recorded[] = [];
  const controller = await new Watch(kc).watch(path, {}, (type, object) => events.push({ type, at: Date.now(), object }), () => {});
  return { events, stop: () => controller.abort() };
}
