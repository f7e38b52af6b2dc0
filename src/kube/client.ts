// The API clients of one cluster, and the one place their failures become
// GitcertErrors: every request goes through `call`, which bounds its time and
// words the failure with what was being done and the API server's own reason.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { GitcertError } from "../diagnostics.ts";
import type { ClusterTarget } from "./connect.ts";

/** A failed API request: `status` is the HTTP status, undefined when the server was not reached. */
export class KubeApiError extends GitcertError {
  readonly status: number | undefined;
  constructor(code: string, message: string, status: number | undefined) {
    super(code, message);
    this.status = status;
  }
}

const CODES: Record<number, string> = { 401: "KubeUnauthorized", 403: "KubeForbidden", 404: "KubeNotFound", 409: "KubeConflict", 422: "KubeInvalid" };

/** Merge-patch options for the generated clients' patch calls. */
export const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface ClusterOptions {
  /** Longest a single request may take (default 10 s): an unreachable server is a diagnostic, not a hang. */
  timeoutMs?: number;
}

export class Cluster {
  readonly target: ClusterTarget;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly networking: NetworkingV1Api;
  /** Any kind by apiVersion/kind (Ingress, HTTPRoute, Service…), for create/patch/delete of whole objects. */
  readonly objects: KubernetesObjectApi;
  private readonly timeoutMs: number;

  constructor(target: ClusterTarget, options: ClusterOptions = {}) {
    this.target = target;
    const kc = target.kubeConfig;
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Runs one request. `what` names it for the error: "get Secret ns/name".
   * Throws KubeApiError; never lets a client-library error through.
   */
  async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KubeApiError("KubeUnreachable", `${what}: no answer from ${this.target.server} within ${this.timeoutMs / 1000} s`, undefined)), this.timeoutMs);
    });
    try {
      return await Promise.race([request(), timeout]);
    } catch (err) {
      throw err instanceof KubeApiError ? err : describe(what, err, this.target.server);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(what: string, err: unknown, server: string): KubeApiError {
  if (err instanceof ApiException) {
    const status = err.code;
    return new KubeApiError(CODES[status] ?? "KubeApiError", `${what}: ${statusMessage(err.body) ?? `HTTP ${status}`}`, status);
  }
  // fetch failures carry the reason (ECONNREFUSED, certificate errors) in `cause`
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new KubeApiError("KubeUnreachable", `${what}: cannot reach ${server} (${reason})`, undefined);
}

/** The `message` of a Kubernetes Status body; the body of a 404 for an unknown API is plain text. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : undefined;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}
