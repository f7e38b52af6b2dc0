// Which gitcert an object in the cluster belongs to. Several gitcerts may
// share a cluster, each for its own repository; each touches only the
// objects carrying its own instance label, so one never updates or sweeps
// what another made. The label is the `instance` option, else a hash of the
// repository (scheme, user and `.git` dropped, so https and ssh URLs of one
// repository agree) and the branch.
import { createHash } from "node:crypto";

export const INSTANCE_LABEL = "gitcert.dev/instance";

export function instanceOf(config: { instance: string; repo: string; branch: string }): string {
  if (config.instance) return config.instance;
  const repository = config.repo
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "") // scheme
    .replace(/^[^@/]*@/, "") // user
    .replace(/^([^/:]+):(?!\d)/, "$1/") // scp-style host:path
    .replace(/\.git\/?$/, "")
    .replace(/\/+$/, "")
    .toLowerCase();
  return createHash("sha256").update(`${repository || "demo"}#${config.branch}`).digest("hex").slice(0, 16);
}
