// Edit in place (`acme.cert-manager.io/http01-edit-in-place: "true"` on an
// Ingress, or `ingress.name` in the solver): the challenge path is added to
// the named Ingress — first in the rule for the identifier's host, or in a
// rule of its own — pointing at a backend Service gitcert makes, and exactly
// that path (and a rule it brought) is removed afterwards, so the user's
// Ingress ends as it began. The user's Ingress is not gitcert's: it is read
// and replaced with its resourceVersion (again on a conflict), never applied
// whole. The backend Service records which Ingress was edited, so the
// start-up sweep can take the path out after a crash.
import { GitcertError } from "../../../diagnostics.ts";
import type { ClusterObject, Http01Challenge, Http01RouteContext, Http01RouteFactory } from "../types.ts";
import { applyAll, challengeHost, challengeMeta, challengePath, notePodTemplate, RECORD, removeAll } from "./challenge-objects.ts";

interface IngressPath {
  path?: string;
  pathType?: string;
  backend?: { service?: { name?: string; port?: { number?: number; name?: string } } };
}
interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}

function rulesOf(ingress: ClusterObject): IngressRule[] {
  const spec = ((ingress.spec ??= {}) as { rules?: IngressRule[] });
  return (spec.rules ??= []);
}

/** Adds the path (in place); true when the Ingress changed. `addedRule` says whether a rule had to be added for it. */
export function addChallengePath(ingress: ClusterObject, host: string | undefined, path: IngressPath): { changed: boolean; addedRule: boolean } {
  const rules = rulesOf(ingress);
  const rule = rules.find((r) => (r.host ?? "") === (host ?? ""));
  if (!rule) {
    rules.push({ ...(host ? { host } : {}), http: { paths: [path] } });
    return { changed: true, addedRule: true };
  }
  const paths = ((rule.http ??= {}).paths ??= []);
  const existing = paths.findIndex((p) => p.path === path.path);
  if (existing !== -1) {
    if (JSON.stringify(paths[existing]) === JSON.stringify(path)) return { changed: false, addedRule: false };
    paths[existing] = path;
  } else {
    // First, so no broader path of the user's shadows it.
    paths.unshift(path);
  }
  return { changed: true, addedRule: false };
}

/** Removes exactly the challenge path to `service` (in place), and the rule when it came with it; true when the Ingress changed. */
export function removeChallengePath(ingress: ClusterObject, host: string | undefined, pathText: string, service: string, addedRule: boolean): boolean {
  const spec = ingress.spec as { rules?: IngressRule[] } | undefined;
  const rules = spec?.rules;
  if (!rules) return false;
  let changed = false;
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    if ((rule.host ?? "") !== (host ?? "") || !rule.http?.paths) continue;
    const before = rule.http.paths.length;
    rule.http.paths = rule.http.paths.filter((p) => !(p.path === pathText && p.backend?.service?.name === service));
    if (rule.http.paths.length === before) continue;
    changed = true;
    if (rule.http.paths.length === 0 && addedRule) rules.splice(i, 1);
  }
  // The API server leaves an empty list out: so does an Ingress whose only rule was gitcert's.
  if (rules.length === 0) delete spec.rules;
  return changed;
}

export const editedIngressRoute: Http01RouteFactory = ({ cluster, onNote }) => {
  if (!cluster) return undefined;
  const made = new Map<string, { backend: ClusterObject[]; service: string; addedRule: boolean }>();
  const handles = (context: Http01RouteContext) => Boolean(context.solver.ingress?.name);
  const ref = (context: Http01RouteContext) => ({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", namespace: context.certificate.namespace, name: context.solver.ingress!.name! });

  return {
    name: "edited-ingress",
    handles,
    async present(challenge, context) {
      if (!handles(context)) return;
      const ingress = context.solver.ingress!;
      notePodTemplate(onNote, "ingress", ingress.podTemplate, context);
      const host = challengeHost(challenge.identifier);
      // The backend Service, with the record of what is edited, comes first, so a crash after the edit is swept.
      const target = ref(context);
      let hasRule = false;
      const found = await cluster.edit(target, (object) => {
        hasRule = rulesOf(object).some((r) => (r.host ?? "") === (host ?? ""));
        return false;
      });
      if (!found) throw missingIngress(target);
      const addedRule = !hasRule;
      const meta = await challengeMeta(cluster, challenge, context, { [RECORD.editedIngress]: target.name, ...(addedRule ? { [RECORD.addedRule]: "true" } : {}) });
      const backend = cluster.backend(meta, ingress.serviceType);
      await applyAll(cluster, backend.objects);
      const path: IngressPath = { path: challengePath(challenge.token), pathType: "Exact", backend: { service: { name: backend.service, port: { number: backend.port } } } };
      try {
        if (!(await cluster.edit(target, (object) => addChallengePath(object, host, path).changed))) throw missingIngress(target);
      } catch (err) {
        await removeAll(cluster, backend.objects).catch(() => undefined);
        throw err;
      }
      made.set(challenge.token, { backend: backend.objects, service: backend.service, addedRule });
    },
    async cleanUp(challenge, context) {
      if (!handles(context)) return;
      const done = made.get(challenge.token);
      if (!done) return;
      const host = challengeHost(challenge.identifier);
      await cluster.edit(ref(context), (object) => removeChallengePath(object, host, challengePath(challenge.token), done.service, done.addedRule));
      await removeAll(cluster, done.backend);
      made.delete(challenge.token);
    },
  };
};

function missingIngress(target: { namespace: string; name: string }): GitcertError {
  return new GitcertError("BadConfig", `Ingress ${target.namespace}/${target.name}, named for HTTP-01 edit in place, does not exist in the cluster`);
}
