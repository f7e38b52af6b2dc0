// With a cluster, `serve` answers HTTP-01 on every replica for the
// process's whole life: the solver Service in front of the replicas may send
// the CA's request to any of them, the leader or a standby. Tokens this
// process presented are answered from memory; any other from the record the
// leader wrote on the challenge's Service. The ACME issuers present into
// this same server instead of opening a listener per order. Without a
// cluster there is one process and nothing to look up: the issuers keep
// their own listener, open only while a challenge is.
import type { Http01Cluster } from "../acme/http01/index.ts";
import { Http01Server } from "../acme/http01/index.ts";
import type { Config } from "../config.ts";

export interface Http01Responder {
  server: Http01Server;
  cluster: Http01Cluster;
}

export async function http01Responder(config: Config, env: NodeJS.ProcessEnv): Promise<Http01Responder | undefined> {
  const { clusterConfigured } = await import("../kube/configured.ts");
  if (!clusterConfigured(config, env)) return undefined;
  const cluster = (await import("../kube/index.ts")).http01ClusterFor(config, env);
  if (!cluster) return undefined;
  const server = new Http01Server({
    address: config["acme.http01.address"],
    port: config["acme.http01.port"],
    lookup: (token, host) => cluster.keyAuthorization(token, host),
  });
  return { server, cluster };
}
