// Plumbing for the cluster tests: a GitOps repository (a bare remote with
// .sops.yaml for a fresh age identity), gitcert as a child process, and
// what Flux does with the result (decrypt with the sops CLI, apply).
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { generateAgeIdentity } from "../../src/secrets/index.ts";
import { git, sopsDecrypt, tempDir } from "../helpers.ts";
import type { KubePeer } from "../peers/kube.ts";
import { peerBinDir } from "../peers/tools.ts";

export const CLI = join(import.meta.dirname, "..", "..", "src", "cli.ts");
export const ROOT = join(import.meta.dirname, "..", "..");

export interface GitopsRepo {
  /** file:// URL of the bare remote gitcert pushes to. */
  remote: string;
  identity: string;
  /** A scratch folder of the test. */
  dir: string;
  /** Commits `files` (path → text; null deletes) on top of the remote's head. */
  push(files: Record<string, string | null>, message: string): void;
  /** A fresh clone of the remote's head. */
  checkout(): string;
}

export async function gitopsRepo(t: TestContext, files: Record<string, string>): Promise<GitopsRepo> {
  const dir = tempDir(t, "gitcert-kube-");
  const { identity, recipient } = await generateAgeIdentity();
  const remote = join(dir, "remote.git");
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", remote]);
  let clones = 0;
  const checkout = () => {
    const clone = join(dir, `clone-${++clones}`);
    execFileSync("git", ["clone", "--quiet", remote, clone]);
    return clone;
  };
  const push = (changes: Record<string, string | null>, message: string) => {
    const clone = clones === 0 ? join(dir, "seed") : checkout();
    if (clones === 0) {
      clones++;
      execFileSync("git", ["init", "--quiet", "--initial-branch=main", clone]);
      git(clone, "remote", "add", "origin", remote);
    }
    for (const [path, text] of Object.entries(changes)) {
      if (text === null) git(clone, "rm", "--quiet", path);
      else {
        mkdirSync(dirname(join(clone, path)), { recursive: true });
        writeFileSync(join(clone, path), text);
      }
    }
    git(clone, "add", "--all");
    git(clone, "commit", "--quiet", "-m", message);
    git(clone, "push", "--quiet", "origin", "main");
  };
  push({ ".sops.yaml": `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`, ...files }, "the platform repository");
  return { remote: `file://${remote}`, identity, dir, push, checkout };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `gitcert ARGS` as a child process; resolves when it exits. */
export function gitcert(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** What Flux's kustomize-controller does with a Secret file gitcert committed: decrypt (MAC verified), apply. */
export function applyDecrypted(t: TestContext, kube: KubePeer, file: string, identity: string): void {
  kube.kubectl(["apply", "--server-side", "-f", "-"], { input: sopsDecrypt(t, file, identity) });
}

/** The object as JSON, from kubectl. */
export function getJson<T = Record<string, unknown>>(kube: KubePeer, args: string[], kubeconfig?: string): T {
  return JSON.parse(kube.kubectl(["get", ...args, "-o", "json"], { kubeconfig })) as T;
}

/** Installs deploy/crds (idempotent: server-side apply) and waits until they serve. */
export function installCrds(kube: KubePeer): void {
  kube.kubectl(["apply", "--server-side", "-k", join(ROOT, "deploy", "crds")]);
  waitEstablished(kube, ["certificates.cert-manager.io", "issuers.cert-manager.io", "clusterissuers.cert-manager.io"]);
}

/**
 * Waits until the CRDs serve. kubectl wait fails at once ("<nil> is of the
 * type <nil>") on a CRD the API server has not given conditions yet — a
 * race a loaded machine loses — so that answer is asked again.
 */
export function waitEstablished(kube: KubePeer, crds: string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      kube.kubectl(["wait", "--for=condition=Established", "--timeout=30s", ...crds.map((c) => `crd/${c}`)]);
      return;
    } catch (err) {
      if (attempt >= 50 || !/is of the type <nil>/.test((err as Error).message)) throw err;
      execFileSync("sleep", ["0.1"]);
    }
  }
}

export interface ConditionView {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface CertificateView {
  metadata: { name: string; uid: string; resourceVersion: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> };
  status?: { conditions?: ConditionView[]; notAfter?: string; notBefore?: string; renewalTime?: string; revision?: number; failedIssuanceAttempts?: number; lastFailureTime?: string };
}

export function conditionOf(object: CertificateView, type: string): ConditionView | undefined {
  return object.status?.conditions?.find((c) => c.type === type);
}

/** Argo CD's own health check for a cert-manager.io kind (argo-cd's resource_customizations, the gitops peer), run on an object. */
export function argoHealth(kind: string, object: unknown): { status: string; message: string } {
  const gitops = join(peerBinDir(), "gitops.d");
  const out = execFileSync(join(gitops, "argocd-health"), [join(gitops, "cert-manager.io", kind, "health.lua")], { input: JSON.stringify(object), encoding: "utf8" });
  return JSON.parse(out) as { status: string; message: string };
}
